import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { FastifyHttpOptions, FastifyInstance } from 'fastify';
import { Logger } from 'pino';
import { MlflowError } from '../errors';

/** How long a client may keep the server waiting, and how many sockets one address may hold. */
export interface ConnectionLimits {
  /** No byte received (or, for an answer the client does not read, sent) for this long closes the socket. */
  idleTimeoutMs: number;
  /** The request line and headers must arrive within this long. */
  headersTimeoutMs: number;
  /** An idle keep-alive socket is closed after this long. */
  keepAliveTimeoutMs: number;
  /** Open sockets one client address may hold; 0 for no cap. */
  maxConnectionsPerAddress: number;
}

type Exchange = { request: IncomingMessage; response: ServerResponse };

const badRequestBody = (message: string) => JSON.stringify(new MlflowError('BAD_REQUEST', message).toJSON());

/** A whole HTTP/1.1 answer for a socket that has no request object (yet) to answer through. */
function rawAnswer(status: number, reason: string, body: string): string {
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/**
 * Node's answer to a connection whose request could not even be read (headers too slow, too large or
 * malformed), in MLflow's shape. A client that already went away is owed nothing.
 */
function answerUnreadableRequest(logger: Logger) {
  return (error: Error & { code?: string }, socket: Socket) => {
    logger.debug({ err: error, remoteAddress: socket.remoteAddress }, 'unreadable HTTP request');
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const [status, reason, message] =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'The request headers were not received in time']
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'Request Header Fields Too Large', 'The request headers are too large']
          : [400, 'Bad Request', 'Malformed HTTP request'];
    if (socket.writable) socket.write(rawAnswer(status, reason, badRequestBody(message)));
    socket.destroy(error);
  };
}

/**
 * Fastify options for the limits. There is no deadline for a whole request (Node's requestTimeout):
 * a multi-GB upload over a slow link takes as long as it takes, as long as bytes keep coming.
 */
export function connectionOptions(limits: ConnectionLimits, logger: Logger): FastifyHttpOptions<Server> {
  return {
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout: 0,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      // Node checks the headers deadline on this interval (30 s by default, longer than a short deadline).
      connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.floor(limits.headersTimeoutMs / 4))),
    },
    clientErrorHandler: answerUnreadableRequest(logger),
  };
}

/**
 * What an idle socket means depends on who is waiting for whom. Between requests, or before the first
 * one, the socket is closed. A request body that stopped arriving is answered 408 and closed. A request
 * the server holds (complete, or with bytes the server has not read yet) is the server's to finish: it
 * is left alone unless its answer is stuck because the client stopped reading it.
 */
function onIdleSocket(socket: Socket, exchange: Exchange | undefined, limits: ConnectionLimits, logger: Logger) {
  if (!exchange || exchange.response.writableFinished) return socket.destroy();
  const { request, response } = exchange;
  if (request.complete || request.readableLength > 0) {
    if (socket.writableLength > 0) socket.destroy();
    return;
  }
  if (response.headersSent) return socket.destroy();
  logger.info(
    {
      method: request.method,
      url: request.url,
      remoteAddress: socket.remoteAddress,
      idleTimeoutMs: limits.idleTimeoutMs,
    },
    'request body stalled; answered 408 and closed',
  );
  const body = badRequestBody(`No part of the request body arrived for ${limits.idleTimeoutMs / 1000} s`);
  response
    .writeHead(408, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      connection: 'close',
    })
    .end(body);
  // If the client does not read the answer either, the next idle period closes the socket.
  socket.setTimeout(limits.idleTimeoutMs);
}

/** Counts open sockets per client address; those beyond the cap are answered 429 and closed. */
function capConnectionsPerAddress(fastify: FastifyInstance, max: number, logger: Logger) {
  const open = new Map<string, number>();
  const refused = new WeakSet<Socket>();
  fastify.server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const count = (open.get(address) ?? 0) + 1;
    open.set(address, count);
    if (count > max) refused.add(socket);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left === 0) open.delete(address);
      else open.set(address, left);
    });
  });
  const tooMany = new MlflowError('RESOURCE_EXHAUSTED', `Too many open connections from this address (at most ${max})`);
  fastify.addHook('onRequest', async (request, reply) => {
    if (!refused.has(request.raw.socket)) return;
    logger.warn({ requestId: request.id, remoteAddress: request.ip, max }, 'request refused: too many connections');
    return reply
      .status(tooMany.httpStatus)
      .header('connection', 'close')
      .header('content-type', 'application/json')
      .send(JSON.stringify(tooMany.toJSON()));
  });
}

/** Applies the idle rule and the per-address cap to the app's server; call before routes are registered. */
export function guardConnections(fastify: FastifyInstance, limits: ConnectionLimits, logger: Logger): void {
  const exchanges = new WeakMap<Socket, Exchange>();
  fastify.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    exchanges.set(request.socket, { request, response });
  });
  fastify.server.on('timeout', (socket: Socket) => onIdleSocket(socket, exchanges.get(socket), limits, logger));
  if (limits.maxConnectionsPerAddress > 0) capConnectionsPerAddress(fastify, limits.maxConnectionsPerAddress, logger);
}
