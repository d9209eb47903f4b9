import { pythonRepr } from '@logbook/access';
import { Decider } from '@logbook/eventstore';
import { alreadyExists, CommandMetadata, invalidParameter, notFound } from '@logbook/platform';
import {
  refuseWorkspaceType,
  requireGrantable,
  requirePatternGrain,
  requireResourceType,
} from '../permissions/permission-levels';
import { RoleEvent } from './role.events';

export interface RolePermissionState {
  rolePermissionId: number;
  resourceType: string;
  resourcePattern: string;
  permission: string;
}

export interface RoleState {
  exists: boolean;
  deleted: boolean;
  roleId: number;
  name: string;
  workspace: string;
  permissions: RolePermissionState[];
  assignments: Array<{ assignmentId: number; userId: number }>;
}

/** What the service looked up outside the stream: role names are unique within a workspace. */
export interface RoleNameHolder {
  nameTaken: boolean;
}

/** A grant on a user's own role, as the per-user permission API names it. */
interface UserGrant {
  username: string;
  resourceType: string;
  resourceId: string;
}

/** `roleId`: the role the command is for, which names it in refusals even when it does not exist. */
export type RoleCommand = { metadata: CommandMetadata; roleId: number } & (
  | {
      type: 'CreateRole';
      data: { name: string; workspace: string; description: string | null } & RoleNameHolder;
    }
  /** A null field is left as it is. */
  | { type: 'UpdateRole'; data: { name: string | null; description: string | null } & RoleNameHolder }
  | { type: 'DeleteRole'; data: Record<string, never> }
  | {
      type: 'AddRolePermission';
      data: { rolePermissionId: number; resourceType: unknown; resourcePattern: unknown; permission: unknown };
    }
  | { type: 'UpdateRolePermission'; data: { rolePermissionId: number; permission: unknown } }
  | { type: 'RemoveRolePermission'; data: { rolePermissionId: number } }
  /**
   * The resource was renamed: the role's grant on the old id moves to the new one, or gives way to a grant
   * the role already has on the new id.
   */
  | { type: 'RetargetRolePermission'; data: { resourceType: string; from: string; to: string } }
  | { type: 'AssignUser'; data: { assignmentId: number; userId: number } }
  | { type: 'UnassignUser'; data: { userId: number } }
  /**
   * Insert-only, on the user's own role in `workspace`: made and assigned to the user with the first grant,
   * the ids for which the service took beforehand.
   */
  | {
      type: 'GrantUserPermission';
      data: UserGrant & {
        userId: number;
        workspace: string;
        assignmentId: number;
        rolePermissionId: number;
        permission: unknown;
      };
    }
  | { type: 'RevokeUserPermission'; data: UserGrant }
);

/** The prefix of the roles that hold a user's own grants, one per user and workspace; no other role may use it. */
export const USER_ROLE_PREFIX = '__user_';
export const userRoleName = (userId: number) => `${USER_ROLE_PREFIX}${userId}__`;
export const isUserRoleName = (name: string) => /^__user_\d+__$/.test(name);

const initialState = (): RoleState => ({
  exists: false,
  deleted: false,
  roleId: 0,
  name: '',
  workspace: '',
  permissions: [],
  assignments: [],
});

export const roleNotFound = (roleId: number) => notFound(`Role with id=${roleId} not found`);
export const rolePermissionNotFound = (rolePermissionId: number) =>
  notFound(`Role permission with id=${rolePermissionId} not found`);
export const assignmentNotFound = (userId: number, roleId: number) =>
  notFound(`User role assignment (user_id=${userId}, role_id=${roleId}) not found`);

/** MLflow's handlers judge these before the store is asked, so they come before the reserved prefix. */
export function requireRoleName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.trim() === '') throw invalidParameter('Role name cannot be empty.');
}

function refuseReservedName(name: string): void {
  if (name.startsWith(USER_ROLE_PREFIX)) {
    throw invalidParameter(
      `Role name ${pythonRepr(name)} uses the reserved '__user_' prefix, which is held for the per-user permission representation. Choose a different name.`,
    );
  }
}

const isLive = (state: RoleState) => state.exists && !state.deleted;

