import { randomUUID } from 'node:crypto';
import { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyRequest } from 'fastify';
import { Logger } from 'pino';
import { answerUnsupportedMethods } from './allowed-methods';
import { MlflowErrorFilter } from './error-filter';
import { httpRequestDuration } from '../metrics';
import { MlflowValidationPipe } from './validation';

export interface HttpAppOptions {
  logger: Logger;
  bodyLimitBytes: number;
}

class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
}

/** One Fastify-backed Nest app with MLflow's wire conventions, request ids, access logs and metrics. */
export async function createHttpApp(module: unknown, options: HttpAppOptions): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimitBytes,
    routerOptions: { maxParamLength: 2048 },
    requestIdHeader: false,
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(module as never, adapter, {
    logger: new PinoNestLogger(options.logger),
    bodyParser: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  answerUnsupportedMethods(fastify);

  // MLflow's API takes JSON only; a missing body reads as {}, a double-encoded JSON string is decoded twice.
  fastify.removeContentTypeParser('text/plain');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: options.bodyLimitBytes },
    (_request, body, done) => {
      const text = String(body);
      if (text.trim() === '') return done(null, {});
      try {
        const parsed: unknown = JSON.parse(text);
        done(null, typeof parsed === 'string' ? JSON.parse(parsed) : parsed);
      } catch (error) {
        done(Object.assign(error as Error, { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' }), undefined);
      }
    },
  );

  // Protobuf JSON, which MLflow speaks, leaves out empty repeated fields.
  fastify.setReplySerializer((payload) =>
    JSON.stringify(payload, (key, value: unknown) =>
      key !== '' && Array.isArray(value) && value.length === 0 ? undefined : value,
    ),
  );

  fastify.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  fastify.addHook('onResponse', async (request: FastifyRequest, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    httpRequestDuration.labels(request.method, route, String(reply.statusCode)).observe(seconds);
    options.logger.debug(
      {
        requestId: request.id,
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        ms: reply.elapsedTime,
      },
      'request',
    );
  });

  app.useGlobalFilters(new MlflowErrorFilter(options.logger));
  app.useGlobalPipes(new MlflowValidationPipe());
  return app;
}
