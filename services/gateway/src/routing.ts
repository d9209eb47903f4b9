import replyFrom from '@fastify/reply-from';
import { FastifyInstance } from 'fastify';
import { invalidParameter, MlflowError } from '../../../libs/platform/src/errors';

export interface Route {
  /** URL prefixes this service owns. */
  prefixes: string[];
  upstream: string;
}

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
 * pass through as streams: the owning service parses and validates them, once.
 */
export async function registerRoutes(fastify: FastifyInstance, routes: Route[]): Promise<void> {
  await fastify.register(async (proxy) => {
    proxy.removeAllContentTypeParsers();
    proxy.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    await proxy.register(replyFrom, { http: { requestOptions: { timeout: 120_000 } } });
    for (const route of routes) {
      for (const prefix of route.prefixes) {
        proxy.all(prefix.endsWith('/') ? `${prefix}*` : prefix, (request, reply) =>
          unforwardable(request.url)
            ? sendError(reply, invalidParameter('Invalid path'))
            : reply.from(`${route.upstream}${request.url}`, {
                rewriteRequestHeaders: (_req, headers) => ({
                  ...headers,
                  'x-request-id': String(request.id),
                  'x-forwarded-host': String(request.headers['x-forwarded-host'] ?? request.headers.host ?? ''),
                  'x-forwarded-proto': String(request.headers['x-forwarded-proto'] ?? request.protocol),
                }),
                onError: (errorReply) =>
                  sendError(
                    errorReply,
                    new MlflowError('TEMPORARILY_UNAVAILABLE', `Service at ${route.upstream} is unavailable`),
                  ),
              }),
        );
      }
    }
  });
}