function requireRole(state: RoleState, roleId: number): void {
  if (!isLive(state)) throw roleNotFound(roleId);
}

function findPermission(state: RoleState, rolePermissionId: number): RolePermissionState {
  const found = isLive(state) && state.permissions.find((p) => p.rolePermissionId === rolePermissionId);
  if (!found) throw rolePermissionNotFound(rolePermissionId);
  return found;
}

const grantOn = (state: RoleState, resourceType: string, resourcePattern: string) =>
  state.permissions.find((p) => p.resourceType === resourceType && p.resourcePattern === resourcePattern);

function decide(command: RoleCommand, state: RoleState): RoleEvent[] {
  const time = command.metadata.now;
  const roleId = command.roleId;
  switch (command.type) {
    case 'CreateRole': {
      const { name, workspace, description, nameTaken } = command.data;
      requireRoleName(name);
      if (workspace.trim() === '') throw invalidParameter('Workspace cannot be empty.');
      refuseReservedName(name);
      // MLflow's message goes on with the SQL error; that tail is left out.
      if (nameTaken || state.exists) throw alreadyExists(`Role (name=${name}, workspace=${workspace}) already exists.`);
      return [{ type: 'RoleCreated', data: { roleId, name, workspace, description, time } }];
    }
    case 'UpdateRole': {
      const { name, description, nameTaken } = command.data;
      if (name !== null) refuseReservedName(name);
      requireRole(state, roleId);
      const events: RoleEvent[] = [];
      if (name !== null && name !== state.name) {
        if (nameTaken) throw alreadyExists(`Role with name=${name} already exists in workspace=${state.workspace}`);
        events.push({ type: 'RoleRenamed', data: { roleId, name, time } });
      }
      if (description !== null) events.push({ type: 'RoleDescribed', data: { roleId, description, time } });
      return events;
    }
    case 'DeleteRole':
      requireRole(state, roleId);
      return [{ type: 'RoleDeleted', data: { roleId, time } }];
    case 'AddRolePermission': {
      const { rolePermissionId, resourceType, resourcePattern, permission } = command.data;
      requireGrantable(permission, resourceType);
      requirePatternGrain(resourcePattern, resourceType);
      requireRole(state, roleId);
      const [type, pattern] = [resourceType as string, String(resourcePattern)];
      if (grantOn(state, type, pattern)) {
        throw alreadyExists(
          `Role permission (role_id=${roleId}, resource_type=${type}, resource_pattern=${pattern}) already exists.`,
        );
      }
      return [
        {
          type: 'RolePermissionAdded',
          data: {
            roleId,
            rolePermissionId,
            resourceType: type,
            resourcePattern: pattern,
            permission: permission as string,
          },
        },
      ];
    }
    case 'UpdateRolePermission': {
      const { rolePermissionId, permission } = command.data;
      const granted = findPermission(state, rolePermissionId);
      requireGrantable(permission, granted.resourceType);
      if (permission === granted.permission) return [];
      return [{ type: 'RolePermissionUpdated', data: { roleId, rolePermissionId, permission: permission as string } }];
    }
    case 'RemoveRolePermission': {
      const { rolePermissionId } = findPermission(state, command.data.rolePermissionId);
      return [{ type: 'RolePermissionRemoved', data: { roleId, rolePermissionId } }];
    }
    case 'RetargetRolePermission': {
      const { resourceType, from, to } = command.data;
      const granted = isLive(state) && grantOn(state, resourceType, from);
      if (!granted || from === to) return [];
      const { rolePermissionId } = granted;
      return grantOn(state, resourceType, to)
        ? [{ type: 'RolePermissionRemoved', data: { roleId, rolePermissionId } }]
        : [{ type: 'RolePermissionRetargeted', data: { roleId, rolePermissionId, resourcePattern: to } }];
    }
    case 'AssignUser': {
      const { assignmentId, userId } = command.data;
      requireRole(state, roleId);
      if (state.assignments.some((a) => a.userId === userId)) {
        throw alreadyExists(`User role assignment (user_id=${userId}, role_id=${roleId}) already exists`);
      }
      return [{ type: 'UserAssigned', data: { roleId, assignmentId, userId } }];
    }
    case 'UnassignUser': {
      const { userId } = command.data;
      const assignment = isLive(state) && state.assignments.find((a) => a.userId === userId);
      // MLflow looks for the assignment alone: an unknown role answers the same.
      if (!assignment) throw assignmentNotFound(userId, roleId);
      return [{ type: 'UserUnassigned', data: { roleId, assignmentId: assignment.assignmentId, userId } }];
    }
    case 'GrantUserPermission': {
      const { username, resourceType, resourceId, permission, userId, workspace, assignmentId } = command.data;
      refuseWorkspaceType(resourceType);
      requirePatternGrain(resourceId, resourceType);
      requireGrantable(permission, resourceType);
      const events: RoleEvent[] = [];
      if (!isLive(state)) {
        const name = userRoleName(userId);
        events.push({ type: 'RoleCreated', data: { roleId, name, workspace, description: null, time } });
      }
      if (!isLive(state) || !state.assignments.some((a) => a.userId === userId)) {
        events.push({ type: 'UserAssigned', data: { roleId, assignmentId, userId } });
      }
      if (isLive(state) && grantOn(state, resourceType, resourceId)) {
        throw alreadyExists(
          `Permission for user=${username} on resource_type=${resourceType}, resource_id=${resourceId} already exists.`,
        );
      }
      const { rolePermissionId } = command.data;
      events.push({
        type: 'RolePermissionAdded',
        data: { roleId, rolePermissionId, resourceType, resourcePattern: resourceId, permission: permission as string },
      });
      return events;
    }
    case 'RevokeUserPermission': {
      const { username, resourceType, resourceId } = command.data;
      refuseWorkspaceType(resourceType);
      requireResourceType(resourceType);
      const granted = isLive(state) && grantOn(state, resourceType, resourceId);
      if (!granted) {
        throw notFound(
          `Permission for user=${username} on resource_type=${resourceType}, resource_id=${resourceId} not found.`,
        );
      }
      return [{ type: 'RolePermissionRemoved', data: { roleId, rolePermissionId: granted.rolePermissionId } }];
    }
  }
}

