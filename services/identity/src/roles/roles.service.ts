import { Inject, Injectable } from '@nestjs/common';
import { EventStore } from '@logbook/eventstore';
import { alreadyExists, CommandMetadata, Database, isUniqueViolation, MlflowError, Queryable } from '@logbook/platform';
import { IDENTITY_SCHEMA } from '../../migrations/001_initial';
import { DATABASE, EVENT_STORE } from '../shared/tokens';
import { userNotFound } from '../users/user.decider';
import { UsersQueries } from '../users/users.queries';
import { RoleCommand, roleStream, roleStreamId, userRoleName } from './role.decider';
import { RolesQueries } from './roles.queries';

type CommandOf<T extends RoleCommand['type']> = Extract<RoleCommand, { type: T }>['data'];

/** The stream a command for a role nobody can name goes to: ids start at 1, so none exists and its decider answers 404. */
export const NO_ROLE = 0;

/** Workspaces are off in Logbook: every grant made for a request is made in MLflow's default workspace. */
export const DEFAULT_WORKSPACE = 'default';

const SEQUENCES = {
  role: `${IDENTITY_SCHEMA}.role_ids`,
  rolePermission: `${IDENTITY_SCHEMA}.role_permission_ids`,
  assignment: `${IDENTITY_SCHEMA}.role_assignment_ids`,
};

const MAX_ATTEMPTS = 8;

