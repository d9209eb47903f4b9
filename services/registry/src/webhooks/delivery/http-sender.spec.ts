import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SendOutcome, WebhookHttpSender } from './http-sender';
import { webhookUrlRefusal } from './url-policy';
import { WebhookSettings } from './webhook-settings';

// A self-signed certificate for localhost and 127.0.0.1, valid until 2126, made once with openssl.
const TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgFveHWX9mlfox1EAm
6wrlfd49gUOLGxJU42augwLdKiehRANCAATiH4l1RG5YxpGtSn5Wx/sXJG3TbBZK
7u95/9BkhzyibaxI6mM45GRML8wFrdp4V3Zz3ZbqYYOvwOvAEmDkaxEQ
-----END PRIVATE KEY-----`;
const TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUSesBXNGuCtmYcW1jMeQpUlejQkEwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwNjIwMjYwNloYDzIxMjYxMTEy
MjAyNjA2WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATiH4l1RG5YxpGtSn5Wx/sXJG3TbBZK7u95/9BkhzyibaxI6mM45GRM
L8wFrdp4V3Zz3ZbqYYOvwOvAEmDkaxEQo28wbTAdBgNVHQ4EFgQUBBGuSvSs0Y5o
td6XPHxDLbzr+/QwHwYDVR0jBBgwFoAUBBGuSvSs0Y5otd6XPHxDLbzr+/QwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
zj0EAwIDSAAwRQIgUt1Gwz/jr3djIUhz0nTG+b/qXomhGIvKcCUqcVJPX5ECIQCk
5rxKXwMpf7BRcdh9JUeA/9x/ZGk2cH0VMWSaFBWLKw==
-----END CERTIFICATE-----`;

const settingsWith = (overrides: Partial<WebhookSettings>): WebhookSettings => ({
  allowedSchemes: ['http', 'https'],
  allowPrivateIps: false,
  allowedNetworks: ['127.0.0.0/8'],
  requestTimeoutMs: 5000,
  maxRetries: 3,
  secretBox: null,
  maxAttempts: 100,
  maxAgeMs: 259_200_000,
  backoffBaseMs: 1000,
  backoffMaxMs: 60_000,
  rotationOverlapMs: 86_400_000,
  concurrency: 16,
  ...overrides,
});

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real receiver on 127.0.0.1 that records what reaches it: connections, raw bytes, requests. */
class Receiver {
  readonly requests: Received[] = [];
  connections = 0;
  bytes = 0;
  private constructor(readonly server: Server) {}

  static async start(
    handler: (request: IncomingMessage, response: ServerResponse) => void,
    tls = false,
  ): Promise<Receiver> {
    const server = tls ? createHttpsServer({ key: TLS_KEY, cert: TLS_CERT }) : createHttpServer();
    const receiver = new Receiver(server);
    server.on(tls ? 'secureConnection' : 'connection', (socket) => {
      receiver.connections++;
      socket.on('data', (chunk: Buffer) => (receiver.bytes += chunk.length));
    });
    if (tls)
      server.on('connection', (socket) => socket.on('data', (chunk: Buffer) => (receiver.bytes += chunk.length)));
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const { method = '', url = '', headers } = request;
        receiver.requests.push({ method, url, headers, body: Buffer.concat(chunks).toString('utf8') });
        handler(request, response);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
  }
}

const answer =
  (status: number, body = '', headers: Record<string, string> = {}) =>
  (_: IncomingMessage, response: ServerResponse) =>
    response.writeHead(status, headers).end(body);

const body = JSON.stringify({ entity: 'model_version', action: 'created', data: { name: 'café' } });
const post = (sender: WebhookHttpSender, url: string, verifyTls = true): Promise<SendOutcome> =>
  sender.send({ url, headers: { 'Content-Type': 'application/json', 'X-MLflow-Delivery-Id': 'd-1' }, body, verifyTls });

