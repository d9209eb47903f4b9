import { DomainEvent } from '@logbook/eventstore';

/**
 * A role's stream: the role, its grants and who holds it (MLflow 3.17's roles, role_permissions and
 * user_role_assignments). Ids are integers taken from sequences before the event records them.
 */
export type RoleCreated = DomainEvent<
  'RoleCreated',
  { roleId: number; name: string; workspace: string; description: string | null; time: number }
>;
export type RoleRenamed = DomainEvent<'RoleRenamed', { roleId: number; name: string; time: number }>;
export type RoleDescribed = DomainEvent<'RoleDescribed', { roleId: number; description: string; time: number }>;
/** Its grants and assignments end with it. */
export type RoleDeleted = DomainEvent<'RoleDeleted', { roleId: number; time: number }>;

export type RolePermissionAdded = DomainEvent<
  'RolePermissionAdded',
  { roleId: number; rolePermissionId: number; resourceType: string; resourcePattern: string; permission: string }
>;
export type RolePermissionUpdated = DomainEvent<
  'RolePermissionUpdated',
  { roleId: number; rolePermissionId: number; permission: string }
>;
export type RolePermissionRemoved = DomainEvent<'RolePermissionRemoved', { roleId: number; rolePermissionId: number }>;
/** The resource a grant names was renamed (a registered model): the grant follows it. */
export type RolePermissionRetargeted = DomainEvent<
  'RolePermissionRetargeted',
  { roleId: number; rolePermissionId: number; resourcePattern: string }
>;

export type UserAssigned = DomainEvent<'UserAssigned', { roleId: number; assignmentId: number; userId: number }>;
export type UserUnassigned = DomainEvent<'UserUnassigned', { roleId: number; assignmentId: number; userId: number }>;

export type RoleEvent =
  | RoleCreated
  | RoleRenamed
  | RoleDescribed
  | RoleDeleted
  | RolePermissionAdded
  | RolePermissionUpdated
  | RolePermissionRemoved
  | RolePermissionRetargeted
  | UserAssigned
  | UserUnassigned;
