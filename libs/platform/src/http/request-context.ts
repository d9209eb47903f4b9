import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import './principal';
import { ANONYMOUS, CommandMetadata } from '../command-metadata';

/**
 * The command metadata of a request: its id (the gateway's X-Request-Id), the clock, the actor
 * (anonymous while authentication is off) and the caller's W3C traceparent.
 */
export function requestMetadata(request: FastifyRequest): CommandMetadata {
  const traceparent = request.headers.traceparent;
  return {
    now: Date.now(),
    actor: request.principal?.actor ?? ANONYMOUS,
    requestId: String(request.id),
    ...(typeof traceparent === 'string' ? { traceparent } : {}),
  };
}

/** requestMetadata of the current request, as a controller parameter. */
export const RequestMeta = createParamDecorator((_: unknown, context: ExecutionContext): CommandMetadata =>
  requestMetadata(context.switchToHttp().getRequest<FastifyRequest>()),
);