describe('sending webhook deliveries over HTTP', () => {
  const receivers: Receiver[] = [];
  const senders: WebhookHttpSender[] = [];
  const receiver = async (...args: Parameters<typeof Receiver.start>) => {
    const started = await Receiver.start(...args);
    receivers.push(started);
    return started;
  };
  const sender = (
    settings: Partial<WebhookSettings> = {},
    options?: ConstructorParameters<typeof WebhookHttpSender>[1],
  ) => {
    const created = new WebhookHttpSender(settingsWith(settings), options);
    senders.push(created);
    return created;
  };
  after(async () => {
    await Promise.all(senders.map((created) => created.close()));
    await Promise.all(receivers.map((started) => started.stop()));
  });

  it('delivers on a 2xx: the exact body and headers reach the receiver, its answer is kept', async () => {
    const hook = await receiver(answer(200, 'thanks'));
    const outcome = await post(sender(), `http://127.0.0.1:${hook.port}/hook?x=1`);
    assert.equal(outcome.outcome, 'delivered');
    assert.equal(outcome.statusCode, 200);
    assert.equal(outcome.responseBody, 'thanks');
    assert.equal(outcome.error, null);
    assert.ok(outcome.latencyMs >= 0);
    assert.equal(hook.requests.length, 1);
    const [received] = hook.requests;
    assert.equal(received.method, 'POST');
    assert.equal(received.url, '/hook?x=1');
    assert.equal(received.body, body);
    assert.equal(received.headers['content-type'], 'application/json');
    assert.equal(received.headers['x-mlflow-delivery-id'], 'd-1');
    assert.equal(received.headers['content-length'], String(Buffer.byteLength(body)));
  });

  it('keeps the connection to a receiver alive between deliveries', async () => {
    const hook = await receiver(answer(204));
    const keepAlive = sender();
    for (let i = 0; i < 3; i++)
      assert.equal((await post(keepAlive, `http://127.0.0.1:${hook.port}/`)).outcome, 'delivered');
    assert.equal(hook.requests.length, 3);
    assert.equal(hook.connections, 1);
  });

  it('retries on a 5xx, 408 or 429, honouring Retry-After as seconds or a date', async () => {
    const errors = await receiver((request, response) => {
      const status = Number(request.url!.slice(1));
      const headers: Record<string, string> =
        status === 429
          ? { 'Retry-After': '7' }
          : status === 503
            ? { 'Retry-After': new Date(Date.now() + 30_000).toUTCString() }
            : {};
      response.writeHead(status, headers).end(`status ${status}`);
    });
    const send = sender();
    for (const status of [500, 502, 503, 504, 507, 408, 429]) {
      const outcome = await post(send, `http://127.0.0.1:${errors.port}/${status}`);
      assert.equal(outcome.outcome, 'retryable', String(status));
      assert.equal(outcome.statusCode, status);
      assert.equal(outcome.responseBody, `status ${status}`);
      assert.equal(outcome.error, `HTTP ${status}`);
      if (status === 429) assert.equal(outcome.retryAfterMs, 7000);
      else if (status === 503) assert.ok(outcome.retryAfterMs! > 25_000 && outcome.retryAfterMs! <= 30_000);
      else assert.equal(outcome.retryAfterMs, null);
    }
  });

  it('fails for good on another 4xx', async () => {
    const missing = await receiver(answer(404, 'no such hook'));
    const outcome = await post(sender(), `http://127.0.0.1:${missing.port}/`);
    assert.deepEqual(
      { ...outcome, latencyMs: 0 },
      {
        outcome: 'failed',
        statusCode: 404,
        latencyMs: 0,
        responseBody: 'no such hook',
        error: 'HTTP 404',
        retryAfterMs: null,
      },
    );
  });

  it('does not follow a redirect, to a private address or anywhere', async () => {
    const inside = await receiver(answer(200));
    const location = `http://127.0.0.1:${inside.port}/admin`;
    const redirecting = await receiver(answer(302, '', { Location: location }));
    const outcome = await post(sender({ allowPrivateIps: true }), `http://127.0.0.1:${redirecting.port}/`);
    assert.equal(outcome.outcome, 'failed');
    assert.equal(outcome.statusCode, 302);
    assert.equal(outcome.error, `redirect not followed: 302 to ${location}`);
    assert.equal(inside.requests.length, 0);
  });

  it('gives up when the whole exchange takes longer than the timeout, and may retry', async () => {
    const silent = await receiver(() => undefined);
    const outcome = await post(sender({ requestTimeoutMs: 300 }), `http://127.0.0.1:${silent.port}/`);
    assert.equal(outcome.outcome, 'retryable');
    assert.equal(outcome.statusCode, null);
    assert.equal(outcome.error, 'no complete response within 0.3 s');
    assert.ok(outcome.latencyMs >= 290 && outcome.latencyMs < 2000, String(outcome.latencyMs));

    const trickling = await receiver((_, response) => {
      response.writeHead(200);
      const drip = setInterval(() => response.write('.'), 50);
      response.on('close', () => clearInterval(drip));
    });
    const slowBody = await post(sender({ requestTimeoutMs: 300 }), `http://127.0.0.1:${trickling.port}/`);
    assert.equal(slowBody.outcome, 'retryable');
    assert.equal(slowBody.error, 'no complete response within 0.3 s');
  });

  it('may retry when the connection is refused', async () => {
    const gone = await receiver(answer(200));
    const port = gone.port;
    await gone.stop();
    await sleep(10);
    const outcome = await post(sender(), `http://127.0.0.1:${port}/`);
    assert.equal(outcome.outcome, 'retryable');
    assert.match(outcome.error!, /ECONNREFUSED/);
  });

  it('keeps only the first 64 KiB of an answer', async () => {
    const verbose = await receiver(answer(200, 'x'.repeat(200 * 1024)));
    const outcome = await post(sender(), `http://127.0.0.1:${verbose.port}/`);
    assert.equal(outcome.outcome, 'delivered');
    assert.equal(outcome.responseBody!.length, 64 * 1024);
  });

  it('refuses a hostname resolving to loopback when loopback is not allow-listed, sending nothing', async () => {
    const local = await receiver(answer(200));
    const outcome = await post(sender({ allowedNetworks: [] }), `http://localhost:${local.port}/`);
    assert.equal(outcome.outcome, 'failed');
    assert.match(
      outcome.error!,
      /^Webhook URL must not resolve to a non-public IP address. 'localhost' resolves to (127\.0\.0\.1|::1)\.$/,
    );
    assert.equal(local.connections, 0);
    assert.equal((await post(sender(), `http://localhost:${local.port}/`)).outcome, 'delivered');
  });

  it('checks the address connected to: an IP literal, never resolved, is refused before a byte is written', async () => {
    const local = await receiver(answer(200));
    const outcome = await post(sender({ allowedNetworks: [] }), `http://127.0.0.1:${local.port}/`);
    assert.equal(outcome.outcome, 'failed');
    assert.equal(
      outcome.error,
      'Webhook connection blocked: 127.0.0.1 is not a public IP address. This may indicate a DNS rebinding attempt.',
    );
    await sleep(50);
    assert.equal(local.bytes, 0);
    assert.equal(local.requests.length, 0);
  });

  it('refuses a name that resolved to a public address when saved and to a private one when sent (DNS rebinding)', async () => {
    const local = await receiver(answer(200));
    const answers = [['93.184.215.14'], ['127.0.0.1']];
    const rebinding = async () => answers.shift() ?? ['127.0.0.1'];
    const closed = settingsWith({ allowedNetworks: [] });
    const url = `http://rebind.example:${local.port}/`;
    assert.equal(await webhookUrlRefusal(url, closed, rebinding), null);
    const outcome = await post(sender({ allowedNetworks: [] }, { resolve: rebinding }), url);
    assert.equal(outcome.outcome, 'failed');
    assert.equal(
      outcome.error,
      "Webhook URL must not resolve to a non-public IP address. 'rebind.example' resolves to 127.0.0.1.",
    );
    assert.equal(local.connections, 0);
  });

  it('refuses a scheme not allowed without connecting', async () => {
    const local = await receiver(answer(200));
    const outcome = await post(sender({ allowedSchemes: ['https'] }), `http://127.0.0.1:${local.port}/`);
    assert.equal(outcome.outcome, 'failed');
    assert.equal(outcome.error, "Invalid webhook URL scheme: 'http'. Allowed schemes are: https.");
    assert.equal(local.connections, 0);
  });

  it('fails for good on a URL or headers that cannot be sent', async () => {
    const local = await receiver(answer(200));
    const send = sender();
    const notUrl = await post(send, 'not a url');
    assert.equal(notUrl.outcome, 'failed');
    assert.equal(notUrl.error, "Invalid webhook URL scheme: ''. Allowed schemes are: http, https.");
    const badHeader = await send.send({
      url: `http://127.0.0.1:${local.port}/`,
      headers: { Authorization: 'Bearer a\nb' },
      body,
      verifyTls: true,
    });
    assert.equal(badHeader.outcome, 'failed');
    assert.match(badHeader.error!, /ERR_INVALID_CHAR/);
    assert.equal(local.requests.length, 0);
  });

  it("verifies the receiver's certificate unless the webhook says not to", async () => {
    const tls = await receiver(answer(200, 'secure'), true);
    const send = sender();
    const insecure = await post(send, `https://localhost:${tls.port}/`, false);
    assert.equal(insecure.outcome, 'delivered');
    assert.equal(insecure.responseBody, 'secure');
    const verified = await post(send, `https://localhost:${tls.port}/`, true);
    assert.equal(verified.outcome, 'retryable');
    assert.match(verified.error!, /self.signed certificate/i);
    assert.equal(tls.requests.length, 1);
  });

  it('checks the address connected to over TLS too, before the handshake', async () => {
    const tls = await receiver(answer(200), true);
    const outcome = await post(sender({ allowedNetworks: [] }), `https://127.0.0.1:${tls.port}/`, false);
    assert.equal(outcome.outcome, 'failed');
    assert.match(outcome.error!, /^Webhook connection blocked: 127\.0\.0\.1 is not a public IP address/);
    await sleep(50);
    assert.equal(tls.bytes, 0);
  });
});
