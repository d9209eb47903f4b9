/**
 * MLflow 3.17's permission levels and resource types (mlflow/server/auth/permissions.py), with the words
 * its validation answers in. Pure: the services turn a problem into their own error.
 */

export type PermissionName = 'READ' | 'USE' | 'EDIT' | 'MANAGE' | 'NO_PERMISSIONS' | 'DENY';

export interface PermissionLevel {
  name: PermissionName;
  canRead: boolean;
  canUse: boolean;
  canUpdate: boolean;
  canDelete: boolean;
  canManage: boolean;
  /** DENY is below everything so it never wins a maximum; the fold vetoes with it before that. */
  priority: number;
}

const level = (name: PermissionName, flags: string, priority: number): PermissionLevel => ({
  name,
  canRead: flags[0] === 'r',
  canUse: flags[1] === 'u',
  canUpdate: flags[2] === 'w',
  canDelete: flags[3] === 'd',
  canManage: flags[4] === 'm',
  priority,
});

/** In MLflow's order, which its "Valid permissions are" message lists. */
export const PERMISSION_LEVELS: Readonly<Record<PermissionName, PermissionLevel>> = {
  READ: level('READ', 'r----', 1),
  USE: level('USE', 'ru---', 2),
  EDIT: level('EDIT', 'ruw--', 3),
  MANAGE: level('MANAGE', 'ruwdm', 4),
  NO_PERMISSIONS: level('NO_PERMISSIONS', '-----', 0),
  DENY: level('DENY', '-----', -1),
};

export const PERMISSION_NAMES = Object.keys(PERMISSION_LEVELS) as PermissionName[];

export const isPermissionName = (value: unknown): value is PermissionName =>
  typeof value === 'string' && Object.prototype.hasOwnProperty.call(PERMISSION_LEVELS, value);

/** The levels a default permission may be configured to (DENY is a grant, never a default). */
export const DEFAULT_PERMISSION_NAMES: PermissionName[] = ['READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS'];

export const WORKSPACE = 'workspace';
export const WILDCARD = '*';

/** Whether a type's grants may name one resource (`id`) besides all of them (`*`, every type). */
export type PatternGrain = 'wildcard' | 'wildcard-and-id';

export const RESOURCE_TYPES: Readonly<Record<string, PatternGrain>> = {
  workspace: 'wildcard',
  experiment: 'wildcard-and-id',
  registered_model: 'wildcard-and-id',
  prompt: 'wildcard-and-id',
  scorer: 'wildcard-and-id',
  gateway_secret: 'wildcard-and-id',
  gateway_endpoint: 'wildcard-and-id',
  gateway_model_definition: 'wildcard-and-id',
  mcp_server: 'wildcard-and-id',
  run: 'wildcard',
  trace: 'wildcard',
  assessment: 'wildcard',
  logged_model: 'wildcard',
  review_queue: 'wildcard',
  registered_model_version: 'wildcard',
  prompt_version: 'wildcard',
  scorer_version: 'wildcard',
  mcp_server_version: 'wildcard',
};

export const isResourceType = (value: unknown): value is string =>
  typeof value === 'string' && Object.prototype.hasOwnProperty.call(RESOURCE_TYPES, value);

/** Workspace-wide grants: a member (USE) or an admin (MANAGE) of the role's workspace. */
export const WORKSPACE_GRANTABLE: readonly PermissionName[] = ['USE', 'MANAGE'];
/** Grants on resources. NO_PERMISSIONS is no grant: an absent one and the default say it already. */
export const RESOURCE_GRANTABLE: readonly PermissionName[] = ['READ', 'USE', 'EDIT', 'MANAGE', 'DENY'];

/** A grant as a role holds it. */
export interface Grant {
  resourceType: string;
  resourcePattern: string;
  permission: string;
}

/** Whether a grant's pattern on its type applies to one resource: `*` or the exact id, never a glob. */
export function patternMatches(resourceType: string, resourcePattern: string, resourceId: string): boolean {
  const grain = RESOURCE_TYPES[resourceType];
  if (grain === undefined) return false;
  return resourcePattern === WILDCARD || (grain === 'wildcard-and-id' && resourcePattern === resourceId);
}

/** Python's repr of a value MLflow prints in a message: a str single-quoted, None for null. */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value !== 'string') return typeof value === 'object' ? JSON.stringify(value) : String(value);
  const escaped = value.replace(/\\/g, '\\\\');
  if (value.includes("'") && !value.includes('"')) return `"${escaped}"`;
  return `'${escaped.replace(/'/g, "\\'")}'`;
}

/** A Python tuple of strings as MLflow prints one. */
const tuple = (names: readonly string[]) => `(${names.map((name) => `'${name}'`).join(', ')})`;
const sorted = (names: readonly string[]) => [...names].sort();

// Python formats the value with str() inside quotes the message supplies.
const str = (value: unknown) => (typeof value === 'string' ? value : pythonRepr(value));

export function permissionProblem(permission: unknown): string | null {
  if (isPermissionName(permission)) return null;
  return `Invalid permission '${str(permission)}'. Valid permissions are: ${tuple(PERMISSION_NAMES)}`;
}

export function resourceTypeProblem(resourceType: unknown): string | null {
  if (isResourceType(resourceType)) return null;
  return `Invalid resource type '${str(resourceType)}'. Valid resource types are: ${tuple(sorted(Object.keys(RESOURCE_TYPES)))}`;
}

/** MLflow's _validate_permission_for_resource_type: the name, then the type, then the grantable set. */
export function grantProblem(permission: unknown, resourceType: unknown): string | null {
  const problem = permissionProblem(permission) ?? resourceTypeProblem(resourceType);
  if (problem) return problem;
  if (resourceType === WORKSPACE) {
    if (WORKSPACE_GRANTABLE.includes(permission as PermissionName)) return null;
    return `Invalid permission '${str(permission)}' for resource_type='workspace'. Workspace-wide grants accept only: ${tuple(sorted(WORKSPACE_GRANTABLE))}.`;
  }
  if (RESOURCE_GRANTABLE.includes(permission as PermissionName)) return null;
  return `Invalid permission '${str(permission)}' for resource_type='${str(resourceType)}'. Resource-level grants accept only: ${tuple(sorted(RESOURCE_GRANTABLE))}.`;
}

/** MLflow's _validate_resource_pattern: the type, then whether its grain takes an id. */
export function patternProblem(resourcePattern: unknown, resourceType: unknown): string | null {
  const problem = resourceTypeProblem(resourceType);
  if (problem) return problem;
  if (resourcePattern === WILDCARD || RESOURCE_TYPES[resourceType as string] === 'wildcard-and-id') return null;
  return `Invalid resource_pattern '${str(resourcePattern)}' for resource_type='${str(resourceType)}'. This resource type supports only wildcard ('*') grants.`;
}
