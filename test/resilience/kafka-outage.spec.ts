import 'reflect-metadata';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kafka } from 'kafkajs';
import pino from 'pino';
import { createKafka, eventTopic } from '@logbook/messaging';
import { groupCaughtUp, readTopics, topicSize, waitFor, createTestDatabase, PrivateKafka } from '@logbook/testing';
import { createHttpApp, ObservabilityModule } from '@logbook/platform';
import { ArtifactsRuntime, startArtifactsRuntime } from '../../services/artifacts/src/artifacts.runtime';
import { loadArtifactsConfig } from '../../services/artifacts/src/config';
import { TRACKING_EVENTS_CONSUMER } from '../../services/artifacts/src/tracking-events.consumer';
import { loadTrackingConfig } from '../../services/tracking/src/config';
import { TrackingModule } from '../../services/tracking/src/tracking.module';
import { startTrackingRuntime, TrackingRuntime } from '../../services/tracking/src/tracking.runtime';

const silent = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const RUN_TOPICS = [eventTopic('tracking', 'run'), eventTopic('tracking', 'run-data')];

/**
 * The distributed shape's services against a Kafka broker of this suite's own: started before the
 * broker exists (so on a brand-new broker, with no topic created yet), and through a broker restart
 * while a client keeps writing. Writes need only Postgres, so every one is acknowledged; the relay
 * publishes them once the broker answers, and the artifacts service's consumer catches up.
 */
