import { Inject, Injectable } from '@nestjs/common';
import { effectivePermission, PERMISSION_LEVELS, PermissionName, WILDCARD } from '@logbook/access';
import { invalidParameter } from '@logbook/platform';
import { IdentityConfig } from '../config';
import { DEFAULT_WORKSPACE } from '../roles/roles.service';
import { RolesQueries } from '../roles/roles.queries';
import type { Access } from '../shared/access';
import { intParam, RequestParams } from '../shared/params';
import { IDENTITY_CONFIG } from '../shared/tokens';
import { UsersQueries } from '../users/users.queries';
import { GrantsQueries } from './grants.queries';
import { refuseWorkspaceType, requireResourceType } from './permission-levels';

/**
 * The types the per-user permission API resolves one resource of (MLflow's _resource_dispatch_keys):
 * those it can find the workspace of. Every other type is answered by its wildcard alone.
 */
const RESOLVABLE_TYPES = new Set([
  'experiment',
  'registered_model',
  'gateway_secret',
  'gateway_endpoint',
  'gateway_model_definition',
  'mcp_server',
  'scorer',
]);

/** A scorer is named `<experiment_id>/<url-quoted scorer name>`. */
const isScorerKey = (resourceId: string) => resourceId.includes('/');

/** What users may do, from the grants of the roles they hold: the rules MLflow's auth validators apply. */
@Injectable()
export class UserPermissions {
  constructor(
    private readonly grants: GrantsQueries,
    private readonly roles: RolesQueries,
    private readonly users: UsersQueries,
    @Inject(IDENTITY_CONFIG) private readonly config: Pick<IdentityConfig, 'defaultPermission'>,
  ) {}

  /**
   * A user's permission on one resource, as a request of theirs would be judged (MLflow's
   * _resolve_user_permission_for_resource). Workspaces are off, so every resource is in "default"; whether
   * the resource exists is not asked, as MLflow does not ask it then either.
   */
  async of(userId: number, resourceType: unknown, resourceId: unknown): Promise<PermissionName> {
    refuseWorkspaceType(resourceType);
    requireResourceType(resourceType);
    const [type, id] = [resourceType as string, String(resourceId)];
    if (id !== WILDCARD) {
      if (type === 'scorer' && !isScorerKey(id)) {
        throw invalidParameter("Invalid scorer resource_id. Expected '<experiment_id>/<scorer_name>'.");
      }
      if (!RESOLVABLE_TYPES.has(type)) {
        throw invalidParameter(`resource_type '${type}' is not supported by the per-user permission convenience APIs.`);
      }
    }
    const grants = await this.grants.inWorkspace(userId, DEFAULT_WORKSPACE, [type]);
    return effectivePermission(grants, { resourceType: type, resourceId: id }, this.config.defaultPermission);
  }

  /** The workspaces a user administers, to scope what they see of other users' roles and grants. */
  administeredWorkspaces(userId: number): Promise<Set<string>> {
    return this.grants.administeredWorkspaces(userId);
  }

  /** Whether a user who is no admin may make a request (the route's `access`), judged on its parameters. */
  async allows(access: Access, callerUsername: string, params: RequestParams): Promise<boolean> {
    const caller = await this.users.findByUsername(callerUsername);
    if (!caller) return false;
    const administers = async (workspace: string | null) =>
      workspace !== null && (await this.grants.administeredWorkspaces(caller.id)).has(workspace);
    switch (access) {
      case 'any-workspace-admin':
        return (await this.grants.administeredWorkspaces(caller.id)).size > 0;
      case 'workspace-admin':
        return administers(await this.roleWorkspace(params));
      case 'workspace-member': {
        const workspace = await this.roleWorkspace(params);
        return workspace !== null && (await this.grants.memberWorkspaces(caller.id)).has(workspace);
      }
      case 'member-of-every-workspace': {
        const requested = params
          .all('workspace')
          .filter((workspace): workspace is string => typeof workspace === 'string' && workspace.trim() !== '')
          .map((workspace) => workspace.trim());
        if (requested.length === 0) return false;
        const memberOf = await this.grants.memberWorkspaces(caller.id);
        return requested.every((workspace) => memberOf.has(workspace));
      }
      case 'self-or-workspace-admin': {
        const target = params.required('username');
        if (target === callerUsername) return true;
        // An unknown user is a refusal here, not a 404 that would tell who exists.
        const targetUser = typeof target === 'string' ? await this.users.findByUsername(target) : null;
        if (!targetUser) return false;
        const [administered, present] = await Promise.all([
          this.grants.administeredWorkspaces(caller.id),
          this.grants.memberWorkspaces(targetUser.id),
        ]);
        return [...administered].some((workspace) => present.has(workspace));
      }
      case 'resource-manager': {
        const resourceType = params.required('resource_type');
        const resourceId = params.required('resource_id');
        if (resourceId === WILDCARD) {
          // A wildcard names no resource to manage: it is the workspace's to grant, as roles are.
          refuseWorkspaceType(resourceType);
          requireResourceType(resourceType);
          return administers(DEFAULT_WORKSPACE);
        }
        return PERMISSION_LEVELS[await this.of(caller.id, resourceType, resourceId)].canManage;
      }
      case 'self-or-resource-workspace-admin': {
        const resourceType = params.required('resource_type');
        refuseWorkspaceType(resourceType);
        const target = params.required('username');
        if (target === callerUsername) return true;
        if (typeof target !== 'string' || !(await this.users.findByUsername(target))) return false;
        return administers(this.resourceWorkspace(resourceType, params.required('resource_id')));
      }
      default:
        return false;
    }
  }

  /**
   * The workspace of the role a request names, by `role_id`, `role_permission_id` or `workspace`, in that
   * order; null for a role or grant that does not exist, which is a refusal rather than a 404.
   */
  private async roleWorkspace(params: RequestParams): Promise<string | null> {
    if (params.has('role_id')) return this.roles.workspaceOf(intParam('role_id', params.required('role_id')));
    if (params.has('role_permission_id')) {
      const rolePermissionId = intParam('role_permission_id', params.required('role_permission_id'));
      const roleId = await this.roles.roleOfPermission(rolePermissionId);
      return roleId === null ? null : this.roles.workspaceOf(roleId);
    }
    if (params.has('workspace')) {
      const workspace = params.required('workspace');
      if (typeof workspace !== 'string' || workspace.trim() === '') {
        throw invalidParameter("Parameter 'workspace' must be a non-empty string.");
      }
      return workspace;
    }
    throw invalidParameter('Request must include one of: role_id, role_permission_id, workspace.');
  }

  /** Workspaces are off: a resource the per-user API can resolve is in "default"; any other is nowhere. */
  private resourceWorkspace(resourceType: unknown, resourceId: unknown): string | null {
    if (resourceId === WILDCARD) return DEFAULT_WORKSPACE;
    if (typeof resourceType !== 'string' || !RESOLVABLE_TYPES.has(resourceType)) return null;
    if (resourceType === 'scorer' && !isScorerKey(String(resourceId))) return null;
    return DEFAULT_WORKSPACE;
  }
}
