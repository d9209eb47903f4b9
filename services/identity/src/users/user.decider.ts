import { Decider } from '@logbook/eventstore';
import { alreadyExists, CommandMetadata, invalidParameter, MlflowError, notFound } from '@logbook/platform';
import { UserEvent } from './user.events';

export interface UserState {
  exists: boolean;
  deleted: boolean;
  userId: number;
  username: string;
  isAdmin: boolean;
}

/** What the service looked up outside the stream: usernames are unique across all users. */
export interface UsernameHolder {
  usernameTaken: boolean;
}

export type UserCommand = { metadata: CommandMetadata } & (
  | {
      type: 'CreateUser';
      data: { userId: number; username: string; passwordHash: string; isAdmin: boolean } & UsernameHolder;
    }
  | { type: 'ChangeUserPassword'; data: { username: string; passwordHash: string } }
  /** `isAdmin` as the caller sent it: MLflow stores only what SQLAlchemy's Boolean takes. */
  | { type: 'ChangeUserAdmin'; data: { username: string; isAdmin: unknown } }
  /** `callerUsername`: who asks, when a user does (nobody may delete their own account). */
  | { type: 'DeleteUser'; data: { username: string; callerUsername: string | null } }
);

const initialState = (): UserState => ({ exists: false, deleted: false, userId: 0, username: '', isAdmin: false });

export const userNotFound = (username: string) => notFound(`User with username=${username} not found`);

/** MLflow's _validate_password, checked before the password is hashed. */
export function validatePassword(password: string): void {
  if (password.length < 12) throw invalidParameter('Password must be at least 12 characters.');
}

/** Python's repr of a JSON value, as SQLAlchemy quotes it refusing a non-boolean. */
function pythonRepr(value: unknown): string {
  if (typeof value !== 'string') return JSON.stringify(value);
  const escaped = value.replace(/\\/g, '\\\\');
  if (value.includes("'") && !value.includes('"')) return `"${escaped}"`;
  return `'${escaped.replace(/'/g, "\\'")}'`;
}

/**
 * SQLAlchemy's Boolean column takes True, False and None (no change), and 0 and 1, which Python counts
 * as equal to them; anything else fails the statement, answered as BAD_REQUEST.
 */
function adminFlag(value: unknown): boolean | null {
  if (value === null || typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  if (typeof value === 'number' && Number.isInteger(value)) {
    throw new MlflowError('BAD_REQUEST', `(builtins.ValueError) Value ${value} is not None, True, or False`);
  }
  throw new MlflowError('BAD_REQUEST', `(builtins.TypeError) Not a boolean value: ${pythonRepr(value)}`);
}

const isLive = (state: UserState) => state.exists && !state.deleted;

function requireUser(state: UserState, username: string): void {
  if (!isLive(state)) throw userNotFound(username);
}

function decide(command: UserCommand, state: UserState): UserEvent[] {
  const time = command.metadata.now;
  const key = { userId: state.userId, username: state.username };
  switch (command.type) {
    case 'CreateUser': {
      const { userId, username, passwordHash, isAdmin, usernameTaken } = command.data;
      if (username === '') throw invalidParameter('Username cannot be empty.');
      // MLflow's message goes on with the SQL error, which quotes the new password's hash: that tail is left out.
      if (usernameTaken || state.exists) throw alreadyExists(`User (username=${username}) already exists.`);
      return [{ type: 'UserCreated', data: { userId, username, passwordHash, isAdmin, time } }];
    }
    case 'ChangeUserPassword':
      requireUser(state, command.data.username);
      return [{ type: 'UserPasswordChanged', data: { ...key, passwordHash: command.data.passwordHash, time } }];
    case 'ChangeUserAdmin': {
      requireUser(state, command.data.username);
      const isAdmin = adminFlag(command.data.isAdmin);
      if (isAdmin === null || isAdmin === state.isAdmin) return [];
      return [{ type: 'UserAdminChanged', data: { ...key, isAdmin, time } }];
    }
    case 'DeleteUser': {
      const { username, callerUsername } = command.data;
      if (username === callerUsername) {
        throw new MlflowError(
          'BAD_REQUEST',
          'Users cannot delete their own account. Ask another admin to delete this user instead.',
        );
      }
      requireUser(state, username);
      return [{ type: 'UserDeleted', data: { ...key, time } }];
    }
  }
}

function evolve(state: UserState, event: UserEvent): UserState {
  switch (event.type) {
    case 'UserCreated':
      return {
        exists: true,
        deleted: false,
        userId: event.data.userId,
        username: event.data.username,
        isAdmin: event.data.isAdmin,
      };
    case 'UserPasswordChanged':
      return state;
    case 'UserAdminChanged':
      return { ...state, isAdmin: event.data.isAdmin };
    case 'UserDeleted':
      return { ...state, deleted: true };
  }
}

export const userDecider: Decider<UserState, UserCommand, UserEvent> = { initialState, evolve, decide };

/** Raise with any change to the state's shape or to `evolve`: heads of another version are folded again. */
export const userStateVersion = 1;

export const userStream = { streamType: 'user', decider: userDecider, stateVersion: userStateVersion };

export const userStreamId = (userId: number) => `user-${userId}`;
