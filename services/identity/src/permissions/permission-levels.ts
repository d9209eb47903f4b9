import { grantProblem, patternProblem, permissionProblem, resourceTypeProblem, WORKSPACE } from '@logbook/access';
import { invalidParameter } from '@logbook/platform';

/**
 * MLflow's permission validation as the identity API answers it (INVALID_PARAMETER_VALUE, MLflow's words).
 * The levels, types and grains themselves are in @logbook/access, which the services' authorization shares.
 */
const refuse = (problem: string | null) => {
  if (problem !== null) throw invalidParameter(problem);
};

export const requirePermissionName = (permission: unknown) => refuse(permissionProblem(permission));
export const requireResourceType = (resourceType: unknown) => refuse(resourceTypeProblem(resourceType));
/** The name, the type, then whether the type may be granted it. */
export const requireGrantable = (permission: unknown, resourceType: unknown) =>
  refuse(grantProblem(permission, resourceType));
/** The type, then whether its grain takes an id. */
export const requirePatternGrain = (resourcePattern: unknown, resourceType: unknown) =>
  refuse(patternProblem(resourcePattern, resourceType));

/** The per-user grant API leaves workspace-wide grants to roles, before any other check. */
export function refuseWorkspaceType(resourceType: unknown): void {
  if (resourceType === WORKSPACE) {
    throw invalidParameter(
      "resource_type 'workspace' is not supported by the per-user permission convenience APIs. Use set_workspace_permission / delete_workspace_permission for workspace-wide grants.",
    );
  }
}
