import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { Principal } from '@logbook/platform';

/**
 * The caller of a users route. `principal` is null when authentication is off: MLflow without its auth
 * app has no users API at all, and Logbook serves it regardless, with everyone an admin.
 */
export interface Caller {
  principal: Principal | null;
  /** The username of a user calling; null for anyone else (no authentication, a service, the system). */
  username: string | null;
  isAdmin: boolean;
}

export function callerOf(request: FastifyRequest): Caller {
  const principal = request.principal ?? null;
  if (!principal) return { principal: null, username: null, isAdmin: true };
  return {
    principal,
    username: principal.actor.kind === 'user' ? principal.actor.name : null,
    isAdmin: principal.isAdmin,
  };
}

/** The caller of the current request, as a controller parameter. */
export const Caller = createParamDecorator((_: unknown, context: ExecutionContext): Caller =>
  callerOf(context.switchToHttp().getRequest<FastifyRequest>()),
);
