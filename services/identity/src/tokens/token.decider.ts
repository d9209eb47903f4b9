import { Decider } from '@logbook/eventstore';
import { CommandMetadata, invalidParameter, notFound } from '@logbook/platform';
import { TokenEvent } from './token.events';
import { TOKEN_SCOPES, TokenScope } from './token-secret';

export interface TokenState {
  exists: boolean;
  revoked: boolean;
  tokenId: number;
  ownerUserId: number;
}

export const MAX_TOKEN_NAME_LENGTH = 256;
export const MAX_TOKEN_LIFETIME_DAYS = 3650;
const DAY_MS = 86_400_000;

export type TokenCommand = { metadata: CommandMetadata } & (
  | {
      type: 'IssueToken';
      data: {
        tokenId: number;
        name: string;
        scope: string;
        expiresInDays: number | null;
        secretHash: string;
        /** Who asks: a token is issued to the user who asks for it. */
        owner: { userId: number; username: string };
      };
    }
  /** `callerUserId`: who asks; `callerIsAdmin`: admins revoke anyone's tokens. */
  | { type: 'RevokeToken'; data: { tokenId: number; callerUserId: number | null; callerIsAdmin: boolean } }
);

const initialState = (): TokenState => ({ exists: false, revoked: false, tokenId: 0, ownerUserId: 0 });

export const tokenNotFound = (tokenId: number) => notFound(`Token with id=${tokenId} not found`);

function decide(command: TokenCommand, state: TokenState): TokenEvent[] {
  const time = command.metadata.now;
  switch (command.type) {
    case 'IssueToken': {
      const { tokenId, name, scope, expiresInDays, secretHash, owner } = command.data;
      if (name.trim() === '') throw invalidParameter('A token needs a name.');
      if (name.length > MAX_TOKEN_NAME_LENGTH) {
        throw invalidParameter(`A token's name is at most ${MAX_TOKEN_NAME_LENGTH} characters.`);
      }
      if (!TOKEN_SCOPES.includes(scope as TokenScope)) {
        throw invalidParameter(`Invalid scope '${scope}'. Valid scopes are: ${TOKEN_SCOPES.join(', ')}`);
      }
      if (expiresInDays !== null && !(Number.isInteger(expiresInDays) && expiresInDays >= 1)) {
        throw invalidParameter('expires_in_days must be a whole number of days, at least 1.');
      }
      if (expiresInDays !== null && expiresInDays > MAX_TOKEN_LIFETIME_DAYS) {
        throw invalidParameter(`expires_in_days is at most ${MAX_TOKEN_LIFETIME_DAYS}.`);
      }
      return [
        {
          type: 'TokenIssued',
          data: {
            tokenId,
            name,
            ownerUserId: owner.userId,
            ownerUsername: owner.username,
            scope: scope as TokenScope,
            secretHash,
            expiresTime: expiresInDays === null ? null : time + expiresInDays * DAY_MS,
            time,
          },
        },
      ];
    }
    case 'RevokeToken': {
      const { tokenId, callerUserId, callerIsAdmin } = command.data;
      // Someone else's token is not found rather than forbidden: its existence is not the caller's to learn.
      if (!state.exists || (!callerIsAdmin && callerUserId !== state.ownerUserId)) throw tokenNotFound(tokenId);
      if (state.revoked) return [];
      return [{ type: 'TokenRevoked', data: { tokenId, time } }];
    }
  }
}

function evolve(state: TokenState, event: TokenEvent): TokenState {
  switch (event.type) {
    case 'TokenIssued':
      return { exists: true, revoked: false, tokenId: event.data.tokenId, ownerUserId: event.data.ownerUserId };
    case 'TokenRevoked':
      return { ...state, revoked: true };
  }
}

export const tokenDecider: Decider<TokenState, TokenCommand, TokenEvent> = { initialState, evolve, decide };

export const tokenStream = { streamType: 'token', decider: tokenDecider, stateVersion: 1 };

export const tokenStreamId = (tokenId: number) => `token-${tokenId}`;
