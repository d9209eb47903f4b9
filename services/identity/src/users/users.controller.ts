import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { Authorize, Rules } from '@logbook/access';
import { FastifyReply, FastifyRequest } from 'fastify';
import { Answers, CommandMetadata, invalidParameter, parseRequest, RequestMeta } from '@logbook/platform';
import { UserPermissions } from '../permissions/user-permissions';
import { RolesQueries } from '../roles/roles.queries';
import { AccessGuard, Allows, JsonBodyGuard, requestParams } from '../shared/access';
import { Caller } from '../shared/caller';
import { answerAsFlask } from '../shared/params';
import { mlflowRoutes } from '../shared/routes';
import { ANSWERS } from '../shared/wire-schemas';
import { userNotFound } from './user.decider';
import { CreateUserDto, UpdateAdminDto, UpdatePasswordDto, UsernameDto } from './users.dto';
import { UsersQueries } from './users.queries';
import { UsersService } from './users.service';

/** A username sent as JSON null names nobody; MLflow prints it as Python does. */
function named(username: string | null): string {
  if (username === null) throw userNotFound('None');
  return username;
}

/**
 * MLflow's basic-auth users API (3.17.2). Its answers are Flask's jsonify, not protobuf JSON: keys in
 * sorted order, and empty lists kept.
 */
// Each route says who may call it (Allows), checked by the identity API's own guard.
@Authorize(Rules.ownChecks())
@Controller(mlflowRoutes('users'))
@UseGuards(AccessGuard)
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly queries: UsersQueries,
    private readonly roles: RolesQueries,
    private readonly permissions: UserPermissions,
  ) {}

  @Post('create')
  @HttpCode(200)
  @Allows('any-workspace-admin')
  @UseGuards(JsonBodyGuard)
  @Answers(ANSWERS.user)
  async create(@Body() dto: CreateUserDto, @RequestMeta() meta: CommandMetadata) {
    // MLflow answers this as a text/html 400; Logbook answers the same words in MLflow's error shape.
    if (!dto.username || !dto.password) throw invalidParameter('Username and password cannot be empty.');
    const id = await this.users.create({ username: dto.username, password: dto.password, isAdmin: false }, meta);
    return { user: { id, is_admin: false, username: dto.username } };
  }

  @Get('get')
  @Allows('self')
  @Answers(ANSWERS.user)
  async get(@Query() dto: UsernameDto) {
    return { user: await this.queries.get(named(dto.username)) };
  }

  @Get('list')
  @Allows('user')
  @Answers(ANSWERS.users)
  async list(@Caller() caller: Caller, @Res({ passthrough: true }) reply: FastifyReply) {
    const [users, rolesByUser] = await Promise.all([this.queries.list(), this.roles.byUser()]);
    // Another user's roles show only in workspaces the caller administers, as MLflow's list_users scopes them.
    const self = caller.isAdmin || caller.username === null ? null : await this.queries.findByUsername(caller.username);
    const visible = self ? await this.permissions.administeredWorkspaces(self.id) : null;
    for (const user of users) {
      const roles = rolesByUser.get(user.id) ?? [];
      user.roles =
        visible === null || user.username === caller.username
          ? roles
          : roles.filter((role) => visible.has(role.workspace));
    }
    answerAsFlask(reply);
    return { users };
  }

  @Get('current')
  @Allows('user')
  @Answers(ANSWERS.currentUser)
  async current(@Caller() caller: Caller) {
    // Without authentication nobody is signed in: the caller is an anonymous admin, not a user.
    if (caller.principal === null) {
      return { is_basic_auth: false, user: { id: null, is_admin: true, username: null } };
    }
    if (caller.username === null) throw userNotFound(caller.principal.actor.name);
    return { is_basic_auth: true, user: await this.queries.get(caller.username) };
  }

  @Patch('update-password')
  @Allows('self')
  @Answers(ANSWERS.empty)
  async updatePassword(@Body() dto: UpdatePasswordDto, @Caller() caller: Caller, @RequestMeta() meta: CommandMetadata) {
    await this.users.changePassword(
      { username: named(dto.username), password: dto.password, currentPassword: dto.current_password },
      caller.username,
      meta,
    );
    return {};
  }

  @Patch('update-admin')
  @Allows('admin')
  @Answers(ANSWERS.empty)
  async updateAdmin(@Body() dto: UpdateAdminDto, @RequestMeta() meta: CommandMetadata) {
    await this.users.changeAdmin(named(dto.username), dto.is_admin, meta);
    return {};
  }

  /** Reads a JSON body, or without a JSON content type the query string (documented in identity.openapi.ts). */
  @Delete('delete')
  @Allows('admin')
  @Answers(ANSWERS.empty)
  async delete(@Req() request: FastifyRequest, @Caller() caller: Caller, @RequestMeta() meta: CommandMetadata) {
    const dto = parseRequest(UsernameDto, requestParams(request));
    await this.users.delete(named(dto.username), caller.username, meta);
    return {};
  }
}
