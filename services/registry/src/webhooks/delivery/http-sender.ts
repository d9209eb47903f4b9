import { Agent as HttpAgent, IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { LookupAddress, LookupOptions } from 'node:dns';
import { isIP, Socket } from 'node:net';
import { isAllowedAddress } from './address-policy';
import { parseRetryAfter } from './retry-schedule';
import { pythonRepr, Resolver, resolveAll, webhookUrlShapeRefusal } from './url-policy';
import type { WebhookSettings } from './webhook-settings';

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  /** The exact text signed: sent as UTF-8. */
  body: string;
  verifyTls: boolean;
}

export interface SendOutcome {
  /** delivered: 2xx. retryable: the receiver or the network may do better later. failed: trying again cannot help. */
  outcome: 'delivered' | 'retryable' | 'failed';
  statusCode: number | null;
  latencyMs: number;
  /** The first 64 KiB of the response, as text. */
  responseBody: string | null;
  error: string | null;
  retryAfterMs: number | null;
}

export interface SenderOptions {
  /** How hostnames are resolved (default: the system resolver, every address). */
  resolve?: Resolver;
  /** Connections kept to one receiver (host and port) at most. */
  maxSocketsPerOrigin?: number;
}

export const RESPONSE_BODY_LIMIT = 64 * 1024;
const RETRYABLE_STATUSES = new Set([408, 429]);

/** A connection refused because its address is one a webhook may not reach. */
class AddressRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddressRefused';
  }
}

class RequestTimedOut extends Error {
  constructor(ms: number) {
    super(`no complete response within ${ms / 1000} s`);
    this.name = 'RequestTimedOut';
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * Posts webhook deliveries. A receiver's address is checked twice: when the hostname is resolved
 * (every address it resolves to must be allowed) and again when the socket connects, before a byte
 * is written, so a name that resolved to a public address when the webhook was saved cannot lead
 * here to a private one (DNS rebinding), nor an IP literal go unchecked. Redirects are not
 * followed and no proxy is used: either would make the peer checked another than the one reached.
 */
export class WebhookHttpSender {
  private readonly resolve: Resolver;
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;
  private readonly insecureHttpsAgent: HttpsAgent;

  constructor(
    private readonly settings: WebhookSettings,
    options: SenderOptions = {},
  ) {
    this.resolve = options.resolve ?? resolveAll;
    const pool = {
      keepAlive: true,
      maxSockets: options.maxSocketsPerOrigin ?? 16,
      maxTotalSockets: settings.concurrency,
      scheduling: 'lifo' as const,
    };
    this.httpAgent = new HttpAgent(pool);
    this.httpsAgent = new HttpsAgent(pool);
    this.insecureHttpsAgent = new HttpsAgent({ ...pool, rejectUnauthorized: false });
  }

  async send(request: SendRequest): Promise<SendOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const refusal = webhookUrlShapeRefusal(request.url, this.settings);
    if (refusal !== null) return failure('failed', elapsed(), refusal);
    const url = new URL(request.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return failure('failed', elapsed(), `cannot send to a ${url.protocol} URL: only http and https`);
    }
    try {
      const response = await this.post(url, request);
      return { ...classify(response), latencyMs: elapsed() };
    } catch (error) {
      return failure(isPermanent(error) ? 'failed' : 'retryable', elapsed(), describeError(error));
    }
  }

  /** Ends the kept-alive connections. */
  async close(): Promise<void> {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.insecureHttpsAgent.destroy();
  }

  private post(url: URL, request: SendRequest): Promise<ReceivedResponse> {
    const body = Buffer.from(request.body, 'utf8');
    const secure = url.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    const agent = !secure ? this.httpAgent : request.verifyTls ? this.httpsAgent : this.insecureHttpsAgent;
    return new Promise<ReceivedResponse>((resolve, reject) => {
      const outgoing = send(url, {
        method: 'POST',
        agent,
        headers: { ...request.headers, 'Content-Length': String(body.length) },
        lookup: this.checkedLookup,
        ...(secure ? { rejectUnauthorized: request.verifyTls } : {}),
      });
      // The timeout bounds the whole exchange, the response's body included.
      const timer = setTimeout(() => {
        const timedOut = new RequestTimedOut(this.settings.requestTimeoutMs);
        reject(timedOut);
        outgoing.destroy(timedOut);
      }, this.settings.requestTimeoutMs);
      const settle =
        <T>(action: (value: T) => void) =>
        (value: T) => {
          clearTimeout(timer);
          action(value);
        };
      outgoing.on('socket', (socket: Socket) => this.guardPeer(socket));
      outgoing.on('error', settle(reject));
      outgoing.on('response', (response) => readResponse(response).then(settle(resolve), settle(reject)));
      outgoing.end(body);
    });
  }

  /** Resolves a receiver's hostname for a connection, refusing it when any address is not one a webhook may reach. */
  private readonly checkedLookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    this.resolve(hostname).then(
      (addresses) => {
        const refused = addresses.find((address) => !isAllowedAddress(address, this.settings));
        if (refused !== undefined) {
          const message = `Webhook URL must not resolve to a non-public IP address. ${pythonRepr(hostname)} resolves to ${refused}.`;
          return callback(new AddressRefused(message), '');
        }
        if (addresses.length === 0) return callback(notFound(hostname), '');
        const entries = addresses.map((address) => ({ address, family: isIP(address) }));
        const wanted = entries.filter((entry) => !options.family || entry.family === options.family);
        if (options.all) return callback(null, wanted);
        if (wanted.length === 0) return callback(notFound(hostname), '');
        callback(null, wanted[0].address, wanted[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };

  /**
   * Checks the address a socket reached before anything is written to it: its own listener runs
   * ahead of those that write the request or start TLS. A kept-alive socket was checked when it connected.
   */
  private guardPeer(socket: Socket): void {
    const check = () => {
      const peer = socket.remoteAddress;
      if (peer === undefined) {
        socket.destroy(new AddressRefused('Could not determine webhook connection peer address'));
      } else if (!isAllowedAddress(peer, this.settings)) {
        socket.destroy(
          new AddressRefused(
            `Webhook connection blocked: ${peer} is not a public IP address. This may indicate a DNS rebinding attempt.`,
          ),
        );
      }
    };
    if (socket.connecting) socket.prependOnceListener('connect', check);
    else check();
  }
}

interface ReceivedResponse {
  statusCode: number;
  body: string;
  location: string | undefined;
  retryAfterMs: number | null;
}

/** Reads the status and the first 64 KiB of the body; the rest is not waited for. */
function readResponse(response: IncomingMessage): Promise<ReceivedResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = () =>
      resolve({
        statusCode: response.statusCode ?? 0,
        body: Buffer.concat(chunks).subarray(0, RESPONSE_BODY_LIMIT).toString('utf8'),
        location: response.headers.location,
        retryAfterMs: parseRetryAfter(headerText(response.headers['retry-after']), Date.now()),
      });
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= RESPONSE_BODY_LIMIT) {
        response.destroy();
        finish();
      }
    });
    response.on('end', finish);
    response.on('error', reject);
  });
}

