import { DomainEvent } from '@logbook/eventstore';
import { TokenScope } from './token-secret';

/** An API token for a pipeline or CI job, acting for its owner within its scope. Only its secret's hash is kept. */
export type TokenIssued = DomainEvent<
  'TokenIssued',
  {
    tokenId: number;
    name: string;
    ownerUserId: number;
    ownerUsername: string;
    scope: TokenScope;
    secretHash: string;
    /** Null: it does not expire. */
    expiresTime: number | null;
    time: number;
  }
>;
export type TokenRevoked = DomainEvent<'TokenRevoked', { tokenId: number; time: number }>;

export type TokenEvent = TokenIssued | TokenRevoked;
