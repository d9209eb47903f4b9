import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyRequest } from 'fastify';
import { MlflowError } from '@logbook/platform';
import { callerOf } from './caller';

/**
 * Who may call a route: `admin` only; `self`, a user about their own account (the `username` parameter),
 * or an admin; `user`, anyone authenticated.
 */
export type Access = 'admin' | 'self' | 'user';

const ACCESS = Symbol('identity:access');

export const Allows = (access: Access) => SetMetadata(ACCESS, access);

// MLflow answers text/html "Permission denied"; Logbook answers the same words in MLflow's error shape.
export const permissionDenied = () => new MlflowError('PERMISSION_DENIED', 'Permission denied');

/** Where MLflow's _get_request_param reads a route's parameters: by method, and for DELETE by content type. */
export function requestParams(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  const bodyParams = body !== null && typeof body === 'object' && !Array.isArray(body) ? body : {};
  if (request.method === 'GET') return request.query as Record<string, unknown>;
  if (request.method === 'DELETE' && !isJson(request)) return request.query as Record<string, unknown>;
  return bodyParams as Record<string, unknown>;
}

/** Flask's request.is_json: application/json, or any application/*+json. */
export function isJson(request: FastifyRequest): boolean {
  const type = String(request.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/**
 * Authorizes before the parameters are validated, as MLflow's before_request hook does: a non-admin
 * creating a user is refused 403 even when the body lacks a username.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const access = this.reflector.get<Access | undefined>(ACCESS, context.getHandler());
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const caller = callerOf(request);
    if (caller.isAdmin) return true;
    if (access === 'user' && caller.username !== null) return true;
    if (access === 'self' && caller.username !== null) {
      const username = requestParams(request).username;
      // A missing username is refused by the parameter check, with MLflow's message.
      if (username === undefined || username === caller.username) return true;
    }
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
