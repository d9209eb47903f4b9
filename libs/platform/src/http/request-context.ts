import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { ANONYMOUS, CommandMetadata } from '../command-metadata';

/**
 * The command metadata of the current request: its id (the gateway's X-Request-Id), the clock, and the
 * actor (anonymous while authentication is off).
 */
export const RequestMeta = createParamDecorator((_: unknown, context: ExecutionContext): CommandMetadata => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  const traceparent = request.headers.traceparent;
  return {
    now: Date.now(),
    actor: ANONYMOUS,
    requestId: String(request.id),
    ...(typeof traceparent === 'string' ? { traceparent } : {}),
  };
});
