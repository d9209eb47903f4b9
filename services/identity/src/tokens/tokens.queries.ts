import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@logbook/platform';
import { IDENTITY_SCHEMA } from '../../migrations/001_initial';
import { DATABASE } from '../shared/tokens';
import { TokenScope } from './token-secret';

export interface TokenRecord {
  id: number;
  name: string;
  ownerUserId: number;
  ownerUsername: string;
  scope: TokenScope;
  secretHash: string;
  expiresTime: number | null;
  revokedTime: number | null;
}

/** A token as its owner sees it: never its secret or hash. */
export interface TokenView {
  id: number;
  name: string;
  owner: string;
  scope: TokenScope;
  creation_time: number;
  expiration_time?: number;
  last_used_time?: number;
  revoked_time?: number;
}

interface TokenRow {
  id: number;
  name: string;
  owner_user_id: number;
  owner_username: string;
  scope: TokenScope;
  secret_hash: string;
  created_time: string;
  expires_time: string | null;
  revoked_time: string | null;
  last_used_time: string | null;
}

const optional = (field: string, value: string | null) => (value === null ? {} : { [field]: Number(value) });

const view = (row: TokenRow): TokenView => ({
  id: row.id,
  name: row.name,
  owner: row.owner_username,
  scope: row.scope,
  creation_time: Number(row.created_time),
  ...optional('expiration_time', row.expires_time),
  ...optional('last_used_time', row.last_used_time),
  ...optional('revoked_time', row.revoked_time),
});

const SELECT = `SELECT t.*, u.last_used_time FROM ${IDENTITY_SCHEMA}.tokens t
  LEFT JOIN ${IDENTITY_SCHEMA}.token_usage u ON u.token_id = t.id`;

@Injectable()
export class TokensQueries {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async find(tokenId: number): Promise<TokenRecord | null> {
    const { rows } = await this.db.query<TokenRow>(`${SELECT} WHERE t.id = $1`, [tokenId]);
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id,
      name: row.name,
      ownerUserId: row.owner_user_id,
      ownerUsername: row.owner_username,
      scope: row.scope,
      secretHash: row.secret_hash,
      expiresTime: row.expires_time === null ? null : Number(row.expires_time),
      revokedTime: row.revoked_time === null ? null : Number(row.revoked_time),
    };
  }

  async get(tokenId: number): Promise<TokenView> {
    const { rows } = await this.db.query<TokenRow>(`${SELECT} WHERE t.id = $1`, [tokenId]);
    return view(rows[0]);
  }

  /** The tokens of one owner, or of everyone (an admin asking), newest first. */
  async list(ownerUserId: number | null): Promise<TokenView[]> {
    const { rows } = await this.db.query<TokenRow>(
      `${SELECT} WHERE $1::integer IS NULL OR t.owner_user_id = $1 ORDER BY t.id DESC`,
      [ownerUserId],
    );
    return rows.map(view);
  }

  /** Records a use; called at most once a minute per token, so a busy pipeline costs no write per request. */
  async recordUse(tokenId: number, time: number): Promise<void> {
    await this.db.query(
      `INSERT INTO ${IDENTITY_SCHEMA}.token_usage (token_id, last_used_time) VALUES ($1, $2)
       ON CONFLICT (token_id) DO UPDATE SET last_used_time = GREATEST(token_usage.last_used_time, EXCLUDED.last_used_time)`,
      [tokenId, time],
    );
  }
}
