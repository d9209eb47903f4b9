import replyFrom from '@fastify/reply-from';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { IncomingHttpHeaders } from 'node:http';
import {
  invalidParameter,
  MlflowError,
  RouteMethods,
  routeMethods,
  answerFailuresInMlflowShape,
  bodyStream,
  declaredLength,
  settleUnreadBody,
  Logger,
  PRINCIPAL_HEADER,
  CLIENT_ADDRESS_HEADER,
  signPrincipal,
} from '@logbook/platform';
import {
  isOffloadHeader,
  OFFLOADABLE_PREFIXES,
  OWNER_ARTIFACT_ROUTES,
  SERVER_INFO_ROUTES,
  TRANSFER_OFFLOAD,
} from '@logbook/transfers';
import { carryOffloadedUpload, openOffloadedDownload, UploadOutcome } from './offloaded-transfers';
import { ServiceName, UpstreamPool } from './upstream-pool';

export interface Route {
  /** URL prefixes this service owns. */
  prefixes: string[];
  /** The instances of the owning service. */
  upstream: UpstreamPool;
  /**
   * URL prefixes under which the service may hand artifact bytes over to the gateway (TRANSFER_OFFLOAD).
   * Only these: any other route would take a bodiless hand-over request for an empty upload.
   */
  offloadablePrefixes?: string[];
  /** The key the service verifies forwarded principals with (auth on); none when requests are anonymous. */
  principalKey?: string;
}

const UPSTREAM_TIMEOUT_MS = 120_000;
/** Headers of the artifacts service's answer that describe the bytes, not an error. */
const DOWNLOAD_HEADERS = ['content-disposition', 'content-range', 'accept-ranges'];

/** Each service serves the feed of its own event log. */
const eventFeedRoutes = (service: string) =>
  ['/api/2.0/logbook/', '/ajax-api/2.0/logbook/'].map((prefix) => `${prefix}events/${service}`);

/** Which service owns which MLflow paths; the longest matching prefix wins. */
export function routingTable(upstreams: Record<ServiceName, UpstreamPool>, principalKey?: string): Route[] {
  const routes: Route[] = [
    {
      prefixes: [
        '/api/2.0/mlflow/',
        '/ajax-api/2.0/mlflow/',
        '/api/3.0/mlflow/',
        '/ajax-api/3.0/mlflow/',
        ...eventFeedRoutes('tracking'),
      ],
      upstream: upstreams.tracking,
    },
    {
      prefixes: [
        '/api/2.0/mlflow-artifacts/',
        '/ajax-api/2.0/mlflow-artifacts/',
        '/api/2.0/mlflow/artifacts/list',
        '/ajax-api/2.0/mlflow/artifacts/list',
        // Multipart capability is the artifact store's to declare.
        ...SERVER_INFO_ROUTES,
        // Fastify matches these parameterised paths before tracking's wildcard prefixes.
        OWNER_ARTIFACT_ROUTES.runFile,
        OWNER_ARTIFACT_ROUTES.runUpload,
        OWNER_ARTIFACT_ROUTES.loggedModelFile,
        ...OWNER_ARTIFACT_ROUTES.loggedModelDirectories,
        ...eventFeedRoutes('artifacts'),
      ],
      upstream: upstreams.artifacts,
      offloadablePrefixes: OFFLOADABLE_PREFIXES,
    },
    {
      prefixes: [
        ...['/api/2.0/mlflow/', '/ajax-api/2.0/mlflow/'].flatMap((prefix) => [
          `${prefix}registered-models/`,
          `${prefix}model-versions/`,
          // Databricks' comments on model versions and transition requests.
          `${prefix}comments/`,
          `${prefix}transition-requests/`,
          // MLflow 3's webhooks (the collection and each webhook) and Databricks' registry webhooks.
          `${prefix}webhooks`,
          `${prefix}webhooks/`,
          `${prefix}registry-webhooks/`,
        ]),
        ...['/api/2.0/logbook/', '/ajax-api/2.0/logbook/'].flatMap((prefix) => [
          `${prefix}registered-models/`,
          `${prefix}model-versions/`,
          `${prefix}audit/`,
          `${prefix}policies/`,
          // Each webhook's delivery ledger.
          `${prefix}webhooks/`,
        ]),
        // MLflow's UI reads a registered version's files at the server's root.
        '/model-versions/get-artifact',
        ...eventFeedRoutes('registry'),
      ],
      upstream: upstreams.registry,
    },
  ];
  return principalKey ? routes.map((route) => ({ ...route, principalKey })) : routes;
}