@Injectable()
export class RolesService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DATABASE) private readonly db: Database,
    private readonly queries: RolesQueries,
    private readonly users: UsersQueries,
  ) {}

  async create(
    request: { name: string; workspace: string; description: string | null },
    metadata: CommandMetadata,
  ): Promise<number> {
    const holder = await this.queries.findByName(request.workspace, request.name);
    const roleId = await this.nextId('role');
    try {
      await this.execute(roleId, 'CreateRole', { ...request, nameTaken: !!holder }, metadata);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw alreadyExists(`Role (name=${request.name}, workspace=${request.workspace}) already exists.`);
    }
    return roleId;
  }

  async update(
    roleId: number,
    request: { name: string | null; description: string | null },
    metadata: CommandMetadata,
  ): Promise<void> {
    const workspace = await this.queries.workspaceOf(roleId);
    const holder =
      request.name !== null && workspace !== null ? await this.queries.findByName(workspace, request.name) : null;
    try {
      await this.execute(roleId, 'UpdateRole', { ...request, nameTaken: !!holder && holder.id !== roleId }, metadata);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw alreadyExists(`Role with name=${request.name} already exists in workspace=${workspace}`);
    }
  }

  async delete(roleId: number, metadata: CommandMetadata): Promise<void> {
    await this.execute(roleId, 'DeleteRole', {}, metadata);
  }

  async addPermission(
    roleId: number,
    grant: { resourceType: unknown; resourcePattern: unknown; permission: unknown },
    metadata: CommandMetadata,
  ): Promise<number> {
    const rolePermissionId = await this.nextId('rolePermission');
    try {
      await this.execute(roleId, 'AddRolePermission', { rolePermissionId, ...grant }, metadata);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw alreadyExists(
        `Role permission (role_id=${roleId}, resource_type=${grant.resourceType}, resource_pattern=${grant.resourcePattern}) already exists.`,
      );
    }
    return rolePermissionId;
  }

  /** Answers the role the permission belongs to. */
  async updatePermission(rolePermissionId: number, permission: unknown, metadata: CommandMetadata): Promise<number> {
    const roleId = (await this.queries.roleOfPermission(rolePermissionId)) ?? NO_ROLE;
    await this.execute(roleId, 'UpdateRolePermission', { rolePermissionId, permission }, metadata);
    return roleId;
  }

  async removePermission(rolePermissionId: number, metadata: CommandMetadata): Promise<void> {
    const roleId = (await this.queries.roleOfPermission(rolePermissionId)) ?? NO_ROLE;
    await this.execute(roleId, 'RemoveRolePermission', { rolePermissionId }, metadata);
  }

  /** Answers the assignment's id. */
  async assign(username: string, roleId: number, metadata: CommandMetadata): Promise<{ id: number; userId: number }> {
    const userId = await this.userIdOf(username);
    const assignmentId = await this.nextId('assignment');
    try {
      await this.execute(roleId, 'AssignUser', { assignmentId, userId }, metadata);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw alreadyExists(`User role assignment (user_id=${userId}, role_id=${roleId}) already exists`);
    }
    return { id: assignmentId, userId };
  }

  async unassign(username: string, roleId: number, metadata: CommandMetadata): Promise<void> {
    const userId = await this.userIdOf(username);
    await this.execute(roleId, 'UnassignUser', { userId }, metadata);
  }

  /** A grant on the user's own role in the default workspace; the role is made with the first one. */
  async grantToUser(
    username: string,
    grant: { resourceType: string; resourceId: string; permission: unknown },
    metadata: CommandMetadata,
  ): Promise<void> {
    const userId = await this.userIdOf(username);
    for (let attempt = 1; ; attempt++) {
      const own = await this.queries.findByName(DEFAULT_WORKSPACE, userRoleName(userId));
      const roleId = own?.id ?? (await this.nextId('role'));
      const [assignmentId, rolePermissionId] = [await this.nextId('assignment'), await this.nextId('rolePermission')];
      const data = { ...grant, username, userId, workspace: DEFAULT_WORKSPACE, assignmentId, rolePermissionId };
      try {
        await this.execute(roleId, 'GrantUserPermission', data, metadata);
        return;
      } catch (error) {
        // A concurrent first grant made the user's role under another id: the next attempt finds it.
        if (!isUniqueViolation(error) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  async revokeFromUser(
    username: string,
    grant: { resourceType: string; resourceId: string },
    metadata: CommandMetadata,
  ): Promise<void> {
    const userId = await this.userIdOf(username);
    const own = await this.queries.findByName(DEFAULT_WORKSPACE, userRoleName(userId));
    await this.execute(own?.id ?? NO_ROLE, 'RevokeUserPermission', { ...grant, username }, metadata);
  }

  /** A resource was renamed (MLflow's rename_grants_for_resource): every role's grant on it follows. */
  async retargetGrants(resourceType: string, from: string, to: string, metadata: CommandMetadata): Promise<void> {
    for (const { roleId } of await this.queries.grantsOn(resourceType, from)) {
      await this.execute(roleId, 'RetargetRolePermission', { resourceType, from, to }, metadata);
    }
  }

  /** A resource was deleted (MLflow's delete_grants_for_resource): no grant outlives it to pass to a namesake. */
  async removeGrantsOn(resourceType: string, resourceId: string, metadata: CommandMetadata): Promise<void> {
    for (const { roleId, rolePermissionId } of await this.queries.grantsOn(resourceType, resourceId)) {
      try {
        await this.execute(roleId, 'RemoveRolePermission', { rolePermissionId }, metadata);
      } catch (error) {
        // Removed meanwhile, with its role or by an admin: what this wanted.
        if (!(error instanceof MlflowError && error.errorCode === 'RESOURCE_DOES_NOT_EXIST')) throw error;
      }
    }
  }

  /**
   * What a user's deletion ends, in the deletion's transaction: their own roles are deleted (MLflow deletes
   * them by name), and they are unassigned from every other role, so each role's stream records who
   * stopped holding it.
   */
  async forgetUserIn(tx: Queryable, userId: number, metadata: CommandMetadata): Promise<void> {
    for (const { roleId, name } of await this.queries.heldBy(tx, userId)) {
      const command: RoleCommand =
        name === userRoleName(userId)
          ? { type: 'DeleteRole', roleId, data: {}, metadata }
          : { type: 'UnassignUser', roleId, data: { userId }, metadata };
      await this.store.handleIn(tx, roleStream, roleStreamId(roleId), command, metadata);
    }
  }

  private async userIdOf(username: string): Promise<number> {
    const user = await this.users.findByUsername(username);
    if (!user) throw userNotFound(username);
    return user.id;
  }

  private async nextId(sequence: keyof typeof SEQUENCES): Promise<number> {
    const { rows } = await this.db.query<{ id: string }>(`SELECT nextval('${SEQUENCES[sequence]}') AS id`);
    return Number(rows[0].id);
  }

  private async execute<T extends RoleCommand['type']>(
    roleId: number,
    type: T,
    data: CommandOf<T>,
    metadata: CommandMetadata,
  ): Promise<void> {
    await this.store.handle(
      roleStream,
      roleStreamId(roleId),
      { type, roleId, data, metadata } as RoleCommand,
      metadata,
    );
  }
}
