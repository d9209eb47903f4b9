import { Inject, Injectable } from '@nestjs/common';
import { EventStore } from '@logbook/eventstore';
import {
  alreadyExists,
  CommandMetadata,
  Database,
  invalidParameter,
  isUniqueViolation,
  MlflowError,
} from '@logbook/platform';
import { IDENTITY_SCHEMA } from '../../migrations/001_initial';
import { CredentialCache } from '../authentication/credential-cache';
import { RolesService } from '../roles/roles.service';
import { DATABASE, EVENT_STORE } from '../shared/tokens';
import { hashPassword, NO_PASSWORD, verifyPassword } from './password-hash';
import { UserCommand, userNotFound, userStream, userStreamId, validatePassword } from './user.decider';
import { UserRecord, UsersQueries } from './users.queries';

type CommandOf<T extends UserCommand['type']> = Extract<UserCommand, { type: T }>['data'];

/** The stream a command for a username nobody holds goes to: ids start at 1, so none exists and its decider answers 404. */
export const NO_USER = 0;

const taken = (username: string) => alreadyExists(`User (username=${username}) already exists.`);

@Injectable()
export class UsersService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DATABASE) private readonly db: Database,
    private readonly queries: UsersQueries,
    private readonly credentials: CredentialCache,
    private readonly roles: RolesService,
  ) {}

  /** Creates a user and returns its id. */
  async create(
    request: { username: string; password: string; isAdmin: boolean },
    metadata: CommandMetadata,
  ): Promise<number> {
    validatePassword(request.password);
    return this.add(request.username, await hashPassword(request.password), request.isAdmin, metadata);
  }

  /**
   * The user an identity provider vouched for, created on first sight without a password. Two first
   * requests at once both find it made: the one that lost the race reads the winner's.
   */
  async provision(username: string, metadata: CommandMetadata): Promise<UserRecord> {
    const existing = await this.queries.findByUsername(username);
    if (existing) return existing;
    try {
      await this.add(username, NO_PASSWORD, false, metadata);
    } catch (error) {
      if (!(error instanceof MlflowError && error.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw error;
    }
    return (await this.queries.findByUsername(username)) as UserRecord;
  }

  private async add(username: string, passwordHash: string, isAdmin: boolean, metadata: CommandMetadata) {
    const holder = await this.queries.findByUsername(username);
    const { rows } = await this.db.query<{ id: string }>(`SELECT nextval('${IDENTITY_SCHEMA}.user_ids') AS id`);
    const userId = Number(rows[0].id);
    await this.execute(
      userId,
      'CreateUser',
      { userId, username, passwordHash, isAdmin, usernameTaken: !!holder },
      metadata,
    );
    return userId;
  }

  /**
   * A new password for `username`, or none (MLflow leaves it as it is when the password is null). A user
   * changing their own proves the current one first; an admin changing another's does not.
   */
  async changePassword(
    request: { username: string; password: string | null; currentPassword?: string },
    callerUsername: string | null,
    metadata: CommandMetadata,
  ): Promise<void> {
    const { username, password, currentPassword } = request;
    if (callerUsername === username) {
      if (!currentPassword) {
        throw invalidParameter('Current password is required when changing your own password.');
      }
      const self = await this.queries.findByUsername(username);
      if (!self || !(await verifyPassword(self.passwordHash, currentPassword))) {
        throw invalidParameter('Current password does not match.');
      }
      if (password === currentPassword) throw invalidParameter('New password must differ from the current password.');
    }
    // Looked up before the password is judged and hashed, as MLflow's update_user does.
    const user = await this.queries.findByUsername(username);
    if (!user) throw userNotFound(username);
    if (password === null) return;
    validatePassword(password);
    const passwordHash = await hashPassword(password);
    await this.execute(user.id, 'ChangeUserPassword', { username, passwordHash }, metadata);
    this.credentials.forget(username);
  }

  async changeAdmin(username: string, isAdmin: unknown, metadata: CommandMetadata): Promise<void> {
    const user = await this.queries.findByUsername(username);
    await this.execute(user?.id ?? NO_USER, 'ChangeUserAdmin', { username, isAdmin }, metadata);
    this.credentials.forget(username);
  }

  /**
   * Deletes the user and, in the same transaction, their own roles and their assignments to every other
   * role (MLflow's delete_user), as commands to those roles' streams: each role's history says who
   * stopped holding it, and no role outlives its user by a crash between two writes.
   */
  async delete(username: string, callerUsername: string | null, metadata: CommandMetadata): Promise<void> {
    const user = await this.queries.findByUsername(username);
    const userId = user?.id ?? NO_USER;
    const command = { type: 'DeleteUser', data: { username, callerUsername }, metadata } as UserCommand;
    await this.store.transaction(async (tx) => {
      await this.store.handleIn(tx, userStream, userStreamId(userId), command, metadata);
      await this.roles.forgetUserIn(tx, userId, metadata);
    });
    this.credentials.forget(username);
  }

  private async execute<T extends UserCommand['type']>(
    userId: number,
    type: T,
    data: CommandOf<T>,
    metadata: CommandMetadata,
  ): Promise<void> {
    try {
      await this.store.handle(userStream, userStreamId(userId), { type, data, metadata } as UserCommand, metadata);
    } catch (error) {
      if (type === 'CreateUser' && isUniqueViolation(error)) throw taken((data as CommandOf<'CreateUser'>).username);
      throw error;
    }
  }
}
