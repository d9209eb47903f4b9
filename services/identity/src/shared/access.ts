import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyRequest } from 'fastify';
import { MlflowError } from '@logbook/platform';
import { UserPermissions } from '../permissions/user-permissions';
import { callerOf } from './caller';
import { isJson, RequestParams, requestParams } from './params';

export { isJson, requestParams };

/**
 * Who may call a route besides an admin (MLflow 3.17's validators, workspaces off: every role that matters
 * is in workspace "default"; a workspace admin holds (workspace, *, MANAGE) there through some role, a
 * member holds any role there):
 * - `admin`: nobody else;
 * - `self`: a user about their own account (the `username` parameter);
 * - `user`: anyone authenticated;
 * - `any-workspace-admin`: an admin of some workspace (who may need to make an account to give it a role);
 * - `workspace-admin`: an admin of the workspace of the role named by `role_id`, or of the role holding
 *   `role_permission_id`, or of `workspace`;
 * - `workspace-member`: a member of that workspace;
 * - `member-of-every-workspace`: a member of every `workspace` the query names (at least one);
 * - `self-or-workspace-admin`: the user named, or an admin of a workspace where that user holds a role;
 * - `resource-manager`: whoever may manage the resource (`resource_type`, `resource_id`): MANAGE on it, or
 *   for `*` an admin of the workspace;
 * - `self-or-resource-workspace-admin`: the user named, or an admin of the resource's workspace.
 */
export type Access =
  | 'admin'
  | 'self'
  | 'user'
  | 'any-workspace-admin'
  | 'workspace-admin'
  | 'workspace-member'
  | 'member-of-every-workspace'
  | 'self-or-workspace-admin'
  | 'resource-manager'
  | 'self-or-resource-workspace-admin';

const ACCESS = Symbol('identity:access');

export const Allows = (access: Access) => SetMetadata(ACCESS, access);

// MLflow answers text/html "Permission denied"; Logbook answers the same words in MLflow's error shape.
export const permissionDenied = () => new MlflowError('PERMISSION_DENIED', 'Permission denied');

/**
 * Authorizes before the parameters are validated, as MLflow's before_request hook does: a non-admin
 * creating a user is refused 403 even when the body lacks a username. The checks that need grants ask
 * the caller's rules of UserPermissions.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly permissions: UserPermissions,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = this.reflector.get<Access | undefined>(ACCESS, context.getHandler());
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const caller = callerOf(request);
    if (caller.isAdmin) return true;
    if (caller.username === null || access === undefined || access === 'admin') throw permissionDenied();
    if (access === 'user') return true;
    if (access === 'self') {
      const username = requestParams(request).username;
      // A missing username is refused by the parameter check, with MLflow's message.
      if (username === undefined || username === caller.username) return true;
      throw permissionDenied();
    }
    if (await this.permissions.allows(access, caller.username, RequestParams.of(request))) return true;
    throw permissionDenied();
  }
}

/**
 * users/create refuses a request that is not JSON before reading its parameters. MLflow answers it as a
 * text/html 400; Logbook answers the same words in MLflow's error shape. A body of another content type
 * does not get here: the JSON-only body parser refuses it first, also with 400.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (isJson(context.switchToHttp().getRequest<FastifyRequest>())) return true;
    throw new MlflowError('BAD_REQUEST', 'Invalid content type. Must be application/json');
  }
}
