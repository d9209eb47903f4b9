import { Controller, Delete, Get, HttpCode, Patch, Post, Req, Res, UseGuards } from '@nestjs/common';
import { Authorize, Rules } from '@logbook/access';
import { FastifyReply, FastifyRequest } from 'fastify';
import { Answers, CommandMetadata, invalidParameter, RequestMeta } from '@logbook/platform';
import { AccessGuard, Allows } from '../shared/access';
import { answerAsFlask, RequestParams, usernameOf } from '../shared/params';
import { mlflowRoutes } from '../shared/routes';
import { ANSWERS } from '../shared/wire-schemas';
import { requireRoleName } from './role.decider';
import { RolesQueries } from './roles.queries';
import { RolesService } from './roles.service';

/**
 * MLflow 3.17's role API. Parameters are read one at a time in its handlers' order (RequestParams), so the
 * first refused is the one MLflow refuses; answers are Flask's jsonify (sorted keys, empty lists kept).
 */
// Each route says who may call it (Allows), checked by the identity API's own guard.
@Authorize(Rules.ownChecks())
@Controller(mlflowRoutes('roles', '3.0'))
@UseGuards(AccessGuard)
export class RolesController {
  constructor(
    private readonly roles: RolesService,
    private readonly queries: RolesQueries,
  ) {}

  @Post('create')
  @HttpCode(200)
  @Allows('workspace-admin')
  @Answers(ANSWERS.role)
  async create(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @RequestMeta() meta: CommandMetadata,
  ) {
    const params = RequestParams.of(request);
    const name = params.required('name');
    const workspace = params.required('workspace');
    requireRoleName(name);
    if (typeof workspace !== 'string' || workspace.trim() === '') throw invalidParameter('Workspace cannot be empty.');
    const description = params.optional('description') ?? null;
    if (description !== null && typeof description !== 'string') {
      throw invalidParameter('Role description must be a string or null.');
    }
    const roleId = await this.roles.create({ name, workspace, description }, meta);
    answerAsFlask(reply);
    return { role: { description, id: roleId, name, permissions: [], workspace } };
  }

  @Get('get')
  @Allows('workspace-member')
  @Answers(ANSWERS.role)
  async get(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const role = await this.queries.get(RequestParams.of(request).int('role_id'));
    answerAsFlask(reply);
    return { role };
  }

  /** Every role of the `workspace`s named (repeatable), or with none named every role (admins only). */
  @Get('list')
  @Allows('member-of-every-workspace')
  @Answers(ANSWERS.roles)
  async list(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const workspaces = RequestParams.of(request).all('workspace');
    if (workspaces.some((workspace) => typeof workspace !== 'string' || workspace.trim() === '')) {
      throw invalidParameter("Parameter 'workspace' must be a non-empty string when provided.");
    }
    const roles = await this.queries.list(workspaces.length > 0 ? (workspaces as string[]) : undefined);
    answerAsFlask(reply);
    return { roles };
  }

  @Patch('update')
  @Allows('workspace-admin')
  @Answers(ANSWERS.role)
  async update(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @RequestMeta() meta: CommandMetadata,
  ) {
    const params = RequestParams.of(request);
    const roleId = params.int('role_id');
    const name = params.optional('name') ?? null;
    const description = params.optional('description') ?? null;
    if (name === null && description === null) {
      throw invalidParameter("At least one of 'name' or 'description' must be provided to update a role.");
    }
    if (name !== null) requireRoleName(name);
    if (description !== null && typeof description !== 'string') {
      throw invalidParameter('Role description must be a string.');
    }
    await this.roles.update(roleId, { name, description }, meta);
    const role = await this.queries.get(roleId);
    answerAsFlask(reply);
    return { role };
  }

  @Delete('delete')
  @Allows('workspace-admin')
  @Answers(ANSWERS.empty)
  async delete(@Req() request: FastifyRequest, @RequestMeta() meta: CommandMetadata) {
    await this.roles.delete(RequestParams.of(request).int('role_id'), meta);
    return {};
  }

  @Post('permissions/add')
  @HttpCode(200)
  @Allows('workspace-admin')
  @Answers(ANSWERS.rolePermission)
  async addPermission(@Req() request: FastifyRequest, @RequestMeta() meta: CommandMetadata) {
    const params = RequestParams.of(request);
    const roleId = params.int('role_id');
    const resourceType = params.required('resource_type');
    const resourcePattern = params.required('resource_pattern');
    const permission = params.required('permission');
    const id = await this.roles.addPermission(roleId, { resourceType, resourcePattern, permission }, meta);
    return {
      role_permission: {
        id,
        permission,
        resource_pattern: resourcePattern,
        resource_type: resourceType,
        role_id: roleId,
      },
    };
  }

  @Delete('permissions/remove')
  @Allows('workspace-admin')
  @Answers(ANSWERS.empty)
  async removePermission(@Req() request: FastifyRequest, @RequestMeta() meta: CommandMetadata) {
    await this.roles.removePermission(RequestParams.of(request).int('role_permission_id'), meta);
    return {};
  }

  @Get('permissions/list')
  @Allows('workspace-member')
  @Answers(ANSWERS.rolePermissions)
  async listPermissions(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const permissions = await this.queries.permissions(RequestParams.of(request).int('role_id'));
    answerAsFlask(reply);
    return { role_permissions: permissions };
  }

  @Patch('permissions/update')
  @Allows('workspace-admin')
  @Answers(ANSWERS.rolePermission)
  async updatePermission(@Req() request: FastifyRequest, @RequestMeta() meta: CommandMetadata) {
    const params = RequestParams.of(request);
    const rolePermissionId = params.int('role_permission_id');
    const permission = params.required('permission');
    const roleId = await this.roles.updatePermission(rolePermissionId, permission, meta);
    const permissions = await this.queries.permissions(roleId);
    return { role_permission: permissions.find((granted) => granted.id === rolePermissionId) };
  }

  @Post('assign')
  @HttpCode(200)
  @Allows('workspace-admin')
  @Answers(ANSWERS.assignment)
  async assign(@Req() request: FastifyRequest, @RequestMeta() meta: CommandMetadata) {
    const params = RequestParams.of(request);
    const username = usernameOf(params.required('username'));
    const roleId = params.int('role_id');
    const { id, userId } = await this.roles.assign(username, roleId, meta);
    return { assignment: { id, role_id: roleId, user_id: userId } };
  }

  @Delete('unassign')
  @Allows('workspace-admin')
  @Answers(ANSWERS.empty)
  async unassign(@Req() request: FastifyRequest, @RequestMeta() meta: CommandMetadata) {
    const params = RequestParams.of(request);
    const username = usernameOf(params.required('username'));
    await this.roles.unassign(username, params.int('role_id'), meta);
    return {};
  }

  @Get('users/list')
  @Allows('workspace-admin')
  @Answers(ANSWERS.assignments)
  async listHolders(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const assignments = await this.queries.holders(RequestParams.of(request).int('role_id'));
    answerAsFlask(reply);
    return { assignments };
  }
}
