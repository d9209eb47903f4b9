import 'reflect-metadata';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { createHttpApp } from '@logbook/platform';
import { waitFor } from '@logbook/testing';
import { loadArtifactsConfig } from '../../services/artifacts/src/config';
import { startEmbeddedServices } from '../../services/gateway/src/embedded-services';
import { loadRegistryConfig } from '../../services/registry/src/config';
import { loadTrackingConfig } from '../../services/tracking/src/config';
import { MLMODEL } from './registry-fixtures';

const silent = pino({ level: 'silent' });
const SERVICES = ['tracking', 'artifacts', 'registry'] as const;
type Service = (typeof SERVICES)[number];

describe('the event feeds of the embedded services, side by side in one app', () => {
  let app: NestFastifyApplication;
  let services: Awaited<ReturnType<typeof startEmbeddedServices>>;
  let dataDir: string;
  let base: string;

  const mlflow = async (path: string, body: unknown) => {
    const response = await app.inject({
      method: 'POST',
      url: `/api/2.0/mlflow/${path}`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as Record<string, any>;
  };
  /** Artifact bytes go over a real connection: the proxy streams request bodies, which inject does not. */
  const upload = (path: string, bytes: string) =>
    waitFor(`the upload of ${path} (once the artifacts service knows the run)`, async () => {
      const response = await fetch(`${base}/api/2.0/mlflow-artifacts/artifacts/${path}`, {
        method: 'PUT',
        body: bytes,
      });
      return response.status === 200;
    });
  const feed = async (service: Service, query = '') => {
    const response = await app.inject({ method: 'GET', url: `/api/2.0/logbook/events/${service}?${query}` });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as { events?: Record<string, any>[]; next_position: string };
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'logbook-feeds-'));
    // mkdtemp makes the folder 0700: run by root, the embedded Postgres's user (nobody) could not reach it.
    chmodSync(dataDir, 0o755);
    const env = { LOGBOOK_MODE: 'embedded', LOGBOOK_DATA_DIR: dataDir, LOGBOOK_EMBEDDED_DATABASE: 'postgres' };
    services = await startEmbeddedServices(
      { tracking: loadTrackingConfig(env), artifacts: loadArtifactsConfig(env), registry: loadRegistryConfig(env) },
      silent,
    );
    @Module({ imports: services.modules })
    class TestModule {}
    app = await createHttpApp(TestModule, { logger: silent, bodyLimitBytes: 1024 * 1024 });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  after(async () => {
    await app.close();
    await services.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers each service's own log, as that service's relay publishes it", async () => {
    const { experiment_id: experimentId } = await mlflow('experiments/create', { name: 'feeds' });
    const { run } = await mlflow('runs/create', { experiment_id: experimentId });
    await upload(`${experimentId}/${run.info.run_id}/artifacts/model/MLmodel`, MLMODEL);
    await mlflow('registered-models/create', { name: 'feeds-model' });
    await mlflow('model-versions/create', { name: 'feeds-model', source: `runs:/${run.info.run_id}/model` });

    for (const service of SERVICES) {
      const { events = [] } = await feed(service);
      assert.ok(events.length > 0, service);
      const runtime = services[service];
      const { rows } = await runtime.db.query<{ event_id: string }>(
        `SELECT event_id FROM ${runtime.store.schema}.events ORDER BY transaction_id, global_position`,
      );
      assert.deepEqual(
        events.map((e) => e.event.eventId),
        rows.map((row) => row.event_id),
        `${service}: its whole log, in commit order`,
      );
      for (const { topic, key, event } of events) {
        assert.equal(topic, `${service}.${event.streamType}.events.v1`);
        assert.equal(key, event.streamId);
        assert.deepEqual(runtime.toContract(event), [event]);
      }
    }
  });

  it("wakes a long poll on one service's feed with that service's append only", async () => {
    const ends = Object.fromEntries(
      await Promise.all(
        SERVICES.map(async (service) => [service, (await feed(service, 'after=latest')).next_position]),
      ),
    ) as Record<Service, string>;
    const tracking = feed('tracking', `after=${ends.tracking}&wait_ms=20000`);
    const registry = feed('registry', `after=${ends.registry}&wait_ms=1500`);
    const started = Date.now();
    await mlflow('experiments/create', { name: 'feeds-woken' });
    const woken = await tracking;
    assert.ok(Date.now() - started < 1500, 'answered at the append');
    assert.deepEqual(
      woken.events?.map((e) => [e.event.type, e.event.data.name]),
      [['ExperimentCreated', 'feeds-woken']],
    );
    assert.deepEqual(await registry, { next_position: ends.registry });
  });
});
