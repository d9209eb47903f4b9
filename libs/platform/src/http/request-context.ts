import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import './principal';
import { ANONYMOUS, CommandMetadata } from '../command-metadata';

/**
 * The command metadata of a request: its id (the gateway's X-Request-Id), the clock, the actor
 * (anonymous while authentication is off), the caller's W3C traceparent, and its address and user agent.
 */
export function requestMetadata(request: FastifyRequest): CommandMetadata {
  const { traceparent, 'user-agent': userAgent } = request.headers;
  return {
    now: Date.now(),
    actor: request.principal?.actor ?? ANONYMOUS,
    requestId: String(request.id),
    ...(typeof traceparent === 'string' ? { traceparent } : {}),
    client: { address: request.clientAddress ?? null, userAgent: userAgent ?? null },
  };
}

/** requestMetadata of the current request, as a controller parameter. */
export const RequestMeta = createParamDecorator((_: unknown, context: ExecutionContext): CommandMetadata =>
  requestMetadata(context.switchToHttp().getRequest<FastifyRequest>()),
);