/**
 * True when the URL could not be forwarded as sent: URL parsing resolves `.`/`..` segments (also as
 * `%2e`), and the proxy refuses any `..` segment, anywhere in the URL. Answered here, in MLflow's shape.
 */
function unforwardable(url: string): boolean {
  const path = url.split('?')[0];
  if (new URL(path, 'http://gateway').pathname !== path) return true;
  try {
    const decoded = decodeURIComponent(url);
    return decoded === '..' || decoded.includes('/..') || decoded.includes('../');
  } catch {
    return true;
  }
}

/** The part of a reply this needs; proxy error replies are typed more loosely than route replies. */
interface ErrorReply {
  status(code: number): { header(name: string, value: string): { send(body: string): unknown } };
}

function sendError(reply: ErrorReply, error: MlflowError) {
  void reply.status(error.httpStatus).header('content-type', 'application/json').send(JSON.stringify(error.toJSON()));
}

/**
 * The methods MLflow's API uses. Any other (QUERY, PROPFIND, TRACE, ...) is answered 405 by the gateway
 * itself, with the Allow of forwardedRouteMethods, instead of being forwarded.
 */
const MLFLOW_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * What each forwarded path takes, read from the OpenAPI document of the services' own routes. An
 * artifact path parameter spans segments; any other parameter is one segment.
 */
export function forwardedRouteMethods(document: Record<string, unknown>): RouteMethods[] {
  return Object.entries(document.paths as Record<string, Record<string, unknown>>).map(([template, operations]) => {
    const methods = Object.keys(operations).map((method) => method.toUpperCase());
    const url = template.replace(/\{path\}$/, '*').replace(/\{(\w+)\}/g, ':$1');
    return routeMethods(url, methods.includes('GET') ? [...methods, 'HEAD'] : methods);
  });
}

/**
 * Forwards each owned path to its service with the request id the gateway assigned, and answers
 * MLflow's 503 when the service cannot be reached (the client retries that, as it should). Bodies
 * pass through as streams: the owning service parses and validates them, once. Artifact bytes the
 * artifacts service hands over move between the client and the store here (TRANSFER_OFFLOAD).
 */
export async function registerRoutes(fastify: FastifyInstance, routes: Route[], logger: Logger): Promise<void> {
  await fastify.register(async (proxy) => {
    proxy.removeAllContentTypeParsers();
    proxy.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    answerFailuresInMlflowShape(proxy, logger, settleUnreadBody);
    // Node's http client: undici cost the gateway twice the CPU per uploaded GiB (docs/benchmarks.md).
    await proxy.register(replyFrom, { http: { requestOptions: { timeout: UPSTREAM_TIMEOUT_MS } } });
    for (const route of routes) {
      for (const prefix of route.prefixes) {
        proxy.route({
          method: MLFLOW_METHODS,
          url: prefix.endsWith('/') ? `${prefix}*` : prefix,
          handler: (request, reply) => {
            if (unforwardable(request.url)) return sendError(reply, invalidParameter('Invalid path'));
            const offloadable = route.offloadablePrefixes?.some((prefix) => request.url.startsWith(prefix)) ?? false;
            const size = declaredLength(request);
            if (offloadable && request.method === 'PUT' && size !== undefined) {
              return carryUpload(route, request, reply, size, logger);
            }
            return forward(route, request, reply, offloadable, logger);
          },
        });
      }
    }
  });
}

function forwardedHeaders(request: FastifyRequest, route: Route): Record<string, string> {
  const { principalKey } = route;
  return {
    ...(principalKey && request.principal
      ? { [PRINCIPAL_HEADER]: signPrincipal(request.principal, principalKey) }
      : {}),
    'x-request-id': String(request.id),
    [CLIENT_ADDRESS_HEADER]: request.ip,
    'x-forwarded-host': String(request.headers['x-forwarded-host'] ?? request.headers.host ?? ''),
    'x-forwarded-proto': String(request.headers['x-forwarded-proto'] ?? request.protocol),
  };
}

const unavailable = (upstream: string) =>
  new MlflowError('TEMPORARILY_UNAVAILABLE', `Service at ${upstream} is unavailable`);

