import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { Agent, createServer, IncomingHttpHeaders, request as httpRequest, Server } from 'node:http';
import { AddressInfo, connect, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import Fastify from 'fastify';
import pino, { Logger } from 'pino';
import {
  PostgresDatabase,
  MlflowError,
  answerUnsupportedMethods,
  createHttpApp,
  SYSTEM_METADATA,
} from '@logbook/platform';
import { TRANSFER_OFFLOAD } from '@logbook/transfers';
import { createTestDatabase, testInfra, waitFor } from '@logbook/testing';
import { artifactsOpenApi } from '../../services/artifacts/src/artifacts.openapi';
import { ArtifactRecords } from '../../services/artifacts/src/artifact-records';
import { ArtifactsModule } from '../../services/artifacts/src/artifacts.module';
import { ArtifactsRuntime, startArtifactsRuntime } from '../../services/artifacts/src/artifacts.runtime';
import { loadArtifactsConfig } from '../../services/artifacts/src/config';
import { DownloadsService } from '../../services/artifacts/src/downloads/downloads.service';
import { Owners } from '../../services/artifacts/src/owners/owners';
import { ReconciliationService } from '../../services/artifacts/src/reconciliation/reconciliation.service';
import { UploadsService } from '../../services/artifacts/src/uploads/uploads.service';
import { buildOpenApiDocument } from '../../services/gateway/src/openapi.document';
import { forwardedRouteMethods, registerRoutes, routingTable } from '../../services/gateway/src/routing';
import { upstreamPools } from '../../services/gateway/src/upstream-pool';
import { loadTrackingConfig } from '../../services/tracking/src/config';
import { experimentStream, experimentStreamId } from '../../services/tracking/src/experiments/experiment.decider';
import { RunsService } from '../../services/tracking/src/runs/runs.service';
import { TrackingModule } from '../../services/tracking/src/tracking.module';
import { trackingOpenApi } from '../../services/tracking/src/tracking.openapi';
import { startTrackingRuntime, TrackingRuntime } from '../../services/tracking/src/tracking.runtime';

const MAX_UPLOAD_MB = 4;

/**
 * The embedded shape's HTTP surface on the given runtimes, on a free port, and a gateway in front of it
 * (as the distributed shape routes, with 405 for methods MLflow does not use).
 */
async function serveWithGateway(tracking: TrackingRuntime, artifacts: ArtifactsRuntime, routeLogger: Logger) {
  @Module({ imports: [TrackingModule.with(tracking), ArtifactsModule.with(artifacts, routeLogger)] })
  class TestModule {}
  const app = await createHttpApp(TestModule, { logger: pino({ level: 'silent' }), bodyLimitBytes: 1024 * 1024 });
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  const gateway = Fastify();
  answerUnsupportedMethods(
    gateway,
    forwardedRouteMethods(buildOpenApiDocument([trackingOpenApi(), artifactsOpenApi()])),
  );
  await registerRoutes(
    gateway,
    routingTable(upstreamPools({ tracking: base, artifacts: base, registry: base })),
    routeLogger,
  );
  const gatewayBase = await gateway.listen({ port: 0, host: '127.0.0.1' });
  /** Stops the gateway, the app, then the runtimes under it. */
  const close = async () => {
    await gateway.close();
    await app.close();
    await artifacts.close();
    await tracking.close();
  };
  return { app, base, gateway, gatewayBase, close };
}

/** A gateway in front of a stand-in for the services, to test what the gateway itself does. */
async function gatewayInFrontOf(service: Server, routeLogger: Logger) {
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  const upstream = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
  const gateway = Fastify();
  await registerRoutes(
    gateway,
    routingTable(upstreamPools({ tracking: upstream, artifacts: upstream, registry: upstream })),
    routeLogger,
  );
  const base = await gateway.listen({ port: 0, host: '127.0.0.1' });
  return {
    base,
    close: async () => {
      await gateway.close();
      service.close();
    },
  };
}

describe('artifacts API on real Postgres and S3', () => {
  let app: NestFastifyApplication;
  let base: string;
  let tracking: TrackingRuntime;
  let artifacts: ArtifactsRuntime;
  let database: { url: string; drop(): Promise<void> };
  let close: () => Promise<void>;
  let gatewayBase: string;

  const api = (path: string, init?: RequestInit) => fetch(`${base}${path}`, init);
  const json = (body: unknown): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  /** What the artifact routes log, parsed. */
  const routeLogs: { level: number; msg: string; requestId?: string }[] = [];
  const routeLogger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) routeLogs.push(JSON.parse(line));
        done();
      },
    }),
  );
  const storedEvents = async () =>
    (
      await artifacts.db.query<{ type: string; data: Record<string, unknown> }>(
        `SELECT type, data FROM artifacts.events ORDER BY global_position`,
      )
    ).rows;

  before(async () => {
    const infra = testInfra();
    database = await createTestDatabase('artifacts');
    const logger = pino({ level: 'silent' });
    tracking = await startTrackingRuntime(
      loadTrackingConfig({
        LOGBOOK_MODE: 'distributed',
        DATABASE_URL: database.url,
        KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      }),
      logger,
    );
    artifacts = await startArtifactsRuntime(
      loadArtifactsConfig({
        ...process.env,
        LOGBOOK_MODE: 'distributed',
        DATABASE_URL: database.url,
        KAFKA_BROKERS: infra.kafkaBrokers.join(','),
        LOGBOOK_ARTIFACTS_BACKEND: 's3',
        S3_PREFIX: `api-test-${randomUUID()}/`,
        LOGBOOK_ARTIFACT_MAX_UPLOAD_MB: String(MAX_UPLOAD_MB),
        LOGBOOK_ARTIFACT_OWNER_WAIT_MS: '3000',
      }),
      logger,
      { kind: 'in-process', trackingStore: tracking.store, toContract: tracking.toContract },
      tracking.db,
    );
    ({ app, base, gatewayBase, close } = await serveWithGateway(tracking, artifacts, routeLogger));
  });

  after(async () => {
    await close();
    await database.drop();
  });

  /** A PUT whose path goes on the wire byte for byte: a parsed URL would resolve the `..` segments first. */
  function rawPut(path: string, body: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const { hostname, port } = new URL(base);
      const request = httpRequest({ hostname, port, path, method: 'PUT' }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      });
      request.on('error', reject);
      request.end(body);
    });
  }

  /**
   * Waits until the artifacts service's copy of a run or logged model is in `stage`: looked up again each
   * time its consumer of tracking's events commits one, failing after 10 s.
   */
  async function ownerLearned(ownerId: string, stage: 'active' | 'deleted' | 'purged'): Promise<void> {
    const learned = await artifacts.ownerAnnouncements.until(async () => {
      const { rows } = await artifacts.db.query<{ lifecycle_stage: string }>(
        `SELECT lifecycle_stage FROM artifacts.owners WHERE owner_id = $1`,
        [ownerId],
      );
      return rows[0]?.lifecycle_stage === stage || undefined;
    }, 10_000);
    assert.ok(learned, `the artifacts service did not learn within 10 s that ${ownerId} is ${stage}`);
  }

  async function newRun(): Promise<{ runId: string; root: string }> {
    const run = (await (await api('/api/2.0/mlflow/runs/create', json({ experiment_id: '0' }))).json()) as {
      run: { info: { run_id: string; artifact_uri: string } };
    };
    return { runId: run.run.info.run_id, root: run.run.info.artifact_uri.replace('mlflow-artifacts:/', '') };
  }

  it('stores first, then records path, size and sha256 as an event; lists and downloads the same bytes', async () => {
    const { runId, root } = await newRun();
    const bytes = randomBytes(300_000);
    const put = await api(`/api/2.0/mlflow-artifacts/artifacts/${root}/data/blob.bin`, { method: 'PUT', body: bytes });
    assert.equal(put.status, 200, await put.clone().text());
    await api(`/api/2.0/mlflow-artifacts/artifacts/${root}/notes.json`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"not": "parsed by the server"}',
    });

    const event = (await storedEvents()).find(
      (e) => e.type === 'ArtifactStored' && e.data.path === `${root}/data/blob.bin`,
    );
    assert.deepEqual(
      { runId: event?.data.runId, size: event?.data.size, sha256: event?.data.sha256 },
      { runId, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') },
    );

    const download = await api(`/api/2.0/mlflow-artifacts/artifacts/${root}/data/blob.bin`);
    assert.equal(download.status, 200);
    assert.equal(download.headers.get('content-disposition'), 'attachment; filename=blob.bin');
    assert.equal(download.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(Buffer.from(await download.arrayBuffer()).equals(bytes));

    const ranged = await api(`/api/2.0/mlflow-artifacts/artifacts/${root}/data/blob.bin`, {
      headers: { range: 'bytes=10-19' },
    });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get('content-range'), `bytes 10-19/${bytes.length}`);
    assert.ok(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(10, 20)));

    const notes = await api(`/api/2.0/mlflow-artifacts/artifacts/${root}/notes.json`);
    assert.equal(await notes.text(), '{"not": "parsed by the server"}');

    const listing = await (await api(`/api/2.0/mlflow-artifacts/artifacts?path=${root}`)).json();
    assert.deepEqual(listing, {
      files: [
        { path: 'data', is_dir: true },
        { path: 'notes.json', is_dir: false, file_size: 31 },
      ],
    });
    const runListing = await (await api(`/api/2.0/mlflow/artifacts/list?run_id=${runId}&path=data`)).json();
    assert.deepEqual(runListing, {
      root_uri: `mlflow-artifacts:/${root}`,
      files: [{ path: 'data/blob.bin', is_dir: false, file_size: bytes.length }],
    });

    const deleted = await api(`/api/2.0/mlflow-artifacts/artifacts/${root}/data`, { method: 'DELETE' });
    assert.equal(deleted.status, 200);
    assert.equal((await api(`/api/2.0/mlflow-artifacts/artifacts/${root}/data/blob.bin`)).status, 404);
    assert.ok(
      (await storedEvents()).some((e) => e.type === 'ArtifactDeleted' && e.data.path === `${root}/data/blob.bin`),
    );
  });

  it('refuses artifacts for unknown and deleted runs, traversal, and oversized uploads, writing nothing', async () => {
    const { runId, root } = await newRun();
    const eventsBefore = (await storedEvents()).length;
    const attempts: Array<[string, string, number, string]> = [
      ['unknown run', `0/${'a'.repeat(32)}/artifacts/x.txt`, 404, 'RESOURCE_DOES_NOT_EXIST'],
      ['dot-dot', `${root}/../../etc/passwd`, 400, 'INVALID_PARAMETER_VALUE'],
      ['encoded dot-dot', `${root}/%2e%2e/%2e%2e/x`, 400, 'INVALID_PARAMETER_VALUE'],
      ['double-encoded dot-dot', `${root}/%252e%252e%252fx`, 400, 'INVALID_PARAMETER_VALUE'],
      ['backslash', `${root}/..%5c..%5cx`, 400, 'INVALID_PARAMETER_VALUE'],
      ['NUL byte', `${root}/x%00.txt`, 400, 'INVALID_PARAMETER_VALUE'],
    ];
    for (const [name, path, status, code] of attempts) {
      const response = await rawPut(`/api/2.0/mlflow-artifacts/artifacts/${path}`, 'payload');
      assert.equal(response.status, status, `${name}: ${response.status} ${response.body}`);
      assert.equal((JSON.parse(response.body) as { error_code: string }).error_code, code, name);
    }
    const oversized = await api(`/api/2.0/mlflow-artifacts/artifacts/${root}/big.bin`, {
      method: 'PUT',
      body: Buffer.alloc(MAX_UPLOAD_MB * 1024 * 1024 + 1),
    });
    assert.equal(oversized.status, 400);
    assert.equal((await api(`/api/2.0/mlflow-artifacts/artifacts/${root}/big.bin`)).status, 404);

    assert.equal((await storedEvents()).length, eventsBefore, 'no refused upload was recorded');

    await api('/api/2.0/mlflow/runs/delete', json({ run_id: runId }));
    // The artifacts service learns of the deletion from tracking's events, a moment later.
    await ownerLearned(runId, 'deleted');
    const afterDelete = await api(`/api/2.0/mlflow-artifacts/artifacts/${root}/late.txt`, {
      method: 'PUT',
      body: 'late',
    });
    assert.equal(afterDelete.status, 400);
  });

  it('records an upload with the request id and traceparent it came with, as tracking records its commands', async () => {
    const { root } = await newRun();
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const put = await api(`/api/2.0/mlflow-artifacts/artifacts/${root}/traced.txt`, {
      method: 'PUT',
      headers: { traceparent, 'x-request-id': 'traced-upload' },
      body: 'traced',
    });
    assert.equal(put.status, 200);
    const { rows } = await artifacts.db.query<{ metadata: { correlationId: string; traceparent?: string } }>(
      `SELECT metadata FROM artifacts.events WHERE type = 'ArtifactStored' AND data->>'path' = $1`,
      [`${root}/traced.txt`],
    );
    assert.deepEqual(
      rows.map((row) => [row.metadata.correlationId, row.metadata.traceparent]),
      [['traced-upload', traceparent]],
    );
  });

  it('refuses multipart bodies and part queries that miss or mistype a field with 400, recording nothing', async () => {
    const { root } = await newRun();
    const eventsBefore = (await storedEvents()).length;
    const mpu = '/api/2.0/mlflow-artifacts/mpu';
    const refusals: Array<[string, Promise<Response>, RegExp]> = [
      ['create without path', api(`${mpu}/create/${root}`, json({ num_parts: 1 })), /required parameter 'path'/],
      ['create without num_parts', api(`${mpu}/create/${root}`, json({ path: 'a.bin' })), /'num_parts'/],
      ['create with 0 parts', api(`${mpu}/create/${root}`, json({ path: 'a.bin', num_parts: 0 })), /num_parts/],
      ['create with a list', api(`${mpu}/create/${root}`, json([{ path: 'a.bin' }])), /JSON object/],
      ['complete without parts', api(`${mpu}/complete/${root}`, json({ path: 'a.bin', upload_id: 'u' })), /'parts'/],
      [
        'complete with no parts',
        api(`${mpu}/complete/${root}`, json({ path: 'a.bin', upload_id: 'u', parts: [] })),
        /'parts'/,
      ],
      [
        'complete with a part without etag',
        api(`${mpu}/complete/${root}`, json({ path: 'a.bin', upload_id: 'u', parts: [{ part_number: 1 }] })),
        /'parts\[0\]\.etag'/,
      ],
      ['abort without upload_id', api(`${mpu}/abort/${root}`, json({ path: 'a.bin' })), /'upload_id'/],
      [
        'a part without part_number',
        api(`${mpu}/upload-part/${root}/a.bin?upload_id=u`, { method: 'PUT', body: 'x' }),
        /'part_number'/,
      ],
      [
        'a part numbered in words',
        api(`${mpu}/upload-part/${root}/a.bin?upload_id=u&part_number=one`, { method: 'PUT', body: 'x' }),
        /'part_number'/,
      ],
    ];
    for (const [name, answer, message] of refusals) {
      const response = await answer;
      const body = (await response.json()) as { error_code: string; message: string };
      assert.equal(response.status, 400, `${name}: ${body.message}`);
      assert.equal(body.error_code, 'INVALID_PARAMETER_VALUE', name);
      assert.match(body.message, message, name);
    }
    assert.equal((await storedEvents()).length, eventsBefore);
  });

  it('refuses a multipart completion whose parts are not objects with 400, recording nothing', async () => {
    const { root } = await newRun();
    const eventsBefore = (await storedEvents()).length;
    for (const parts of [[null], ['1'], [[1, 'etag']]]) {
      const response = await api(
        `/api/2.0/mlflow-artifacts/mpu/complete/${root}`,
        json({ path: 'model.bin', upload_id: 'an-upload', parts }),
      );
      const body = (await response.json()) as { error_code: string; message: string };
      assert.equal(response.status, 400, `${JSON.stringify(parts)}: ${body.message}`);
      assert.equal(body.error_code, 'INVALID_PARAMETER_VALUE');
    }
    assert.equal((await storedEvents()).length, eventsBefore);
    assert.equal((await api(`/api/2.0/mlflow-artifacts/artifacts/${root}/model.bin`)).status, 404);
  });

  it('takes bodies with and without Content-Length, and refuses a declared length over the limit unread', async () => {
    const { root } = await newRun();
    const url = `/api/2.0/mlflow-artifacts/artifacts/${root}`;
    const bytes = randomBytes(3 * 1024 * 1024 + 7);
    const chunked = (body: Buffer): RequestInit & { duplex: 'half' } => ({
      method: 'PUT',
      // A stream body has no known length: fetch sends it with Transfer-Encoding: chunked.
      body: Readable.toWeb(Readable.from([body.subarray(0, 1_000_000), body.subarray(1_000_000)])) as ReadableStream,
      duplex: 'half',
    });
    assert.equal((await api(`${url}/chunked.bin`, chunked(bytes))).status, 200);
    const downloaded = await api(`${url}/chunked.bin`);
    assert.deepEqual(Buffer.from(await downloaded.arrayBuffer()), bytes);
    // curl's default for --data-binary: a store behind Jetty (S3Proxy) would parse it as form fields.
    const form = await api(`${url}/form.txt`, {
      method: 'PUT',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1&b=2',
    });
    assert.equal(form.status, 200);
    assert.equal(await (await api(`${url}/form.txt`)).text(), 'a=1&b=2');
    const tooLong = await api(`${url}/too-long.bin`, chunked(randomBytes(MAX_UPLOAD_MB * 1024 * 1024 + 1)));
    assert.equal(tooLong.status, 400);

    // Only 1 KiB of the declared 100 MiB is sent: the answer must come without the rest.
    const declared = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const { hostname, port } = new URL(base);
      const request = httpRequest(
        {
          hostname,
          port,
          path: `${url}/declared.bin`,
          method: 'PUT',
          headers: { 'content-length': 100 * 1024 * 1024 },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => {
            resolve({ status: response.statusCode ?? 0, body: text });
            request.destroy();
          });
        },
      );
      request.on('error', reject);
      request.write(Buffer.alloc(1024));
    });
    assert.equal(declared.status, 400);
    assert.match(declared.body, /exceeds the upload limit of 4194304 bytes/);
    assert.equal((await api(`${url}/too-long.bin`)).status, 404);
    assert.equal((await api(`${url}/declared.bin`)).status, 404);
  });

  it('through the gateway, a method the path does not take is answered 405 with its Allow, not forwarded', async () => {
    const cases: Array<[string, string, string]> = [
      ['QUERY', '/api/2.0/mlflow-artifacts/artifacts?path=', 'GET, HEAD'],
      ['PROPFIND', '/api/2.0/mlflow/runs/get', 'GET, HEAD'],
      ['DELETE', '/api/2.0/mlflow-artifacts/mpu/abort/a/b.txt', 'POST'],
      ['PUT', '/api/2.0/mlflow/logged-models/m-0123', 'GET, PATCH, DELETE, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const answer = await new Promise<{ status: number; allow: string; body: string }>((resolve, reject) => {
        const request = httpRequest(`${gatewayBase}${path}`, { method }, (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, allow: String(response.headers.allow), body }),
          );
        });
        request.on('error', reject).end('{"path": "a/b.txt"}');
      });
      assert.equal(answer.status, 405, `${method} ${path}: ${answer.body}`);
      assert.equal(JSON.parse(answer.body).error_code, 'BAD_REQUEST');
      assert.equal(answer.allow, allow, `${method} ${path}`);
    }
  });

  it('through the gateway, a download is read from the store by the gateway, with the same answer', async () => {
    const { root } = await newRun();
    const path = `/api/2.0/mlflow-artifacts/artifacts/${root}/model.bin`;
    const bytes = randomBytes(2 * 1024 * 1024 + 3);
    assert.equal((await api(path, { method: 'PUT', body: bytes })).status, 200);

    // Asked by a gateway, the service only describes the answer: the bytes are the gateway's to read.
    const handedOver = await api(path, { headers: { [TRANSFER_OFFLOAD.accept]: TRANSFER_OFFLOAD.version } });
    assert.equal(handedOver.status, 200);
    assert.equal((await handedOver.arrayBuffer()).byteLength, 0);
    assert.match(handedOver.headers.get(TRANSFER_OFFLOAD.url) ?? '', /^http:\/\/.*X-Amz-Signature=/);
    assert.equal(handedOver.headers.get(TRANSFER_OFFLOAD.length), String(bytes.length));

    const asked: Array<[string, Record<string, string>, number, Buffer]> = [
      ['whole', {}, 200, bytes],
      ['range', { range: 'bytes=100-199' }, 206, bytes.subarray(100, 200)],
      ['suffix', { range: 'bytes=-10' }, 206, bytes.subarray(bytes.length - 10)],
      ['open end', { range: `bytes=${bytes.length - 5}-` }, 206, bytes.subarray(bytes.length - 5)],
      // A client cannot turn the hand-over on or point it anywhere: those headers are the gateway's.
      ['forged', { [TRANSFER_OFFLOAD.accept]: '1', [TRANSFER_OFFLOAD.url]: 'http://127.0.0.1:1/' }, 200, bytes],
    ];
    for (const [name, headers, status, expected] of asked) {
      const direct = await api(path, { headers: { range: headers.range ?? '' } });
      const proxied = await fetch(`${gatewayBase}${path}`, { headers });
      assert.equal(proxied.status, status, name);
      assert.deepEqual(Buffer.from(await proxied.arrayBuffer()), expected, name);
      for (const header of [
        'content-type',
        'content-disposition',
        'content-length',
        'content-range',
        'accept-ranges',
      ]) {
        assert.equal(proxied.headers.get(header), direct.headers.get(header), `${name}: ${header}`);
      }
      assert.deepEqual(
        [...proxied.headers.keys()].filter((header) => header.startsWith('x-logbook-offload')),
        [],
        name,
      );
    }
    const missing = await fetch(`${gatewayBase}/api/2.0/mlflow-artifacts/artifacts/${root}/absent.bin`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error_code: string }).error_code, 'RESOURCE_DOES_NOT_EXIST');
    const beyond = await fetch(`${gatewayBase}${path}`, { headers: { range: `bytes=${bytes.length}-` } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get('content-range'), `bytes */${bytes.length}`);
  });

  it('through the gateway, an upload of known length is stored by the gateway and recorded by the service', async () => {
    const { root } = await newRun();
    const url = `${gatewayBase}/api/2.0/mlflow-artifacts/artifacts/${root}`;
    const bytes = randomBytes(3 * 1024 * 1024 + 11);
    const before = (await storedEvents()).length;
    const stored = await fetch(`${url}/weights.bin`, {
      method: 'PUT',
      headers: { 'content-type': 'application/x-custom' },
      body: bytes,
    });
    assert.equal(stored.status, 200, await stored.clone().text());
    assert.deepEqual(await stored.json(), {});
    const events = (await storedEvents()).slice(before);
    assert.deepEqual(
      events.map((event) => [event.type, event.data.path, event.data.size, event.data.sha256, event.data.contentType]),
      [
        [
          'ArtifactStored',
          `${root}/weights.bin`,
          bytes.length,
          createHash('sha256').update(bytes).digest('hex'),
          'application/x-custom',
        ],
      ],
    );
    assert.deepEqual(Buffer.from(await (await fetch(`${url}/weights.bin`)).arrayBuffer()), bytes);
    assert.equal((await fetch(`${url}/empty.txt`, { method: 'PUT', body: '' })).status, 200);
    assert.equal(await (await fetch(`${url}/empty.txt`)).text(), '');

    // Refusals are the service's, before any byte is stored.
    const unknown = await fetch(
      `${gatewayBase}/api/2.0/mlflow-artifacts/artifacts/0/${'b'.repeat(32)}/artifacts/x.bin`,
      { method: 'PUT', body: bytes },
    );
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error_code: string }).error_code, 'RESOURCE_DOES_NOT_EXIST');
    const oversized = await fetch(`${url}/big.bin`, {
      method: 'PUT',
      body: Buffer.alloc(MAX_UPLOAD_MB * 1024 * 1024 + 1),
    });
    assert.equal(oversized.status, 400);
    assert.equal((await fetch(`${url}/big.bin`)).status, 404);
    assert.equal((await storedEvents()).length, before + 2, 'nothing recorded for the refusals');

    // A chunked body has no length to hand over: it goes through the service as before.
    const chunked = await fetch(`${url}/chunked.bin`, {
      method: 'PUT',
      body: Readable.toWeb(Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)])) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    assert.equal(chunked.status, 200);
    assert.deepEqual(Buffer.from(await (await fetch(`${url}/chunked.bin`)).arrayBuffer()), bytes);
  });

  it('through the gateway, the other PUT (a proxied multipart part) reaches the service with its body', async () => {
    const { root } = await newRun();
    const mpu = `${gatewayBase}/api/2.0/mlflow-artifacts/mpu`;
    const created = await fetch(`${mpu}/create/${root}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: '/client/side/part.bin', num_parts: 1 }),
    });
    assert.equal(created.status, 200);
    const { upload_id: uploadId } = (await created.json()) as { upload_id: string };
    const part = randomBytes(1024 * 1024 + 3);
    const sent = await fetch(
      `${mpu}/upload-part/${root}/part.bin?upload_id=${encodeURIComponent(uploadId)}&part_number=1`,
      { method: 'PUT', body: part },
    );
    assert.equal(sent.status, 200, await sent.clone().text());
    const etag = sent.headers.get('etag');
    assert.ok(etag, 'the part answer carries its ETag');
    const completed = await fetch(`${mpu}/complete/${root}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: '/client/side/part.bin', upload_id: uploadId, parts: [{ part_number: 1, etag }] }),
    });
    assert.equal(completed.status, 200, await completed.clone().text());
    const stored = await fetch(`${gatewayBase}/api/2.0/mlflow-artifacts/artifacts/${root}/part.bin`);
    assert.deepEqual(Buffer.from(await stored.arrayBuffer()), part);
  });

  it('through the gateway, an upload the service declines to hand over is proxied to it whole', async () => {
    const received: Array<{ offload: boolean; body: Buffer }> = [];
    const service = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const offload = request.headers[TRANSFER_OFFLOAD.accept] !== undefined;
        received.push({ offload, body: Buffer.concat(chunks) });
        if (offload) response.setHeader(TRANSFER_OFFLOAD.declined, 'true');
        response.setHeader('content-type', 'application/json');
        response.end('{}');
      });
    });
    const { base: localBase, close } = await gatewayInFrontOf(service, routeLogger);
    try {
      const answer = await fetch(`${localBase}/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/a.txt`, {
        method: 'PUT',
        body: 'the bytes',
      });
      assert.equal(answer.status, 200);
      assert.deepEqual(
        received.map(({ offload, body }) => [offload, body.toString()]),
        [
          [true, ''],
          [false, 'the bytes'],
        ],
      );
    } finally {
      await close();
    }
  });

  it(
    'through the gateway, a store that fails an upload it carries still gets the client an answer',
    { timeout: 20_000 },
    async () => {
      const store = createServer((request, response) => {
        request.resume();
        request.on('end', () => {
          response.statusCode = 500;
          response.end();
        });
      });
      await new Promise<void>((resolve) => store.listen(0, '127.0.0.1', resolve));
      const storeUrl = `http://127.0.0.1:${(store.address() as AddressInfo).port}/bucket/key`;
      const service = createServer((request, response) => {
        request.resume();
        response.setHeader(TRANSFER_OFFLOAD.url, storeUrl);
        response.setHeader('content-type', 'application/json');
        response.end('{}');
      });
      const { base: localBase, close } = await gatewayInFrontOf(service, routeLogger);
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const answer = await putWhole(
          agent,
          `${localBase}/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/a.bin`,
          randomBytes(64 * 1024),
        );
        assert.equal(answer.status, 503, answer.body);
        assert.equal((JSON.parse(answer.body) as { error_code: string }).error_code, 'TEMPORARILY_UNAVAILABLE');
      } finally {
        agent.destroy();
        await close();
        store.close();
      }
    },
  );

  it('through the gateway, an object replaced after it was described is answered 503, never mixed', async () => {
    const { root } = await newRun();
    const path = `/api/2.0/mlflow-artifacts/artifacts/${root}/weights.bin`;
    assert.equal((await api(path, { method: 'PUT', body: randomBytes(1000) })).status, 200);
    const described = await api(path, { headers: { [TRANSFER_OFFLOAD.accept]: TRANSFER_OFFLOAD.version } });
    assert.equal((await api(path, { method: 'PUT', body: randomBytes(1000) })).status, 200);

    // An upstream that replays the description of the old version, as a slow hand-over would deliver it.
    const stale = createServer((_request, response) => {
      described.headers.forEach((value, name) => response.setHeader(name, value));
      response.end();
    });
    await new Promise<void>((resolve) => stale.listen(0, '127.0.0.1', resolve));
    const staleGateway = Fastify();
    const upstream = `http://127.0.0.1:${(stale.address() as AddressInfo).port}`;
    await registerRoutes(
      staleGateway,
      routingTable(upstreamPools({ tracking: upstream, artifacts: upstream, registry: upstream })),
      routeLogger,
    );
    const staleBase = await staleGateway.listen({ port: 0, host: '127.0.0.1' });
    try {
      const answer = await fetch(`${staleBase}${path}`);
      assert.equal(answer.status, 503);
      assert.equal(((await answer.json()) as { error_code: string }).error_code, 'TEMPORARILY_UNAVAILABLE');
      assert.equal(answer.headers.get('content-disposition'), null);
    } finally {
      await staleGateway.close();
      stale.close();
    }
  });

  it(
    'through the gateway, a store that stops mid-download cuts the client off instead of ending a short 200',
    { timeout: 20_000 },
    async () => {
      const announced = 1024 * 1024;
      const store = createServer((_request, response) => {
        response.writeHead(200, { 'content-length': announced });
        response.write(randomBytes(300 * 1024), () => setTimeout(() => response.socket?.destroy(), 50));
      });
      await new Promise<void>((resolve) => store.listen(0, '127.0.0.1', resolve));
      const service = createServer((request, response) => {
        request.resume();
        response.setHeader(TRANSFER_OFFLOAD.url, `http://127.0.0.1:${(store.address() as AddressInfo).port}/b/k`);
        response.setHeader(TRANSFER_OFFLOAD.etag, '"e"');
        response.setHeader(TRANSFER_OFFLOAD.length, String(announced));
        response.setHeader('content-length', '0');
        response.end();
      });
      const { base: localBase, close } = await gatewayInFrontOf(service, routeLogger);
      try {
        const received = await new Promise<{ status: number; bytes: number; complete: boolean }>((resolve) => {
          const request = httpRequest(
            `${localBase}/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/a.bin`,
            (response) => {
              let bytes = 0;
              response.on('data', (chunk: Buffer) => (bytes += chunk.length));
              const settle = () => resolve({ status: response.statusCode ?? 0, bytes, complete: response.complete });
              response.on('end', settle).on('error', settle).on('close', settle);
            },
          );
          request.end();
        });
        assert.equal(received.status, 200);
        assert.equal(received.complete, false, `a short body of ${received.bytes} bytes ended as complete`);
        assert.ok(received.bytes < announced);
      } finally {
        await close();
        store.close();
      }
    },
  );

  it('reconciles the index with the store: unrecorded objects are recorded, vanished ones recorded as deleted', async () => {
    const { root } = await newRun();
    const url = `/api/2.0/mlflow-artifacts/artifacts/${root}`;
    assert.equal((await api(`${url}/kept.bin`, { method: 'PUT', body: 'kept' })).status, 200);
    assert.equal((await api(`${url}/gone.bin`, { method: 'PUT', body: 'gone' })).status, 200);
    // Behind the service's back: an object stored without its record (as when recording failed), and one removed.
    const orphan = randomBytes(5000);
    await artifacts.storage.put(`${root}/sub/orphan.bin`, Readable.from([orphan]), { maxBytes: 1024 * 1024 });
    await artifacts.storage.delete(`${root}/gone.bin`);
    const before = (await storedEvents()).length;

    const expected = { root, recorded: [`${root}/sub/orphan.bin`], deleted: [`${root}/gone.bin`], unrecordable: [] };
    assert.deepEqual(
      await app.get(ReconciliationService).reconcile(root, SYSTEM_METADATA(), { dryRun: true }),
      expected,
    );
    assert.equal((await storedEvents()).length, before, 'a dry run records nothing');
    assert.deepEqual(await app.get(ReconciliationService).reconcile(root, SYSTEM_METADATA()), expected);
    assert.deepEqual(
      (await storedEvents()).slice(before).map((event) => [event.type, event.data.path, event.data.sha256]),
      [
        ['ArtifactStored', `${root}/sub/orphan.bin`, createHash('sha256').update(orphan).digest('hex')],
        ['ArtifactDeleted', `${root}/gone.bin`, undefined],
      ],
    );
    assert.deepEqual(await app.get(ReconciliationService).reconcile(root, SYSTEM_METADATA()), {
      root,
      recorded: [],
      deleted: [],
      unrecordable: [],
    });
  });

  it("summarises a logged model's MLmodel file in a ModelDescribed event", async () => {
    const created = (await (
      await api('/api/2.0/mlflow/logged-models', json({ experiment_id: '0', name: 'clf' }))
    ).json()) as {
      model: { info: { model_id: string; artifact_uri: string } };
    };
    const { model_id: modelId, artifact_uri: uri } = created.model.info;
    const root = uri.replace('mlflow-artifacts:/', '');
    const mlmodel = [
      'artifact_path: clf',
      'flavors:',
      '  python_function: {loader_module: mlflow.pyfunc.model, python_model: python_model.pkl}',
      '  sklearn: {pickled_model: model.pkl}',
      `model_id: ${modelId}`,
      'saved_input_example_info: {artifact_path: input_example.json, type: ndarray}',
      'signature:',
      `  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}]'`,
      `  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'`,
      '',
    ].join('\n');
    const put = await api(`/api/2.0/mlflow-artifacts/artifacts/${root}/MLmodel`, { method: 'PUT', body: mlmodel });
    assert.equal(put.status, 200);
    const described = (await storedEvents()).find((e) => e.type === 'ModelDescribed' && e.data.modelId === modelId);
    assert.deepEqual(described?.data.modelPath, root);
    assert.deepEqual(described?.data.summary, {
      flavors: ['python_function', 'sklearn'],
      signature: {
        inputs: [{ type: 'tensor', 'tensor-spec': { dtype: 'float64', shape: [-1, 4] } }],
        outputs: [{ type: 'tensor', 'tensor-spec': { dtype: 'int64', shape: [-1] } }],
      },
      inputExample: 'input_example.json',
      modelId,
      runId: null,
      mlflowVersion: null,
      createdAt: null,
    });
  });

  it('logs an upload the client aborts once at info with its request id, no error, and stores nothing', async () => {
    const { root } = await newRun();
    const since = routeLogs.length;
    const { port } = new URL(base);
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    const received = new Promise((resolve) => app.getHttpServer().once('request', resolve));
    socket.write(
      `PUT /api/2.0/mlflow-artifacts/artifacts/${root}/aborted.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        'X-Request-Id: aborted-upload\r\nContent-Length: 1000000\r\n\r\n',
    );
    socket.write(randomBytes(300_000));
    await received;
    socket.destroy();
    await waitFor('the cut-off upload to be logged', async () =>
      routeLogs.some((line) => line.requestId === 'aborted-upload'),
    );
    assert.deepEqual(
      routeLogs.filter((line) => line.requestId === 'aborted-upload').map((line) => [line.level, line.msg]),
      [[30, 'request cut off before it was complete']],
    );
    assert.deepEqual(
      routeLogs.slice(since).filter((line) => line.level >= 50),
      [],
    );
    assert.equal((await api(`/api/2.0/mlflow-artifacts/artifacts/${root}/aborted.bin`)).status, 404);
  });

  it('keeps a deleted run restorable, and removes its artifacts when it is purged', async () => {
    const { runId, root } = await newRun();
    for (const name of ['a.txt', 'sub/b.txt']) {
      await api(`/api/2.0/mlflow-artifacts/artifacts/${root}/${name}`, { method: 'PUT', body: name });
    }
    const runs = app.get(RunsService);
    await assert.rejects(runs.purge(runId, SYSTEM_METADATA()), /only deleted runs can be purged/);

    await api('/api/2.0/mlflow/runs/delete', json({ run_id: runId }));
    assert.equal(await (await api(`/api/2.0/mlflow-artifacts/artifacts/${root}/a.txt`)).text(), 'a.txt');
    await runs.purge(runId, SYSTEM_METADATA());

    assert.equal((await api(`/api/2.0/mlflow/runs/get?run_id=${runId}`)).status, 404);
    await ownerLearned(runId, 'purged');
    assert.equal((await api(`/api/2.0/mlflow-artifacts/artifacts/${root}/sub/b.txt`)).status, 404);
    assert.equal((await api(`/api/2.0/mlflow-artifacts/artifacts/${root}/a.txt`)).status, 404);
    const deleted = (await storedEvents()).filter((e) => e.type === 'ArtifactDeleted' && e.data.root === root);
    assert.deepEqual(deleted.map((e) => e.data.path).sort(), [`${root}/a.txt`, `${root}/sub/b.txt`]);
    const late = await api(`/api/2.0/mlflow-artifacts/artifacts/${root}/c.txt`, { method: 'PUT', body: 'c' });
    assert.equal(late.status, 400);
  });

  it('refuses an experiment artifact location that leaves its root, with the gatekeeper of artifact paths, storing nothing', async () => {
    const locations = [
      'mlflow-artifacts:/../../../../../canary',
      'mlflow-artifacts:/%2e%2e/%2e%2e/canary',
      'mlflow-artifacts:/%252e%252e%252fcanary',
      'mlflow-artifacts://host:5000/team/../../canary',
      's3://bucket/../other-prefix',
      'file:///var/mlruns/../../etc',
    ];
    for (const location of locations) {
      const name = `traversal-${randomUUID()}`;
      const created = await api('/api/2.0/mlflow/experiments/create', json({ name, artifact_location: location }));
      assert.equal(created.status, 400, location);
      const error = (await created.json()) as { error_code: string; message: string };
      assert.equal(error.error_code, 'INVALID_PARAMETER_VALUE', location);
      assert.match(error.message, /^Invalid artifact location/, location);
      const byName = await api(`/api/2.0/mlflow/experiments/get-by-name?experiment_name=${name}`);
      assert.equal(byName.status, 404, `${location}: nothing was created`);
    }
    const fine = await api(
      '/api/2.0/mlflow/experiments/create',
      json({ name: `fine-${randomUUID()}`, artifact_location: 'mlflow-artifacts:/team/churn' }),
    );
    assert.equal(fine.status, 200);
  });

  it('a location stored before locations were checked breaks no read, answers artifact calls 4xx, and its purge completes', async () => {
    // A database written before the fix: the experiment's location went in unchecked.
    const { rows } = await tracking.db.query<{ id: string }>(`SELECT nextval('tracking.experiment_ids')::text AS id`);
    const experimentId = rows[0].id;
    const location = 'mlflow-artifacts:/../../../../../canary';
    const metadata = SYSTEM_METADATA();
    await tracking.store.handle(
      experimentStream,
      experimentStreamId(experimentId),
      {
        type: 'CreateExperiment',
        data: { experimentId, name: `legacy-${randomUUID()}`, artifactLocation: location, tags: [], nameTaken: false },
        metadata,
      },
      metadata,
    );
    const created = await api('/api/2.0/mlflow/runs/create', json({ experiment_id: experimentId }));
    assert.equal(created.status, 200);
    const { run } = (await created.json()) as { run: { info: { run_id: string; artifact_uri: string } } };
    const runId = run.info.run_id;
    assert.equal(run.info.artifact_uri, `${location}/${runId}/artifacts`);
    const canary = `canary/${randomUUID()}.txt`;
    await artifacts.storage.put(canary, Readable.from([Buffer.from('canary')]), { maxBytes: 1024 });

    assert.equal((await api(`/api/2.0/mlflow/runs/get?run_id=${runId}`)).status, 200);
    assert.equal((await api('/api/2.0/mlflow/runs/search', json({ experiment_ids: [experimentId] }))).status, 200);
    assert.equal((await api(`/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`)).status, 200);
    // The artifacts service learns of the run from tracking's events, a moment later.
    await ownerLearned(runId, 'active');
    const listed = await api(`/api/2.0/mlflow/artifacts/list?run_id=${runId}`);
    assert.equal(listed.status, 400);
    const listError = (await listed.json()) as { error_code: string; message: string };
    assert.equal(listError.error_code, 'INVALID_PARAMETER_VALUE');
    assert.match(listError.message, new RegExp(`artifact location of run ${runId}`));
    const put = await rawPut(`/api/2.0/mlflow-artifacts/artifacts/../../../../../canary/${runId}/artifacts/x.txt`, 'x');
    assert.equal(put.status, 400);

    await api('/api/2.0/mlflow/runs/delete', json({ run_id: runId }));
    await app.get(RunsService).purge(runId, SYSTEM_METADATA());
    // The purge completes instead of being dead-lettered.
    await ownerLearned(runId, 'purged');
    assert.equal(await artifacts.storage.exists(canary), 'file', 'nothing outside the run was deleted');
    assert.equal((await api(`/api/2.0/mlflow/runs/get?run_id=${runId}`)).status, 404);
  });

  it(
    'answers at once when no owner can still be on its way, however long the wait for one is',
    { timeout: 20_000 },
    async () => {
      const { runId, root } = await newRun();
      const config = { ...artifacts.config, maxUploadBytes: 1024, ownerWaitMs: 60_000, transferOffload: false };
      const owners = new Owners(artifacts.db, config, artifacts.ownerAnnouncements);
      const records = new ArtifactRecords(artifacts.db, artifacts.store, artifacts.storage);
      const uploads = new UploadsService(artifacts.storage, config, owners, records);
      const downloads = new DownloadsService(artifacts.storage, config, owners);
      // Make sure the run is announced before asking about it.
      assert.equal(
        (await api(`/api/2.0/mlflow-artifacts/artifacts/${root}/a.txt`, { method: 'PUT', body: 'a' })).status,
        200,
      );
      const refusals: Array<[string, () => Promise<unknown>, number]> = [
        [
          'a path naming no run or model id',
          () => uploads.upload('0/link/x.txt', Readable.from([]), {}, SYSTEM_METADATA()),
          404,
        ],
        [
          'a known run under another root',
          () => uploads.upload(`9999/${runId}/artifacts/x.txt`, Readable.from([]), {}, SYSTEM_METADATA()),
          404,
        ],
        ['a run id that cannot be one', () => downloads.listForOwner({ kind: 'run', id: 'not-a-run' }, undefined), 404],
      ];
      for (const [name, call, status] of refusals) {
        await assert.rejects(
          call(),
          (error: unknown) => error instanceof MlflowError && error.httpStatus === status,
          name,
        );
      }
    },
  );

  for (const via of ['the service', 'the gateway']) {
    it(`leaves nothing visible when the client disconnects mid-upload, through ${via}`, async () => {
      const { root } = await newRun();
      const entry = via === 'the gateway' ? gatewayBase : base;
      const url = new URL(`${entry}/api/2.0/mlflow-artifacts/artifacts/${root}/partial.bin`);
      await new Promise<void>((resolve) => {
        const request = httpRequest(url, { method: 'PUT', headers: { 'content-length': String(2 * 1024 * 1024) } });
        request.on('error', () => resolve());
        request.write(Buffer.alloc(512 * 1024), () => setTimeout(() => request.destroy(), 200));
        request.on('close', () => resolve());
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal((await api(`/api/2.0/mlflow-artifacts/artifacts/${root}/partial.bin`)).status, 404);
      const listing = await (await api(`/api/2.0/mlflow-artifacts/artifacts?path=${root}`)).json();
      assert.deepEqual(listing, {});
    });
  }
});

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  reusedSocket: boolean;
}

/**
 * A PUT from a plain HTTP client that sends its whole body, the way MLflow's client does, and reads the
 * answer; `agent` keeps the connection for the next request, so reuse can be observed.
 */
function putWhole(agent: Agent, url: string, body: Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method: 'PUT', agent, headers: { 'content-length': body.length } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: text,
            reusedSocket: request.reusedSocket,
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * A PUT that declares `declared` bytes but sends only the first KiB, then waits for the answer; resolves once
 * the server has also closed the connection (if it never does, the test times out).
 */
function putDeclaredUntilClosed(url: string, declared: number): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'PUT', agent: false, headers: { 'content-length': declared } });
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        const answer = { status: response.statusCode ?? 0, headers: response.headers, body: text, reusedSocket: false };
        const socket = request.socket as Socket;
        if (socket.destroyed) resolve(answer);
        else socket.once('close', () => resolve(answer));
      });
    });
    request.on('error', reject);
    request.write(Buffer.alloc(1024));
  });
}

describe('artifact uploads refused before their body is read, on a local folder, direct and through the gateway', () => {
  let tracking: TrackingRuntime;
  let artifacts: ArtifactsRuntime;
  let database: { url: string; drop(): Promise<void> };
  let close: () => Promise<void>;
  let folder: string;
  const entries: Record<string, string> = {};

  before(async () => {
    database = await createTestDatabase('artifacts_local');
    folder = await mkdtemp(join(tmpdir(), 'logbook-artifacts-'));
    const logger = pino({ level: 'silent' });
    tracking = await startTrackingRuntime(
      loadTrackingConfig({ LOGBOOK_MODE: 'embedded' }),
      logger,
      new PostgresDatabase(database.url),
    );
    artifacts = await startArtifactsRuntime(
      loadArtifactsConfig({
        LOGBOOK_MODE: 'embedded',
        LOGBOOK_ARTIFACTS_BACKEND: 'local',
        LOGBOOK_ARTIFACTS_DIR: folder,
        LOGBOOK_ARTIFACT_MAX_UPLOAD_MB: String(MAX_UPLOAD_MB),
      }),
      logger,
      { kind: 'in-process', trackingStore: tracking.store, toContract: tracking.toContract },
      tracking.db,
    );
    const served = await serveWithGateway(tracking, artifacts, logger);
    close = served.close;
    entries['the embedded shape'] = served.base;
    entries['the gateway'] = served.gatewayBase;
  });

  after(async () => {
    await close();
    await database.drop();
    await rm(folder, { recursive: true, force: true });
  });

  async function runRoot(entry: string): Promise<string> {
    const created = await fetch(`${entry}/api/2.0/mlflow/runs/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ experiment_id: '0' }),
    });
    const { run } = (await created.json()) as { run: { info: { artifact_uri: string } } };
    return run.info.artifact_uri.replace('mlflow-artifacts:/', '');
  }

  for (const via of ['the embedded shape', 'the gateway']) {
    it(`answers 400 under a file and onto a symlink, and the connection carries the next request, through ${via}`, async () => {
      const entry = entries[via];
      const root = await runRoot(entry);
      const url = (path: string) => `${entry}/api/2.0/mlflow-artifacts/artifacts/${root}/${path}`;
      assert.equal((await fetch(url('ok.txt'), { method: 'PUT', body: 'ok' })).status, 200);
      const outside = await mkdtemp(join(tmpdir(), 'logbook-outside-'));
      await symlink(outside, join(folder, root, 'elsewhere'));
      await symlink(join(outside, 'absent.txt'), join(folder, root, 'link.txt'));

      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const refusals: Array<[string, RegExp]> = [
          ['ok.txt/child', /'.*\/ok\.txt' is a file/],
          ['elsewhere/x.txt', /outside the artifact directory/],
          ['link.txt', /outside the artifact directory/],
        ];
        for (const [path, message] of refusals) {
          const answer = await putWhole(agent, url(path), randomBytes(64 * 1024));
          assert.equal(answer.status, 400, `${path}: ${answer.body}`);
          const error = JSON.parse(answer.body) as { error_code: string; message: string };
          assert.equal(error.error_code, 'INVALID_PARAMETER_VALUE', path);
          assert.match(error.message, message, path);
        }
        const next = await putWhole(agent, url('next.txt'), Buffer.from('next'));
        assert.equal(next.status, 200, next.body);
        assert.ok(next.reusedSocket, 'the refused requests left the connection usable');
      } finally {
        agent.destroy();
      }
      assert.equal(await (await fetch(url('ok.txt'))).text(), 'ok');
      assert.equal((await fetch(url('ok.txt/child'))).status, 404);
      assert.deepEqual(await readdir(outside), [], 'nothing was written outside the root');
      await rm(outside, { recursive: true });
    });

    it(
      `answers a refused body too large to drain, then closes the connection, through ${via}`,
      { timeout: 30_000 },
      async () => {
        const entry = entries[via];
        const root = await runRoot(entry);
        assert.equal(
          (await fetch(`${entry}/api/2.0/mlflow-artifacts/artifacts/${root}/ok.txt`, { method: 'PUT', body: 'ok' }))
            .status,
          200,
        );
        const answer = await putDeclaredUntilClosed(
          `${entry}/api/2.0/mlflow-artifacts/artifacts/${root}/ok.txt/child`,
          MAX_UPLOAD_MB * 1024 * 1024,
        );
        assert.equal(answer.status, 400, answer.body);
        assert.equal((JSON.parse(answer.body) as { error_code: string }).error_code, 'INVALID_PARAMETER_VALUE');
        assert.equal(answer.headers.connection, 'close');
      },
    );
  }
});