describe('distributed services across Kafka outages', () => {
  let kafka: PrivateKafka;
  let client: Kafka;
  let database: { url: string; drop(): Promise<void> };
  let artifactsDir: string;
  let tracking: TrackingRuntime;
  let artifacts: ArtifactsRuntime;
  let app: NestFastifyApplication;

  const post = async (path: string, body: unknown) => {
    const response = await app.inject({
      method: 'POST',
      url: `/api/2.0/mlflow/${path}`,
      payload: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    return { status: response.statusCode, json: response.json() as Record<string, any> };
  };
  /** Tracking keeps serving without Kafka: readiness stays 200 and reports the relay as degraded. */
  const relayDegraded = async () => {
    const response = await app.inject({ method: 'GET', url: '/health/ready' });
    assert.equal(response.statusCode, 200, response.body);
    return (
      (response.json() as { details: Record<string, { degraded?: boolean }> }).details['event-relay'].degraded === true
    );
  };

  async function createRun(): Promise<string> {
    const experiment = await post('experiments/create', { name: `outage-${Date.now()}-${Math.random()}` });
    assert.equal(experiment.status, 200);
    const run = await post('runs/create', { experiment_id: experiment.json.experiment_id, start_time: 1 });
    assert.equal(run.status, 200);
    return run.json.run.info.run_id as string;
  }

  /** True once the artifacts service knows the run, which it learns only from tracking's events on Kafka. */
  async function artifactsKnow(runId: string): Promise<boolean> {
    const { rows } = await artifacts.db.query(`SELECT 1 FROM artifacts.owners WHERE owner_id = $1`, [runId]);
    return rows.length === 1;
  }

  /** Ids of the run's events in tracking's log. */
  async function loggedEventIds(runId: string): Promise<string[]> {
    const { rows } = await tracking.db.query<{ event_id: string }>(
      `SELECT event_id FROM tracking.events WHERE stream_id = $1`,
      [`run-${runId}`],
    );
    return rows.map((row) => row.event_id);
  }

  /** Ids of the run's events on Kafka (its run and run-data topics), once at least `expected` of them are there. */
  async function publishedEventIds(runId: string, expected: number): Promise<Set<string>> {
    const total = await topicSize(client, RUN_TOPICS);
    const messages = await readTopics(client, RUN_TOPICS, Math.max(total, expected), 60_000);
    const ids = messages
      .map((message) => JSON.parse(message.value) as { eventId: string; data: { runId?: string } })
      .filter((event) => event.data.runId === runId)
      .map((event) => event.eventId);
    return new Set(ids);
  }

  before(async () => {
    kafka = await PrivateKafka.create();
    client = createKafka(kafka.cluster, 'outage-spec', silent);
    database = await createTestDatabase('outage');
    artifactsDir = mkdtempSync(join(tmpdir(), 'logbook-outage-artifacts-'));
    const env = { LOGBOOK_MODE: 'distributed', DATABASE_URL: database.url, KAFKA_BROKERS: kafka.brokers.join(',') };
    // Started while no broker runs at all: before, this threw and took the process down.
    [tracking, artifacts] = await Promise.all([
      startTrackingRuntime(loadTrackingConfig(env), silent),
      startArtifactsRuntime(
        loadArtifactsConfig({ ...env, LOGBOOK_ARTIFACTS_BACKEND: 'local', LOGBOOK_ARTIFACTS_DIR: artifactsDir }),
        silent,
        { kind: 'kafka' },
      ),
    ]);
    @Module({ imports: [TrackingModule.with(tracking), ObservabilityModule.with(tracking.readinessChecks)] })
    class TestModule {}
    app = await createHttpApp(TestModule, { logger: silent, bodyLimitBytes: 1024 * 1024 });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  after(async () => {
    await app?.close();
    await artifacts?.close();
    await tracking?.close();
    await database?.drop();
    await kafka?.destroy();
    rmSync(artifactsDir, { recursive: true, force: true });
  });

  it('start before a brand-new broker exists, acknowledge writes meanwhile, and deliver them once it runs', async () => {
    const runId = await createRun();
    const logged = await post('runs/log-metric', { run_id: runId, key: 'loss', value: 1, timestamp: 1, step: 0 });
    assert.equal(logged.status, 200, 'a write needs only Postgres');
    await waitFor('readiness to report the unreachable broker', relayDegraded);

    await kafka.start();

    await waitFor('the artifacts service to learn of the run', () => artifactsKnow(runId), 60_000);
    const events = await loggedEventIds(runId);
    const published = await publishedEventIds(runId, events.length);
    for (const id of events) assert.ok(published.has(id), `event ${id} was published`);
    await waitFor('readiness to report the relay recovered', async () => !(await relayDegraded()), 60_000);
  });

  it('publish every acknowledged write when the broker restarts under load, and the consumer catches up', async () => {
    const runId = await createRun();
    let acknowledged = 0;
    let step = 0;
    const writeOne = async () => {
      const response = await post('runs/log-metric', { run_id: runId, key: 'x', value: step, timestamp: 1, step });
      step++;
      assert.equal(response.status, 200, JSON.stringify(response.json));
      acknowledged++;
    };
    let writing = true;
    const writer = (async () => {
      while (writing) await writeOne();
    })();

    await waitFor('some writes', async () => acknowledged >= 20);
    await kafka.stop();
    const duringOutage = acknowledged;
    await waitFor('writes while the broker is down', async () => acknowledged >= duringOutage + 20);
    await kafka.start();
    const afterRestart = acknowledged;
    await waitFor('writes after the restart', async () => acknowledged >= afterRestart + 20);
    writing = false;
    await writer;

    const history = await app.inject({
      method: 'GET',
      url: `/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=x`,
    });
    assert.equal((history.json() as { metrics: unknown[] }).metrics.length, acknowledged);

    const { publication } = tracking;
    assert.ok(publication, 'the distributed shape publishes to Kafka');
    await waitFor('the relay to publish everything', async () => (await publication.relay.lag()) === 0, 60_000);
    const events = await loggedEventIds(runId);
    assert.ok(events.length > acknowledged, 'an event per write, and the run creation');
    const published = await publishedEventIds(runId, events.length);
    const missing = events.filter((id) => !published.has(id));
    assert.deepEqual(missing, [], 'every acknowledged write is on Kafka');

    const lateRun = await createRun();
    await waitFor(
      'the artifacts service to learn of a run created after the restart',
      () => artifactsKnow(lateRun),
      60_000,
    );
    await waitFor(
      'the consumer group to catch up',
      () => groupCaughtUp(client, TRACKING_EVENTS_CONSUMER, [RUN_TOPICS[0]]),
      60_000,
    );
  });
});
