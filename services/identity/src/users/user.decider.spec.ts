import { describe, it } from 'node:test';
import { CommandMetadata } from '@logbook/platform';
import { spec } from '@logbook/testing';
import { UserCommand, userDecider } from './user.decider';
import { UserEvent } from './user.events';

const now = 1_700_000_000_000;
const metadata: CommandMetadata = {
  now,
  actor: { id: 'admin', kind: 'user', name: 'admin', authMethod: 'basic' },
  requestId: 'req-1',
};
const userId = 7;
const username = 'alice';
const key = { userId, username };
const hash = 'scrypt:32768:8:1$aaaaaaaaaaaaaaaa$00';
const given = spec(userDecider).given;

const created: UserEvent = {
  type: 'UserCreated',
  data: { ...key, passwordHash: hash, isAdmin: false, time: now - 100 },
};
const madeAdmin: UserEvent = { type: 'UserAdminChanged', data: { ...key, isAdmin: true, time: now - 50 } };
const deleted: UserEvent = { type: 'UserDeleted', data: { ...key, time: now - 10 } };

const command = <T extends UserCommand['type']>(
  type: T,
  data: Extract<UserCommand, { type: T }>['data'],
): UserCommand => ({ type, data, metadata }) as UserCommand;
const create = (data: Partial<Extract<UserCommand, { type: 'CreateUser' }>['data']> = {}) =>
  command('CreateUser', { userId, username, passwordHash: hash, isAdmin: false, usernameTaken: false, ...data });
const changeAdmin = (isAdmin: unknown) => command('ChangeUserAdmin', { username, isAdmin });

describe('user decider', () => {
  describe('CreateUser', () => {
    it('creates the user with the hash the service computed', () =>
      given([])
        .when(create({ isAdmin: true }))
        .then([{ type: 'UserCreated', data: { ...key, passwordHash: hash, isAdmin: true, time: now } }]));

    it('refuses a username another user holds, without the SQL tail MLflow appends', () =>
      given([])
        .when(create({ usernameTaken: true }))
        .thenThrows('RESOURCE_ALREADY_EXISTS', 'User (username=alice) already exists.'));

    it('refuses an empty username', () =>
      given([])
        .when(create({ username: '' }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'Username cannot be empty.'));
  });

  describe('ChangeUserPassword', () => {
    it('records the new hash', () =>
      given([created])
        .when(command('ChangeUserPassword', { username, passwordHash: 'new' }))
        .then([{ type: 'UserPasswordChanged', data: { ...key, passwordHash: 'new', time: now } }]));

    it('refuses a user that does not exist or was deleted', () => {
      given([])
        .when(command('ChangeUserPassword', { username: 'ghost', passwordHash: 'new' }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'User with username=ghost not found');
      given([created, deleted])
        .when(command('ChangeUserPassword', { username, passwordHash: 'new' }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'User with username=alice not found');
    });
  });

  describe('ChangeUserAdmin', () => {
    it('makes a user an admin and back', () => {
      given([created])
        .when(changeAdmin(true))
        .then([{ type: 'UserAdminChanged', data: { ...key, isAdmin: true, time: now } }]);
      given([created, madeAdmin])
        .when(changeAdmin(false))
        .then([{ type: 'UserAdminChanged', data: { ...key, isAdmin: false, time: now } }]);
    });

    it('takes 0 and 1 as Python does, and changes nothing for null or the flag the user already has', () => {
      given([created])
        .when(changeAdmin(1))
        .then([{ type: 'UserAdminChanged', data: { ...key, isAdmin: true, time: now } }]);
      given([created]).when(changeAdmin(null)).thenNothing();
      given([created, madeAdmin]).when(changeAdmin(true)).thenNothing();
      given([created]).when(changeAdmin(0)).thenNothing();
    });

    it("refuses what SQLAlchemy's Boolean refuses, with its words", () => {
      given([created])
        .when(changeAdmin('true'))
        .thenThrows('BAD_REQUEST', "(builtins.TypeError) Not a boolean value: 'true'");
      given([created])
        .when(changeAdmin(2))
        .thenThrows('BAD_REQUEST', '(builtins.ValueError) Value 2 is not None, True, or False');
    });

    it('looks the user up before judging the flag', () =>
      given([]).when(changeAdmin('yes')).thenThrows('RESOURCE_DOES_NOT_EXIST', 'User with username=alice not found'));
  });

  describe('DeleteUser', () => {
    it('deletes another user', () =>
      given([created])
        .when(command('DeleteUser', { username, callerUsername: 'admin' }))
        .then([{ type: 'UserDeleted', data: { ...key, time: now } }]));

    it('deletes for a caller who is no user (authentication off, the system)', () =>
      given([created])
        .when(command('DeleteUser', { username, callerUsername: null }))
        .then([{ type: 'UserDeleted', data: { ...key, time: now } }]));

    it('refuses a user deleting their own account, before looking it up', () => {
      given([created, madeAdmin])
        .when(command('DeleteUser', { username, callerUsername: username }))
        .thenThrows(
          'BAD_REQUEST',
          'Users cannot delete their own account. Ask another admin to delete this user instead.',
        );
      given([])
        .when(command('DeleteUser', { username, callerUsername: username }))
        .thenThrows('BAD_REQUEST', 'Users cannot delete their own account.');
    });

    it('refuses a user already deleted', () =>
      given([created, deleted])
        .when(command('DeleteUser', { username, callerUsername: 'admin' }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'User with username=alice not found'));
  });
});
