import 'reflect-metadata';
import assert from 'node:assert/strict';
import { AddressInfo, connect, Socket } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { ConfigError } from '../config';
import { ObservabilityModule } from '../observability.module';
import { createHttpApp, httpAppOptions } from './app';
import { defaultAllowedHosts, hostMatcher, INVALID_HOST_MESSAGE } from './host-check';
import { loadServerConfig } from './server-config';

@Controller('api/2.0/mlflow')
class EchoController {
  @Post('echo')
  echo(@Body() body: unknown) {
    return { received: body };
  }

  @Get('ping')
  ping() {
    return { pong: true };
  }
}

@Module({ imports: [ObservabilityModule.with([])], controllers: [EchoController] })
class GuardedModule {}

interface LogLine {
  level: number;
  msg: string;
  requestId?: string;
  url?: string;
}

/** Every log line the app writes, parsed. */
function captureLogs() {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  /** Resolves with the lines matching once there are any; the server may still be busy before that. */
  const loggedAbout = async (matches: (line: LogLine) => boolean) => {
    while (!lines.some(matches)) await new Promise((resolve) => setTimeout(resolve, 20));
    return lines.filter(matches);
  };
  return { lines, logger, loggedAbout };
}

/** An app as an entry point builds it, from the environment the test gives, listening on a free port. */
async function startApp(env: Record<string, string>, logger = pino({ level: 'silent' })) {
  const server = loadServerConfig('test', 0, 'public', env);
  const app = await createHttpApp(GuardedModule, httpAppOptions(logger, server));
  const fastify = app.getHttpAdapter().getInstance();
  // An upload route like the artifact proxy's: the body stays a stream, read as it arrives.
  await fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    scope.put('/upload', async (request) => {
      let size = 0;
      for await (const chunk of request.body as Readable) size += (chunk as Buffer).length;
      return { size };
    });
  });
  await app.listen(0, '127.0.0.1');
  return { app, port: (app.getHttpServer().address() as AddressInfo).port };
}

interface RawExchange {
  socket: Socket;
  /** Resolves with everything the server sent once it closed the connection. */
  closed: Promise<string>;
}

function openRaw(port: number): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    const closed = new Promise<string>((done) => socket.on('close', () => done(received)));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

/** Sends one request on the socket and resolves with the head and body of the answer. */
function ask(socket: Socket, request: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    let received = '';
    const onData = (chunk: Buffer) => {
      received += chunk.toString();
      const headEnd = received.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(received)?.[1];
      if (headEnd < 0 || length === undefined || received.length < headEnd + 4 + Number(length)) return;
      socket.off('data', onData);
      resolve({ status: Number(received.split(' ')[1]), body: received.slice(headEnd + 4) });
    };
    socket.on('data', onData);
    socket.write(request);
  });
}

