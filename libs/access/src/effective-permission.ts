import { Grant, PERMISSION_LEVELS, PermissionName, patternMatches, WILDCARD, WORKSPACE } from './permission-levels';

/** The resource a permission is asked for: its type and id, or `*` for the type's wildcard. */
export interface ResourceKey {
  resourceType: string;
  resourceId: string;
}

/** The workspace admin's grant: MANAGE on everything in the workspace, which no DENY restricts. */
export const isWorkspaceAdminGrant = (grant: Grant) =>
  grant.resourceType === WORKSPACE && grant.resourcePattern === WILDCARD && grant.permission === 'MANAGE';

const priority = (name: string) => PERMISSION_LEVELS[name as PermissionName]?.priority ?? 0;

/**
 * What the grants say of one resource, or null when none applies (MLflow's fold_grants_for_key). Wildcard
 * and exact-id grants count alike, a direct grant no more than a role's: any DENY vetoes, else the highest.
 */
export function foldGrants(grants: readonly Grant[], key: ResourceKey): PermissionName | null {
  let best: PermissionName | null = null;
  for (const grant of grants) {
    if (grant.resourceType !== key.resourceType) continue;
    if (!patternMatches(grant.resourceType, grant.resourcePattern, key.resourceId)) continue;
    if (grant.permission === 'DENY') return 'DENY';
    if (best === null || priority(grant.permission) > priority(best)) best = grant.permission as PermissionName;
  }
  return best;
}

/**
 * A user's permission on one resource with workspaces off (MLflow's simple resolution path), from every
 * grant of every role the user holds in the workspace:
 * a workspace admin has MANAGE, even over a DENY; a DENY holds; a positive grant never resolves below the
 * default; and with no grant the default applies.
 */
export function effectivePermission(
  grants: readonly Grant[],
  key: ResourceKey,
  defaultPermission: PermissionName,
): PermissionName {
  if (grants.some(isWorkspaceAdminGrant)) return 'MANAGE';
  const granted = foldGrants(grants, key);
  if (granted === null) return defaultPermission;
  if (granted === 'DENY' || granted === 'NO_PERMISSIONS') return granted;
  return priority(granted) >= priority(defaultPermission) ? granted : defaultPermission;
}
