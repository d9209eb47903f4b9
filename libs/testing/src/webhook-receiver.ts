import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** One request a receiver got, as it arrived. */
export interface ReceivedDelivery {
  headers: IncomingMessage['headers'];
  body: string;
  /** X-MLflow-Delivery-Id, or Logbook's id header on a Databricks-style delivery. */
  deliveryId: string;
  /** What the receiver answered. */
  status: number;
  receivedAt: number;
}

export interface ReceiverAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answer this much later. */
  delayMs?: number;
  /** Never answer (the connection stays open until the sender gives up or dies). */
  hold?: boolean;
}

const header = (headers: IncomingMessage['headers'], name: string) => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * MLflow's documented check: HMAC-SHA256 of `<delivery id>.<timestamp>.<body>` with the secret, base64,
 * after `v1,`, compared in constant time. Several space-separated signatures: any one may match.
 */
export function mlflowSignatureValid(delivery: ReceivedDelivery, secret: string): boolean {
  const id = header(delivery.headers, 'x-mlflow-delivery-id');
  const timestamp = header(delivery.headers, 'x-mlflow-timestamp');
  const signature = header(delivery.headers, 'x-mlflow-signature');
  if (!id || !timestamp || !signature) return false;
  const expected = createHmac('sha256', secret).update(`${id}.${timestamp}.${delivery.body}`).digest('base64');
  return signature
    .split(' ')
    .filter((candidate) => candidate.startsWith('v1,'))
    .some((candidate) => constantTimeEqual(candidate.slice(3), expected));
}

/** Databricks' documented check: hex HMAC-SHA256 of the raw body with the secret. */
export function databricksSignatureValid(delivery: ReceivedDelivery, secret: string): boolean {
  const signature = header(delivery.headers, 'x-databricks-signature');
  if (!signature) return false;
  const expected = createHmac('sha256', secret).update(delivery.body).digest('hex');
  return signature.split(' ').some((candidate) => constantTimeEqual(candidate, expected));
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * A webhook receiver on 127.0.0.1 for tests: records every request and answers as `answer` says (200 by
 * default). It can go down and come back on the same port, as a receiver being redeployed does.
 */
export class WebhookReceiver {
  readonly received: ReceivedDelivery[] = [];
  answer: (delivery: ReceivedDelivery, index: number) => ReceiverAnswer = () => ({ status: 200 });
  private server?: Server;
  private port = 0;
  /** Told of each request as it arrives (before it is answered). */
  onRequest?: (delivery: ReceivedDelivery) => void;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Listens (on the port it had before, after `down()`); resolves once it does. */
  async up(): Promise<this> {
    const server = createServer((request, response) => this.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops listening and cuts the connections open: senders get refused until `up()`. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  /** Distinct delivery ids in the order they first arrived. */
  deliveryIds(): string[] {
    return [...new Set(this.received.map((delivery) => delivery.deliveryId))];
  }

  /** The answered bodies, parsed, one per delivery id (its last answered 2xx), in order of first arrival. */
  deliveredBodies<T = Record<string, any>>(): T[] {
    return this.deliveryIds().flatMap((id) => {
      const delivered = this.received.filter(
        (delivery) => delivery.deliveryId === id && delivery.status >= 200 && delivery.status < 300,
      );
      return delivered.length === 0 ? [] : [JSON.parse(delivered[delivered.length - 1].body) as T];
    });
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const delivery: ReceivedDelivery = {
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        deliveryId:
          header(request.headers, 'x-mlflow-delivery-id') ?? header(request.headers, 'x-logbook-delivery-id') ?? '',
        status: 0,
        receivedAt: Date.now(),
      };
      this.onRequest?.(delivery);
      const answer = this.answer(delivery, this.received.length);
      this.received.push(delivery);
      if (answer.hold) return;
      delivery.status = answer.status;
      setTimeout(() => {
        if (!response.destroyed) response.writeHead(answer.status, answer.headers).end(answer.body ?? 'ok');
      }, answer.delayMs ?? 0);
    });
  }
}