function classify(response: ReceivedResponse): Omit<SendOutcome, 'latencyMs'> {
  const { statusCode, body, retryAfterMs } = response;
  const answered = { statusCode, responseBody: body, retryAfterMs };
  if (statusCode >= 200 && statusCode < 300) return { outcome: 'delivered', error: null, ...answered };
  if (statusCode >= 300 && statusCode < 400) {
    return {
      outcome: 'failed',
      error: `redirect not followed: ${statusCode} to ${response.location ?? '(no Location header)'}`,
      ...answered,
    };
  }
  const retryable = RETRYABLE_STATUSES.has(statusCode) || statusCode >= 500;
  return { outcome: retryable ? 'retryable' : 'failed', error: `HTTP ${statusCode}`, ...answered };
}

function failure(outcome: 'retryable' | 'failed', latencyMs: number, error: string): SendOutcome {
  return { outcome, statusCode: null, latencyMs, responseBody: null, error, retryAfterMs: null };
}

/** Node's refusals of a request it cannot even write: its header names or values. */
const MALFORMED_REQUEST_CODES = new Set([
  'ERR_INVALID_CHAR',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_HTTP_INVALID_HEADER_VALUE',
]);

/**
 * A refused address or a malformed request cannot do better on a later try; a network failure,
 * a timeout or a certificate the receiver may yet renew can.
 */
function isPermanent(error: unknown): boolean {
  return error instanceof AddressRefused || MALFORMED_REQUEST_CODES.has((error as NodeJS.ErrnoException).code ?? '');
}

function describeError(error: unknown): string {
  if (error instanceof AddressRefused || error instanceof RequestTimedOut) return error.message;
  const { code, message } = error as NodeJS.ErrnoException;
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

function notFound(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${hostname} resolves to no address`), { code: 'ENOTFOUND' });
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
