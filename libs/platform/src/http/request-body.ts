import { Readable } from 'node:stream';
import { FastifyRequest } from 'fastify';

/** The raw request body of a route that keeps bodies as streams; Fastify hands over none for an empty body. */
export const bodyStream = (request: FastifyRequest): Readable =>
  (request.body as Readable | undefined) ?? Readable.from([]);

/** Content-Length, unless the body is chunked (Node's parser has already rejected malformed lengths). */
export function declaredLength(request: FastifyRequest): number | undefined {
  const header = request.headers['content-length'];
  return header === undefined || request.headers['transfer-encoding'] !== undefined ? undefined : Number(header);
}
