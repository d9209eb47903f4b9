/** Who may do what: MLflow's permission levels and resource types, and how a user's grants resolve. */
export type { Grant, PatternGrain, PermissionLevel, PermissionName } from './permission-levels';
export {
  DEFAULT_PERMISSION_NAMES,
  PERMISSION_LEVELS,
  PERMISSION_NAMES,
  RESOURCE_GRANTABLE,
  RESOURCE_TYPES,
  WILDCARD,
  WORKSPACE,
  WORKSPACE_GRANTABLE,
  grantProblem,
  isPermissionName,
  isResourceType,
  patternMatches,
  patternProblem,
  permissionProblem,
  pythonRepr,
  resourceTypeProblem,
} from './permission-levels';
export type { ResourceKey } from './effective-permission';
export { effectivePermission, foldGrants, isWorkspaceAdminGrant } from './effective-permission';
