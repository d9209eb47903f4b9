import { effectivePermission, foldGrants, isWorkspaceAdminGrant, ResourceKey } from './effective-permission';
import { Grant, PERMISSION_LEVELS, PermissionName, WILDCARD } from './permission-levels';

/** What a request does to a resource, as MLflow's validators name it (can_read, can_use, ...). */
export type Action = 'read' | 'use' | 'update' | 'delete' | 'manage';

const ACTION_FLAG = {
  read: 'canRead',
  use: 'canUse',
  update: 'canUpdate',
  delete: 'canDelete',
  manage: 'canManage',
} as const;

export const permits = (permission: PermissionName, action: Action): boolean =>
  PERMISSION_LEVELS[permission][ACTION_FLAG[action]];

/** Everything that decides what one user may do: the grants of every role they hold, and the default. */
export interface UserGrants {
  grants: Grant[];
  defaultPermission: PermissionName;
  /** The names of the roles the user holds (assigned, or through an identity provider's groups): what approval policies name. */
  roles: string[];
}

/**
 * A resource and the tier below it that a request reaches through it: a run or logged model through its
 * experiment, a model version through its registered model. A grant on the tier's wildcard decides for
 * every resource of that tier (MLflow's tier override); without one, the parent's permission does.
 */
export interface Target extends ResourceKey {
  tier?: string;
}

const priority = (name: PermissionName) => PERMISSION_LEVELS[name].priority;

/** A positive grant never resolves below the default permission. */
const floored = (granted: PermissionName, defaultPermission: PermissionName): PermissionName =>
  granted === 'DENY' || priority(granted) >= priority(defaultPermission) ? granted : defaultPermission;

/** The permission a user's grants give on a target. */
export function permissionOn(user: UserGrants, target: Target): PermissionName {
  if (user.grants.some(isWorkspaceAdminGrant)) return 'MANAGE';
  if (target.tier !== undefined) {
    const tier = foldGrants(user.grants, { resourceType: target.tier, resourceId: WILDCARD });
    if (tier !== null) return floored(tier, user.defaultPermission);
  }
  return effectivePermission(user.grants, target, user.defaultPermission);
}

/** A token's scope caps what its owner's permission lets it do; a user's own sign-in has no cap. */
export function capped(permission: PermissionName, scope: PermissionName | undefined): PermissionName {
  if (scope === undefined || priority(permission) <= priority(scope)) return permission;
  return scope;
}

/**
 * May a user create a resource of this type (named `name`, when it is known before it exists)? Anyone
 * signed in may, unless a DENY on the type, or on that name, says otherwise (MLflow's create veto).
 */
export function mayCreate(user: UserGrants, resourceType: string, name: string = WILDCARD): boolean {
  if (user.grants.some(isWorkspaceAdminGrant)) return true;
  return foldGrants(user.grants, { resourceType, resourceId: name }) !== 'DENY';
}

/**
 * Which resources of a type a user may read, for filtering a listing: every one but some, or only some.
 * Both lists hold only ids that grants name, so they stay as short as the user's grants.
 */
export type ReadableSet = { all: true; except: string[] } | { all: false; only: string[] };

export const EVERYTHING_READABLE: ReadableSet = { all: true, except: [] };

export const isReadable = (set: ReadableSet, id: string): boolean =>
  set.all ? !set.except.includes(id) : set.only.includes(id);

/**
 * The resources of `resourceType` a user may read (reached through `tier`, when the listing shows that
 * tier's rows), decided as permissionOn decides each one, so a listing never shows what its own route
 * would refuse.
 */
export function readableSet(user: UserGrants, resourceType: string, tier?: string): ReadableSet {
  if (user.grants.some(isWorkspaceAdminGrant)) return EVERYTHING_READABLE;
  if (tier !== undefined) {
    const tierGrant = foldGrants(user.grants, { resourceType: tier, resourceId: WILDCARD });
    if (tierGrant !== null) {
      return permits(floored(tierGrant, user.defaultPermission), 'read')
        ? EVERYTHING_READABLE
        : { all: false, only: [] };
    }
  }
  const named = new Set(
    user.grants
      .filter((grant) => grant.resourceType === resourceType && grant.resourcePattern !== WILDCARD)
      .map((grant) => grant.resourcePattern),
  );
  const unnamedReadable = permits(
    effectivePermission(user.grants, { resourceType, resourceId: WILDCARD }, user.defaultPermission),
    'read',
  );
  const readable = (id: string) =>
    permits(effectivePermission(user.grants, { resourceType, resourceId: id }, user.defaultPermission), 'read');
  const ids = [...named];
  return unnamedReadable
    ? { all: true, except: ids.filter((id) => !readable(id)) }
    : { all: false, only: ids.filter(readable) };
}
