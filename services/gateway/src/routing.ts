import replyFrom from '@fastify/reply-from';
import { FastifyInstance } from 'fastify';
import { MlflowError } from '../../../libs/platform/src/errors';

export interface Route {
  /** URL prefixes this service owns. */
  prefixes: string[];
  upstream: string;
}

/** Which service owns which MLflow paths. */
export function routingTable(trackingUrl: string): Route[] {
  return [
    {
      prefixes: ['/api/2.0/mlflow/', '/ajax-api/2.0/mlflow/', '/api/3.0/mlflow/', '/ajax-api/3.0/mlflow/'],
      upstream: trackingUrl,
    },
  ];
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
        proxy.all(`${prefix}*`, (request, reply) =>
          reply.from(`${route.upstream}${request.url}`, {
            rewriteRequestHeaders: (_req, headers) => ({ ...headers, 'x-request-id': String(request.id) }),
            onError: (errorReply) => {
              const error = new MlflowError('TEMPORARILY_UNAVAILABLE', `Service at ${route.upstream} is unavailable`);
              void errorReply
                .status(error.httpStatus)
                .header('content-type', 'application/json')
                .send(JSON.stringify(error.toJSON()));
            },
          }),
        );
      }
    }
  });
}
