import { Controller, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { Authorize, Rules } from '@logbook/access';
import { FastifyReply, FastifyRequest } from 'fastify';
import { PERMISSION_LEVELS } from '@logbook/access';
import { Answers, CommandMetadata, RequestMeta } from '@logbook/platform';
import { RolesQueries } from '../roles/roles.queries';
import { RolesService } from '../roles/roles.service';
import { AccessGuard, Allows } from '../shared/access';
import { Caller } from '../shared/caller';
import { answerAsFlask, RequestParams, usernameOf } from '../shared/params';
import { mlflowRoutes } from '../shared/routes';
import { ANSWERS } from '../shared/wire-schemas';
import { userNotFound } from '../users/user.decider';
import { UserRecord, UsersQueries } from '../users/users.queries';
import { GrantsQueries, PermissionRow } from './grants.queries';
import { UserPermissions } from './user-permissions';

/**
 * MLflow 3.17's per-user views and grants (its 3.0 users routes): a user's roles and grants, and grants on
 * the user's own role `__user_<id>__`, which MLflow keeps for the per-user permission API.
 */
// Each route says who may call it (Allows), checked by the identity API's own guard.
@Authorize(Rules.ownChecks())
@Controller(mlflowRoutes('users', '3.0'))
@UseGuards(AccessGuard)
export class UserPermissionsController {
  constructor(
    private readonly roles: RolesService,
    private readonly roleQueries: RolesQueries,
    private readonly grants: GrantsQueries,
    private readonly permissions: UserPermissions,
    private readonly users: UsersQueries,
  ) {}

  @Get('current/permissions')
  @Allows('user')
  @Answers(ANSWERS.userPermissions)
  async current(@Caller() caller: Caller, @Res({ passthrough: true }) reply: FastifyReply) {
    // Without authentication nobody is signed in: the caller is an anonymous admin holding no role.
    const answer =
      caller.principal === null
        ? { is_admin: true, permissions: [] }
        : await this.permissionsOf(await this.user(caller.username ?? caller.principal.actor.name));
    answerAsFlask(reply);
    return answer;
  }

  @Get('permissions/list')
  @Allows('self-or-workspace-admin')
  @Answers(ANSWERS.userPermissions)
  async list(
    @Req() request: FastifyRequest,
    @Caller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const user = await this.user(usernameOf(RequestParams.of(request).required('username')));
    const answer = await this.permissionsOf(user);
    const visible = await this.visibleWorkspaces(caller, user.username);
    if (visible) answer.permissions = answer.permissions.filter((row) => visible.has(row.workspace));
    answerAsFlask(reply);
    return answer;
  }

  @Get('roles/list')
  @Allows('self-or-workspace-admin')
  @Answers(ANSWERS.roles)
  async roleList(
    @Req() request: FastifyRequest,
    @Caller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const user = await this.user(usernameOf(RequestParams.of(request).required('username')));
    let roles = await this.roleQueries.ofUser(user.id);
    const visible = await this.visibleWorkspaces(caller, user.username);
    if (visible) roles = roles.filter((role) => visible.has(role.workspace));
    answerAsFlask(reply);
    return { roles };
  }

  /** Insert-only: changing a grant's level is a revoke and a grant. */
  @Post('permissions/grant')
  @HttpCode(200)
  @Allows('resource-manager')
  @Answers(ANSWERS.empty)
  async grant(@Req() request: FastifyRequest, @RequestMeta() meta: CommandMetadata) {
    const params = RequestParams.of(request);
    const username = usernameOf(params.required('username'));
    const resourceType = params.required('resource_type') as string;
    const resourceId = String(params.required('resource_id'));
    const permission = params.required('permission');
    await this.roles.grantToUser(username, { resourceType, resourceId, permission }, meta);
    return {};
  }

  @Post('permissions/revoke')
  @HttpCode(200)
  @Allows('resource-manager')
  @Answers(ANSWERS.empty)
  async revoke(@Req() request: FastifyRequest, @RequestMeta() meta: CommandMetadata) {
    const params = RequestParams.of(request);
    const username = usernameOf(params.required('username'));
    const resourceType = params.required('resource_type') as string;
    const resourceId = String(params.required('resource_id'));
    await this.roles.revokeFromUser(username, { resourceType, resourceId }, meta);
    return {};
  }

  /** The user's permission on the resource as their requests are judged; `allowed` is whether it lets them use it. */
  @Get('permissions/get')
  @Allows('self-or-resource-workspace-admin')
  @Answers(ANSWERS.userPermission)
  async get(@Req() request: FastifyRequest) {
    const params = RequestParams.of(request);
    const username = usernameOf(params.required('username'));
    const resourceType = params.required('resource_type');
    const resourceId = params.required('resource_id');
    const user = await this.user(username);
    const permission = await this.permissions.of(user.id, resourceType, resourceId);
    return { allowed: PERMISSION_LEVELS[permission].canUse, permission };
  }

  private async user(username: string): Promise<UserRecord> {
    const user = await this.users.findByUsername(username);
    if (!user) throw userNotFound(username);
    return user;
  }

  private async permissionsOf(user: UserRecord): Promise<{ is_admin: boolean; permissions: PermissionRow[] }> {
    return { is_admin: user.isAdmin, permissions: await this.grants.rowsOf(user.id) };
  }

  /**
   * What the caller may see of another user's roles and grants: those in workspaces the caller administers;
   * null for everything (an admin, or the user themself).
   */
  private async visibleWorkspaces(caller: Caller, username: string): Promise<Set<string> | null> {
    if (caller.isAdmin || caller.username === username || caller.username === null) return null;
    const self = await this.users.findByUsername(caller.username);
    return self ? this.permissions.administeredWorkspaces(self.id) : new Set();
  }
}