function evolve(state: RoleState, event: RoleEvent): RoleState {
  switch (event.type) {
    case 'RoleCreated':
      return {
        ...initialState(),
        exists: true,
        roleId: event.data.roleId,
        name: event.data.name,
        workspace: event.data.workspace,
      };
    case 'RoleRenamed':
      return { ...state, name: event.data.name };
    case 'RoleDescribed':
      return state;
    case 'RoleDeleted':
      return { ...state, deleted: true, permissions: [], assignments: [] };
    case 'RolePermissionAdded': {
      const { rolePermissionId, resourceType, resourcePattern, permission } = event.data;
      return {
        ...state,
        permissions: [...state.permissions, { rolePermissionId, resourceType, resourcePattern, permission }],
      };
    }
    case 'RolePermissionUpdated':
      return {
        ...state,
        permissions: state.permissions.map((p) =>
          p.rolePermissionId === event.data.rolePermissionId ? { ...p, permission: event.data.permission } : p,
        ),
      };
    case 'RolePermissionRemoved':
      return {
        ...state,
        permissions: state.permissions.filter((p) => p.rolePermissionId !== event.data.rolePermissionId),
      };
    case 'RolePermissionRetargeted':
      return {
        ...state,
        permissions: state.permissions.map((p) =>
          p.rolePermissionId === event.data.rolePermissionId
            ? { ...p, resourcePattern: event.data.resourcePattern }
            : p,
        ),
      };
    case 'UserAssigned':
      return {
        ...state,
        assignments: [...state.assignments, { assignmentId: event.data.assignmentId, userId: event.data.userId }],
      };
    case 'UserUnassigned':
      return { ...state, assignments: state.assignments.filter((a) => a.userId !== event.data.userId) };
  }
}

export const roleDecider: Decider<RoleState, RoleCommand, RoleEvent> = { initialState, evolve, decide };

/** Raise with any change to the state's shape or to `evolve`: heads of another version are folded again. */
export const roleStateVersion = 2;

export const roleStream = { streamType: 'role', decider: roleDecider, stateVersion: roleStateVersion };

export const roleStreamId = (roleId: number) => `role-${roleId}`;
