import { randomUUID } from 'node:crypto';
import { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyRequest } from 'fastify';
import { Logger } from 'pino';
import { answerUnsupportedMethods, RouteMethods } from './allowed-methods';
import { ConnectionLimits, connectionOptions, guardConnections } from './connection-guard';
import { MlflowErrorFilter } from './error-filter';
import { assertStorableStrings, parseJsonBody } from './json-body';
import { checkHostHeader } from './host-check';
import { parseProtobufBody, PROTOBUF_MEDIA_TYPE } from './protobuf-body';
import { CLIENT_ADDRESS_HEADER, requireGatewayPrincipal } from './principal';
import { ServerConfig } from './server-config';
import { httpRequestDuration } from '../metrics';
import { MlflowValidationPipe } from './validation';
import { replyJson } from './reply-json';

export interface HttpAppOptions {
  logger: Logger;
  bodyLimitBytes: number;
  /** Deadlines for slow clients, the per-address cap and the Host check (server-config.ts); Node's defaults without. */
  clients?: { connections: ConnectionLimits; allowedHosts: string[] };
  /** Paths this server forwards rather than serves, with the methods the services behind it take (the gateway). */
  forwardedRoutes?: RouteMethods[];
  /**
   * A service behind the gateway with auth on: it accepts only requests carrying the principal the gateway
   * signed with this key. (The gateway authenticates credentials itself, with requireCredentials.)
   */
  gatewayKey?: string;
  /**
   * A service behind the gateway: its peer is the gateway, and the caller's address is the one the gateway
   * forwards (CLIENT_ADDRESS_HEADER). With auth on, only requests with the gateway's signed principal get
   * as far as reading it.
   */
  behindGateway?: boolean;
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

/**
 * The URL with its leading run of slashes as one. A tracking URI ending in '/' makes `//api/...`, which
 * Werkzeug, under MLflow, routes as `/api/...`; slashes further in stay, as they do in MLflow's artifact
 * paths, where `artifacts//etc` names an absolute path and is refused.
 */
export const mergeLeadingSlashes = (url: string): string => url.replace(/^\/{2,}/, '/');

/** One Fastify-backed Nest app with MLflow's wire conventions, request ids, access logs and metrics. */
export async function createHttpApp(module: unknown, options: HttpAppOptions): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    ...(options.clients && connectionOptions(options.clients.connections, options.logger)),
    bodyLimit: options.bodyLimitBytes,
    routerOptions: { maxParamLength: 2048 },
    rewriteUrl: (request: { url?: string }) => mergeLeadingSlashes(request.url ?? '/'),
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
  if (options.clients) {
    guardConnections(fastify, options.clients.connections, options.logger);
    checkHostHeader(fastify, options.clients.allowedHosts, options.logger);
  }
  // Every request has the field (set once authenticated), so requests keep one shape.
  fastify.decorateRequest('principal', undefined);
  fastify.decorateRequest('clientAddress', undefined);
  if (options.gatewayKey) requireGatewayPrincipal(fastify, options.gatewayKey);
  fastify.addHook('onRequest', async (request) => {
    const forwarded = request.headers[CLIENT_ADDRESS_HEADER];
    request.clientAddress = options.behindGateway
      ? typeof forwarded === 'string'
        ? forwarded
        : undefined
      : request.ip;
  });
  answerUnsupportedMethods(fastify, options.forwardedRoutes);

  // MLflow's API takes JSON. Query strings are held to the same rule for what can be stored.
  fastify.removeContentTypeParser('text/plain');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: options.bodyLimitBytes },
    (_request, body, done) => {
      try {
        done(null, parseJsonBody(body as Buffer));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
  // Or a request message of Logbook's gRPC services as protobuf, which is how the gateway passes a gRPC call on.
  fastify.addContentTypeParser(
    PROTOBUF_MEDIA_TYPE,
    { parseAs: 'buffer', bodyLimit: options.bodyLimitBytes },
    (request, body, done) => {
      try {
        done(null, parseProtobufBody(request.headers['content-type'], body as Buffer));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
  fastify.addHook('preValidation', async (request) => assertStorableStrings(request.query));

  fastify.setReplySerializer(replyJson);

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

/** The app options a service's entry point derives from its server configuration. */
export function httpAppOptions(logger: Logger, server: ServerConfig): HttpAppOptions {
  return {
    logger,
    bodyLimitBytes: server.bodyLimitBytes,
    clients: { connections: server.connections, allowedHosts: server.allowedHosts },
    ...(server.role === 'internal' && server.auth.gatewayKey ? { gatewayKey: server.auth.gatewayKey } : {}),
    behindGateway: server.role === 'internal',
  };
}