function forward(route: Route, request: FastifyRequest, reply: FastifyReply, offloadable: boolean, logger: Logger) {
  const upstream = route.upstream.pick();
  return reply.from(`${upstream}${request.url}`, {
    rewriteRequestHeaders: (_req, headers) => ({
      ...withoutInternalHeaders(headers),
      ...(offloadable && request.method === 'GET' ? { [TRANSFER_OFFLOAD.accept]: TRANSFER_OFFLOAD.version } : {}),
      ...forwardedHeaders(request, route),
    }),
    onResponse: (_request, proxied, response) => {
      // reply-from's typings name a ServerResponse; what it passes carries the upstream's headers.
      const described = (response as unknown as { headers: IncomingHttpHeaders }).headers;
      if (!offloadable || described[TRANSFER_OFFLOAD.url] === undefined) {
        return proxied.send(response.stream);
      }
      response.stream.resume();
      for (const name of Object.keys(described)) if (isOffloadHeader(name)) proxied.removeHeader(name);
      openOffloadedDownload(described, UPSTREAM_TIMEOUT_MS).then(
        (body) => proxied.header('content-length', String(described[TRANSFER_OFFLOAD.length])).send(body),
        (error: unknown) => {
          logger.warn({ err: error, requestId: request.id }, 'offloaded download failed');
          for (const name of DOWNLOAD_HEADERS) proxied.removeHeader(name);
          sendError(proxied, new MlflowError('TEMPORARILY_UNAVAILABLE', 'The artifact could not be read; try again'));
        },
      );
    },
    onError: (errorReply, { error }) => {
      if (isConnectionFailure(error)) route.upstream.unreachable(upstream, error);
      sendError(errorReply, unavailable(upstream));
    },
  });
}

async function carryUpload(route: Route, request: FastifyRequest, reply: FastifyReply, size: number, logger: Logger) {
  const body = bodyStream(request);
  const contentType = request.headers['content-type'];
  const upstream = route.upstream.pick();
  let outcome: UploadOutcome;
  try {
    outcome = await carryOffloadedUpload(
      {
        url: `${upstream}${request.url}`,
        headers: () => ({
          ...forwardedHeaders(request, route),
          ...(contentType ? { 'content-type': contentType } : {}),
        }),
      },
      body,
      size,
      UPSTREAM_TIMEOUT_MS,
    );
  } catch (error) {
    logger.warn({ err: error, requestId: request.id }, 'artifacts service unreachable for an upload');
    if (isConnectionFailure(error)) route.upstream.unreachable(upstream, error);
    settleUnreadBody(request, reply);
    return sendError(reply, unavailable(upstream));
  }
  switch (outcome.kind) {
    case 'declined':
      return forward(route, request, reply, false, logger);
    case 'answer':
      // A refusal comes before the body was read.
      settleUnreadBody(request, reply);
      return reply.status(outcome.status).header('content-type', outcome.contentType).send(outcome.body);
    case 'failed':
      // The request itself is destroyed once its body is read; only a closed socket means the client left.
      if (request.raw.socket.destroyed) return reply;
      logger.warn({ err: outcome.error, requestId: request.id }, 'offloaded upload failed');
      settleUnreadBody(request, reply);
      return sendError(
        reply,
        outcome.error instanceof MlflowError
          ? outcome.error
          : new MlflowError('TEMPORARILY_UNAVAILABLE', 'The artifact could not be stored; try again'),
      );
  }
}

/**
 * The instance could not be reached at all (refused, reset, timed out connecting): not one that answered
 * slowly or with an error, which says nothing of whether it can take the next request.
 */
function isConnectionFailure(error: unknown): boolean {
  const codes = new Set<unknown>();
  for (let cause = error; cause instanceof Error && codes.size < 5; cause = cause.cause) {
    codes.add((cause as NodeJS.ErrnoException).code);
  }
  return ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].some((code) => codes.has(code));
}

/** What a client sends that only the gateway may say (offload, principal and client address headers), and its credentials. */
function withoutInternalHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(
    Object.entries(headers).filter(
      ([name]) =>
        !isOffloadHeader(name) &&
        name !== PRINCIPAL_HEADER &&
        name !== CLIENT_ADDRESS_HEADER &&
        name !== 'authorization',
    ),
  );
}
