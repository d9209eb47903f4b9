import replyFrom from '@fastify/reply-from';
import { FastifyInstance } from 'fastify';
import { IncomingHttpHeaders } from 'node:http';
import { invalidParameter, MlflowError } from '../../../libs/platform/src/errors';
import { DOWNLOAD_OFFLOAD, isOffloadHeader } from '../../../libs/platform/src/http/download-offload';
import { openOffloadedDownload } from './offloaded-download';

export interface Route {
  /** URL prefixes this service owns. */
  prefixes: string[];
  upstream: string;
  /** The service may hand downloads over to the gateway (DOWNLOAD_OFFLOAD). */
  offloadsDownloads?: boolean;
}

const UPSTREAM_TIMEOUT_MS = 120_000;
/** Headers of the artifacts service's answer that describe the bytes, not an error. */
const DOWNLOAD_HEADERS = ['content-disposition', 'content-range', 'accept-ranges'];

/** Which service owns which MLflow paths; the longest matching prefix wins. */
export function routingTable(upstreams: { tracking: string; artifacts: string }): Route[] {
  return [
    {
      prefixes: ['/api/2.0/mlflow/', '/ajax-api/2.0/mlflow/', '/api/3.0/mlflow/', '/ajax-api/3.0/mlflow/'],
      upstream: upstreams.tracking,
    },
    {
      prefixes: [
        '/api/2.0/mlflow-artifacts/',
        '/ajax-api/2.0/mlflow-artifacts/',
        '/api/2.0/mlflow/artifacts/list',
        '/ajax-api/2.0/mlflow/artifacts/list',
      ],
      upstream: upstreams.artifacts,
      offloadsDownloads: true,
    },
  ];
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
 * Forwards each owned path to its service with the request id the gateway assigned, and answers
 * MLflow's 503 when the service cannot be reached (the client retries that, as it should). Bodies
 * pass through as streams: the owning service parses and validates them, once. A download the
 * artifacts service hands over is read from the store here (openOffloadedDownload).
 */
export async function registerRoutes(fastify: FastifyInstance, routes: Route[]): Promise<void> {
  await fastify.register(async (proxy) => {
    proxy.removeAllContentTypeParsers();
    proxy.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    // Node's http client: undici cost the gateway twice the CPU per uploaded GiB (docs/benchmarks.md).
    await proxy.register(replyFrom, { http: { requestOptions: { timeout: UPSTREAM_TIMEOUT_MS } } });
    for (const route of routes) {
      const unavailable = () =>
        new MlflowError('TEMPORARILY_UNAVAILABLE', `Service at ${route.upstream} is unavailable`);
      for (const prefix of route.prefixes) {
        proxy.all(prefix.endsWith('/') ? `${prefix}*` : prefix, (request, reply) =>
          unforwardable(request.url)
            ? sendError(reply, invalidParameter('Invalid path'))
            : reply.from(`${route.upstream}${request.url}`, {
                rewriteRequestHeaders: (_req, headers) => ({
                  ...withoutOffloadHeaders(headers),
                  ...(route.offloadsDownloads && request.method === 'GET'
                    ? { [DOWNLOAD_OFFLOAD.accept]: DOWNLOAD_OFFLOAD.version }
                    : {}),
                  'x-request-id': String(request.id),
                  'x-forwarded-host': String(request.headers['x-forwarded-host'] ?? request.headers.host ?? ''),
                  'x-forwarded-proto': String(request.headers['x-forwarded-proto'] ?? request.protocol),
                }),
                onResponse: (_request, proxied, response) => {
                  // reply-from's typings name a ServerResponse; what it passes carries the upstream's headers.
                  const described = (response as unknown as { headers: IncomingHttpHeaders }).headers;
                  if (!route.offloadsDownloads || described[DOWNLOAD_OFFLOAD.url] === undefined) {
                    return proxied.send(response.stream);
                  }
                  response.stream.resume();
                  for (const name of Object.keys(described)) if (isOffloadHeader(name)) proxied.removeHeader(name);
                  openOffloadedDownload(described, UPSTREAM_TIMEOUT_MS).then(
                    (body) => proxied.header('content-length', String(described[DOWNLOAD_OFFLOAD.length])).send(body),
                    (error: unknown) => {
                      request.log.warn({ err: error }, 'offloaded download failed');
                      for (const name of DOWNLOAD_HEADERS) proxied.removeHeader(name);
                      sendError(
                        proxied,
                        new MlflowError('TEMPORARILY_UNAVAILABLE', 'The artifact could not be read; try again'),
                      );
                    },
                  );
                },
                onError: (errorReply) => sendError(errorReply, unavailable()),
              }),
        );
      }
    }
  });
}

/** Offload headers are the gateway's to send: whatever a client sent under those names is dropped. */
function withoutOffloadHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !isOffloadHeader(name)));
}
