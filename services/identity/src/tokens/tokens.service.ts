import { Inject, Injectable } from '@nestjs/common';
import { EventStore } from '@logbook/eventstore';
import { CommandMetadata, Database } from '@logbook/platform';
import { IDENTITY_SCHEMA } from '../../migrations/001_initial';
import { DATABASE, EVENT_STORE } from '../shared/tokens';
import { UsersQueries } from '../users/users.queries';
import { TokenCommand, tokenStream, tokenStreamId } from './token.decider';
import { newTokenSecret, secretMatches, tokenIdOf } from './token-secret';
import { TokenRecord, TokensQueries, TokenView } from './tokens.queries';

/** How often a token's last use is written at most. */
const USE_RECORDED_EVERY_MS = 60_000;
/**
 * How long a verified token is trusted without reading it again. Revoking it ends that here at once; on
 * another gateway replica, and for a deleted owner's tokens, within this time.
 */
const VERIFIED_FOR_MS = 10_000;
const VERIFIED_TOKENS_KEPT = 4096;

/** The user a request acts for. */
export interface TokenOwner {
  userId: number;
  username: string;
}

/** A token that verified: what it may do, and for whom. */
export interface VerifiedToken {
  token: TokenRecord;
  owner: { id: number; username: string };
}

@Injectable()
export class TokensService {
  private readonly lastRecorded = new Map<number, number>();
  private readonly verified = new Map<number, VerifiedToken & { until: number }>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DATABASE) private readonly db: Database,
    private readonly queries: TokensQueries,
    private readonly users: UsersQueries,
  ) {}

  /** Issues a token to `owner`: its secret is in this answer and nowhere else, ever. */
  async issue(
    request: { name: string; scope: string; expiresInDays: number | null },
    owner: TokenOwner,
    metadata: CommandMetadata,
  ): Promise<{ token: TokenView; secret: string }> {
    const { rows } = await this.db.query<{ id: string }>(`SELECT nextval('${IDENTITY_SCHEMA}.token_ids') AS id`);
    const tokenId = Number(rows[0].id);
    const { secret, hash } = newTokenSecret(tokenId);
    await this.execute(tokenId, {
      type: 'IssueToken',
      data: { tokenId, ...request, secretHash: hash, owner },
      metadata,
    });
    return { token: await this.queries.get(tokenId), secret };
  }

  async revoke(tokenId: number, caller: { userId: number; isAdmin: boolean }, metadata: CommandMetadata) {
    this.verified.delete(tokenId);
    await this.execute(tokenId, {
      type: 'RevokeToken',
      data: { tokenId, callerUserId: caller.userId, callerIsAdmin: caller.isAdmin },
      metadata,
    });
  }

  /**
   * The token a bearer secret is, when it is one Logbook issued, not revoked, not expired, and its owner
   * still exists; null otherwise. Compared by hash in constant time.
   */
  async verify(secret: string, now = Date.now()): Promise<VerifiedToken | null> {
    const tokenId = tokenIdOf(secret);
    if (tokenId === null) return null;
    const known = this.verified.get(tokenId);
    const found = known && known.until > now ? known : await this.read(tokenId);
    if (!found || !secretMatches(secret, found.token.secretHash)) return null;
    if (found.token.expiresTime !== null && found.token.expiresTime <= now) return null;
    if (found !== known) this.remember(found, now);
    if (now - (this.lastRecorded.get(tokenId) ?? 0) >= USE_RECORDED_EVERY_MS) {
      this.lastRecorded.set(tokenId, now);
      await this.queries.recordUse(tokenId, now);
    }
    return { token: found.token, owner: found.owner };
  }

  /** A token as stored, when it is live and its owner still exists. */
  private async read(tokenId: number): Promise<VerifiedToken | null> {
    const token = await this.queries.find(tokenId);
    if (!token || token.revokedTime !== null) return null;
    const owner = await this.users.findByUsername(token.ownerUsername);
    if (!owner || owner.id !== token.ownerUserId) return null;
    return { token, owner: { id: owner.id, username: owner.username } };
  }

  private remember(verified: VerifiedToken, now: number): void {
    this.verified.delete(verified.token.id);
    this.verified.set(verified.token.id, { ...verified, until: now + VERIFIED_FOR_MS });
    if (this.verified.size > VERIFIED_TOKENS_KEPT) this.verified.delete(this.verified.keys().next().value as number);
  }

  private async execute(tokenId: number, command: TokenCommand): Promise<void> {
    await this.store.handle(tokenStream, tokenStreamId(tokenId), command, command.metadata);
  }
}
