import { FastifyInstance } from 'fastify';

/** Whom a call on the gateway's own REST routes is made for: the caller of the GraphQL or gRPC request. */
export interface RestCaller {
  /** The Host (or :authority) the caller addressed, which the allowed-hosts check reads. */
  host?: string;
  /** The caller's credentials, authenticated and authorized by the REST route as any REST call's. */
  authorization?: string;
  requestId?: string;
  /** The caller's network address, as sign-in throttling and the audit trail see it. */
  address?: string;
}

export interface OwnRestRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path and query string. */
  url: string;
  /** A JSON body, or one of the content type given. */
  payload?: string | Buffer;
  contentType?: string;
}

export interface RestAnswer {
  status: number;
  /** The parsed JSON body; undefined when the body is not JSON. */
  body: unknown;
  /** The id the gateway gave the REST request. */
  requestId?: string;
}

/** A query string (with its `?`, empty when no field is set) of the fields set, a list once per item. */
export function queryString(fields: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      params.append(name, typeof item === 'object' ? JSON.stringify(item) : String(item));
    }
  }
  const query = params.toString();
  return query ? `?${query}` : '';
}

function parsedBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/**
 * Calls one of the gateway's own REST routes in process (Fastify's inject): in the embedded shape the route
 * is the service's controller, in the distributed shape the proxy to the owning service. Either way the call
 * takes the REST call's route, checks and answers, and no service is imported.
 */
export async function callOwnRestRoute(
  fastify: FastifyInstance,
  caller: RestCaller,
  request: OwnRestRequest,
): Promise<RestAnswer> {
  const response = await fastify.inject({
    method: request.method,
    url: request.url,
    ...(caller.address ? { remoteAddress: caller.address } : {}),
    headers: {
      ...(caller.host ? { host: caller.host } : {}),
      ...(caller.authorization ? { authorization: caller.authorization } : {}),
      ...(caller.requestId ? { 'x-request-id': caller.requestId } : {}),
      ...(request.payload !== undefined ? { 'content-type': request.contentType ?? 'application/json' } : {}),
    },
    ...(request.payload !== undefined ? { payload: request.payload } : {}),
  });
  const requestId = response.headers['x-request-id'];
  return {
    status: response.statusCode,
    body: parsedBody(response.body),
    ...(typeof requestId === 'string' ? { requestId } : {}),
  };
}
