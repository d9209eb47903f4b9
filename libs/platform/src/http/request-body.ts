import { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { FastifyReply, FastifyRequest } from 'fastify';

/**
 * A refused body up to this size is read to its end so the client's connection stays usable; a larger
 * (or chunked) one is not worth reading, and the connection closes once the answer is written.
 */
export const DRAIN_LIMIT_BYTES = 1024 * 1024;
// Chunks from the socket are up to 64 KiB: a smaller buffer would pause the socket after every chunk.
const HIGH_WATER_MARK = 1024 * 1024;

/**
 * The raw request body of a route that keeps bodies as streams; Fastify hands over none for an empty body.
 * Whoever reads it may destroy it (a refused key, a size limit, a store that failed) without destroying
 * the client's connection, so the refusal can still be answered (see settleUnreadBody).
 */
export const bodyStream = (request: FastifyRequest): Readable =>
  request.body instanceof IncomingMessage ? new DetachedBody(request.body) : Readable.from([]);

/** Content-Length, unless the body is chunked (Node's parser has already rejected malformed lengths). */
export function declaredLength(request: FastifyRequest): number | undefined {
  const header = request.headers['content-length'];
  return header === undefined || request.headers['transfer-encoding'] !== undefined ? undefined : Number(header);
}

/**
 * For an answer given before the body was read to its end (a refusal): a small body is drained, so the
 * connection can carry the next request; a large or chunked one is read and discarded only while the
 * answer goes out, and `Connection: close` ends the connection after it.
 */
export function settleUnreadBody(request: FastifyRequest, reply: FastifyReply): void {
  const raw = request.raw;
  if (raw.complete || raw.destroyed) return;
  const declared = declaredLength(request);
  if (declared === undefined || declared > DRAIN_LIMIT_BYTES) void reply.header('connection', 'close');
  raw.resume();
}

/**
 * Forwards a request's body without owning the connection: destroying it pauses and releases the
 * request instead of resetting the socket. It starts reading only when it is read, so a request whose
 * body is not used through it (a proxied one) is left untouched. A client that goes away mid-body
 * destroys it with the request's error.
 */
class DetachedBody extends Readable {
  private attached = false;

  constructor(private readonly source: IncomingMessage) {
    super({ highWaterMark: HIGH_WATER_MARK });
  }

  override _read(): void {
    if (!this.attached) this.attach();
    this.source.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.source.off('data', this.onData).off('end', this.onEnd).off('error', this.onError).off('close', this.onClose);
    this.source.pause();
    callback(error);
  }

  private attach(): void {
    this.attached = true;
    if (this.source.readableEnded) {
      this.push(null);
      return;
    }
    if (this.source.destroyed) {
      this.destroy(disconnected());
      return;
    }
    this.source.on('data', this.onData).on('end', this.onEnd).on('error', this.onError).on('close', this.onClose);
  }

  private readonly onData = (chunk: Buffer) => {
    if (!this.push(chunk)) this.source.pause();
  };
  private readonly onEnd = () => this.push(null);
  private readonly onError = (error: Error) => this.destroy(error);
  private readonly onClose = () => {
    if (!this.source.complete) this.destroy(disconnected());
  };
}

const disconnected = () =>
  Object.assign(new Error('The client disconnected before its body ended'), { code: 'ECONNRESET' });