const statusOf = (raw: string) => Number(raw.split(' ')[1]);
const bodyOf = (raw: string) => raw.slice(raw.indexOf('\r\n\r\n') + 4);
const get = (path: string, host = '127.0.0.1') => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`;

describe('slow clients', () => {
  let app: NestFastifyApplication;
  let port: number;
  const logs = captureLogs();

  before(async () => {
    ({ app, port } = await startApp(
      { LOGBOOK_HTTP_IDLE_TIMEOUT_S: '2', LOGBOOK_HTTP_HEADERS_TIMEOUT_S: '1' },
      logs.logger,
    ));
  });
  after(() => app.close());

  it(
    'answers 408 in MLflow shape and closes when half a JSON body arrived and then nothing, logging no error',
    { timeout: 30_000 },
    async () => {
      const { socket, closed } = await openRaw(port);
      socket.write(
        'POST /api/2.0/mlflow/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
          'Content-Length: 40\r\n\r\n{"run_id": "half',
      );
      const answer = await closed;
      assert.equal(statusOf(answer), 408, answer);
      assert.deepEqual(JSON.parse(bodyOf(answer)), {
        error_code: 'BAD_REQUEST',
        message: 'No part of the request body arrived for 2 s',
      });
      assert.deepEqual(
        (await logs.loggedAbout((line) => line.url === '/api/2.0/mlflow/echo')).map((line) => [line.level, line.msg]),
        [[30, 'request body stalled; answered 408 and closed']],
      );
      assert.deepEqual(
        logs.lines.filter((line) => line.level >= 50),
        [],
      );
    },
  );

  it('answers 408 to an upload that stalls', { timeout: 30_000 }, async () => {
    const { socket, closed } = await openRaw(port);
    socket.write('PUT /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n');
    socket.write(Buffer.alloc(500_000));
    const answer = await closed;
    assert.equal(statusOf(answer), 408, answer);
    assert.equal(JSON.parse(bodyOf(answer)).error_code, 'BAD_REQUEST');
  });

  it(
    'does not cut off a slow but steady upload that takes longer than the idle timeout',
    { timeout: 30_000 },
    async () => {
      const { socket } = await openRaw(port);
      const chunks = 16;
      const answer = ask(socket, `PUT /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${chunks * 1000}\r\n\r\n`);
      // A chunk every half second for 8 s: four times the idle timeout in all, never idle for long.
      for (let i = 0; i < chunks; i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        socket.write(Buffer.alloc(1000));
      }
      const { status, body } = await answer;
      socket.destroy();
      assert.equal(status, 200, body);
      assert.deepEqual(JSON.parse(body), { size: chunks * 1000 });
    },
  );

  it('answers 408 in MLflow shape when the headers do not arrive in time', { timeout: 30_000 }, async () => {
    const { socket, closed } = await openRaw(port);
    socket.write('GET /api/2.0/mlflow/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const answer = await closed;
    assert.equal(statusOf(answer), 408, answer);
    assert.equal(JSON.parse(bodyOf(answer)).error_code, 'BAD_REQUEST');
  });
});

describe('clients that go away', () => {
  let app: NestFastifyApplication;
  let port: number;
  const logs = captureLogs();

  before(async () => {
    ({ app, port } = await startApp({}, logs.logger));
  });
  after(() => app.close());

  it(
    'logs a JSON request the client aborts once at info with its request id, and no error',
    { timeout: 30_000 },
    async () => {
      const requestId = 'aborted-json';
      const { socket } = await openRaw(port);
      const received = new Promise((resolve) => app.getHttpServer().once('request', resolve));
      socket.write(
        'POST /api/2.0/mlflow/echo HTTP/1.1\r\nContent-Type: application/json\r\nHost: 127.0.0.1\r\n' +
          `X-Request-Id: ${requestId}\r\nContent-Length: 100000\r\n\r\n`,
      );
      socket.write(Buffer.alloc(50_000, '['));
      await received;
      socket.destroy();
      assert.deepEqual(
        (await logs.loggedAbout((line) => line.requestId === requestId)).map((line) => [line.level, line.msg]),
        [[30, 'request cut off before it was complete']],
      );
      assert.deepEqual(
        logs.lines.filter((line) => line.level >= 50),
        [],
      );
    },
  );
});

describe('connections per address', () => {
  let app: NestFastifyApplication;
  let port: number;

  before(async () => {
    ({ app, port } = await startApp({ LOGBOOK_MAX_CONNECTIONS_PER_ADDRESS: '3' }));
    app.getHttpServer().on('connection', (socket: Socket) => serverSide.set(socket.remotePort, socket));
  });
  after(() => app.close());

  /** The server's end of each connection, by the client's port. */
  const serverSide = new Map<number | undefined, Socket>();

  it('refuses the fourth connection from one address with 429 while three are open, and takes one again after one closes', async () => {
    const held = await Promise.all([openRaw(port), openRaw(port), openRaw(port)]);
    for (const { socket } of held) assert.equal((await ask(socket, get('/api/2.0/mlflow/ping'))).status, 200);

    const extra = await openRaw(port);
    const refused = await ask(extra.socket, get('/api/2.0/mlflow/ping'));
    assert.equal(refused.status, 429);
    assert.deepEqual(JSON.parse(refused.body), {
      error_code: 'RESOURCE_EXHAUSTED',
      message: 'Too many open connections from this address (at most 3)',
    });
    await extra.closed;

    const released = new Promise((resolve) => serverSide.get(held[0].socket.localPort)?.once('close', resolve));
    held[0].socket.destroy();
    await released;
    const next = await openRaw(port);
    assert.equal((await ask(next.socket, get('/api/2.0/mlflow/ping'))).status, 200);
    for (const { socket } of [...held, next]) socket.destroy();
  });
});

describe('Host header check', () => {
  it("allows MLflow's defaults: local names on any port, private addresses, and the configured host", () => {
    const allowed = hostMatcher(defaultAllowedHosts('203.0.113.7'));
    for (const host of [
      'localhost',
      'localhost:5000',
      '127.0.0.1:5000',
      '[::1]:5000',
      '0.0.0.0:5000',
      '10.1.2.3:5000',
      '172.16.0.1',
      '172.31.255.255:80',
      '192.168.1.20:5000',
      '203.0.113.7:5000',
      'LOCALHOST:5000',
    ]) {
      assert.equal(allowed(host), true, host);
    }
    for (const host of ['evil.example', 'evil.example:5000', 'localhost.evil.example', '172.32.0.1', '8.8.8.8', '']) {
      assert.equal(allowed(host), false, host);
    }
    assert.equal(allowed(undefined), false);
  });

  it("takes MLflow's wildcard syntax: globs with *, ? and [], exact names otherwise, * for any", () => {
    const allowed = hostMatcher(['mlflow.company.com', 'app-?.internal:*', '*.corp.example', 'node[0-9].lab:*']);
    for (const host of ['mlflow.company.com', 'app-1.internal:5000', 'a.b.corp.example', 'node7.lab:80']) {
      assert.equal(allowed(host), true, host);
    }
    for (const host of ['mlflow.company.com:5000', 'app-12.internal:5000', 'corp.example', 'nodex.lab:80']) {
      assert.equal(allowed(host), false, host);
    }
    assert.equal(hostMatcher(['*'])('anything.example'), true);
  });

  describe('on a server', () => {
    let app: NestFastifyApplication;
    let port: number;

    before(async () => {
      ({ app, port } = await startApp({ LOGBOOK_ALLOWED_HOSTS: 'mlflow.company.com, *.lab.example' }));
    });
    after(() => app.close());

    const answer = async (path: string, host: string) => {
      const { socket } = await openRaw(port);
      const result = await ask(socket, get(path, host));
      socket.destroy();
      return result;
    };

    it("refuses any other Host with MLflow's answer", async () => {
      const refused = await answer('/api/2.0/mlflow/ping', 'evil.example');
      assert.equal(refused.status, 403);
      assert.equal(refused.body, INVALID_HOST_MESSAGE);
      assert.equal((await answer('/api/2.0/mlflow/ping', '127.0.0.1')).status, 403);
    });

    it('serves the configured names and patterns', async () => {
      assert.equal((await answer('/api/2.0/mlflow/ping', 'mlflow.company.com')).status, 200);
      assert.equal((await answer('/api/2.0/mlflow/ping', 'gpu-3.lab.example')).status, 200);
      assert.equal((await answer('/api/2.0/mlflow/ping', 'gpu-3.lab.example:5000')).status, 403);
    });

    it('answers probes whatever Host they use', async () => {
      assert.equal((await answer('/health', 'evil.example')).status, 200);
      assert.equal((await answer('/health/ready', 'evil.example')).status, 200);
    });
  });
});

describe('client settings', () => {
  it('fail at start with a message naming each wrong setting', () => {
    assert.throws(
      () =>
        loadServerConfig('gateway', 5000, 'public', {
          LOGBOOK_HTTP_IDLE_TIMEOUT_S: '0',
          LOGBOOK_MAX_CONNECTIONS_PER_ADDRESS: 'many',
          LOGBOOK_ALLOWED_HOSTS: 'a.example,,b.example',
        }),
      (error: Error) =>
        error instanceof ConfigError &&
        /LOGBOOK_HTTP_IDLE_TIMEOUT_S/.test(error.message) &&
        /LOGBOOK_MAX_CONNECTIONS_PER_ADDRESS/.test(error.message) &&
        /LOGBOOK_ALLOWED_HOSTS/.test(error.message),
    );
  });

  it('cap connections and check Host at the public entry by default, not behind it', () => {
    const entry = loadServerConfig('gateway', 5000, 'public', {});
    const behind = loadServerConfig('tracking', 5001, 'internal', {});
    assert.equal(entry.connections.maxConnectionsPerAddress, 256);
    assert.equal(hostMatcher(entry.allowedHosts)('evil.example'), false);
    assert.equal(behind.connections.maxConnectionsPerAddress, 0);
    assert.deepEqual(behind.allowedHosts, ['*']);
  });
});
