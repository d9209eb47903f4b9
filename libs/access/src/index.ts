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
export type { Action, ReadableSet, Target, UserGrants } from './decisions';
export { capped, EVERYTHING_READABLE, isReadable, mayCreate, permissionOn, permits, readableSet } from './decisions';
export type { GrantSource, KnownUser, Subject } from './access-decisions';
export { AccessDecisions, GRANT_SOURCE, GRANTS_TTL_MS, subjectOf } from './access-decisions';
export type { AccessRule, Locator, OwnerLookup, RequestLocator } from './authorization';
export {
  ACCESS_RULES,
  AuthorizationGuard,
  AccessModule,
  Authorize,
  locatedBy,
  ownerOf,
  param,
  permissionDenied,
  ReadableBy,
  RequestPrincipal,
  requestValues,
  Rules,
} from './authorization';
export { HttpGrantSource, INTERNAL_ACCESS_ROUTES } from './http-grant-source';
export { readableCondition } from './readable-sql';
