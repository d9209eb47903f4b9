import { describe, it } from 'node:test';
import { CommandMetadata } from '@logbook/platform';
import { spec } from '@logbook/testing';
import { TokenCommand, tokenDecider } from './token.decider';
import { TokenEvent } from './token.events';

const now = 1_700_000_000_000;
const metadata: CommandMetadata = {
  now,
  actor: { id: '7', kind: 'user', name: 'alice', authMethod: 'basic' },
  requestId: 'req-1',
};
const owner = { userId: 7, username: 'alice' };
const given = spec(tokenDecider).given;

const issue = (data: Partial<Extract<TokenCommand, { type: 'IssueToken' }>['data']> = {}): TokenCommand => ({
  type: 'IssueToken',
  data: { tokenId: 3, name: 'nightly training', scope: 'EDIT', expiresInDays: 30, secretHash: 'ab12', owner, ...data },
  metadata,
});
const revoke = (callerUserId: number | null, callerIsAdmin = false): TokenCommand => ({
  type: 'RevokeToken',
  data: { tokenId: 3, callerUserId, callerIsAdmin },
  metadata,
});
const issued: TokenEvent = {
  type: 'TokenIssued',
  data: {
    tokenId: 3,
    name: 'nightly training',
    ownerUserId: 7,
    ownerUsername: 'alice',
    scope: 'EDIT',
    secretHash: 'ab12',
    expiresTime: now - 100 + 30 * 86_400_000,
    time: now - 100,
  },
};

describe('token decider', () => {
  describe('IssueToken', () => {
    it('issues a token to the user who asks, expiring the days asked for after now', () =>
      given([])
        .when(issue())
        .then([{ ...issued, data: { ...issued.data, expiresTime: now + 30 * 86_400_000, time: now } }]));

    it('issues a token that never expires when no lifetime is asked for', () =>
      given([])
        .when(issue({ expiresInDays: null, scope: 'READ' }))
        .then([{ ...issued, data: { ...issued.data, scope: 'READ', expiresTime: null, time: now } }]));

    it('refuses a blank or overlong name, a scope that is not a level, and a lifetime that is not whole days', () => {
      given([])
        .when(issue({ name: '  ' }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'A token needs a name.');
      given([])
        .when(issue({ name: 'x'.repeat(257) }))
        .thenThrows('INVALID_PARAMETER_VALUE', "A token's name is at most 256 characters.");
      given([])
        .when(issue({ scope: 'ADMIN' }))
        .thenThrows('INVALID_PARAMETER_VALUE', "Invalid scope 'ADMIN'. Valid scopes are: READ, USE, EDIT, MANAGE");
      given([])
        .when(issue({ expiresInDays: 0 }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'expires_in_days must be a whole number of days, at least 1.');
      given([])
        .when(issue({ expiresInDays: 1.5 }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'expires_in_days must be a whole number of days, at least 1.');
      given([])
        .when(issue({ expiresInDays: 3651 }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'expires_in_days is at most 3650.');
    });
  });

  describe('RevokeToken', () => {
    it('given a token, its owner or an admin revokes it, once', () => {
      given([issued])
        .when(revoke(7))
        .then([{ type: 'TokenRevoked', data: { tokenId: 3, time: now } }]);
      given([issued])
        .when(revoke(1, true))
        .then([{ type: 'TokenRevoked', data: { tokenId: 3, time: now } }]);
      given([issued, { type: 'TokenRevoked', data: { tokenId: 3, time: now - 1 } }])
        .when(revoke(7))
        .then([]);
    });

    it("given someone else's token, answers not found, as for a token that does not exist", () => {
      given([issued]).when(revoke(8)).thenThrows('RESOURCE_DOES_NOT_EXIST', 'Token with id=3 not found');
      given([]).when(revoke(7)).thenThrows('RESOURCE_DOES_NOT_EXIST', 'Token with id=3 not found');
    });
  });
});
