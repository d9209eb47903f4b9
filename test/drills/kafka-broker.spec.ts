import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Kafka } from 'kafkajs';
import pino from 'pino';
import { eventTopic } from '@logbook/contracts';
import { createKafka } from '@logbook/messaging';
import { PostgresDatabase } from '@logbook/platform';
import { createTestDatabase, PrivateKafka, uniqueName, waitFor } from '@logbook/testing';
import { DistributedPlatform, LogBatchLoad, lost, postJson, storedSteps } from './platform';

const RELAY = 'tracking.relay';

/** The relay's lag as the tracking service's /metrics shows it. */
function oldestPendingSeconds(metrics: string): number | undefined {
  const line = metrics
    .split('\n')
    .find((candidate) => candidate.startsWith(`logbook_relay_oldest_pending_event_age_seconds{relay="${RELAY}"}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

function publishFailures(metrics: string): number {
  const line = metrics
    .split('\n')
    .find((candidate) => candidate.startsWith(`logbook_relay_publish_failures_total{relay="${RELAY}"}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

/**
 * A 3-broker KRaft cluster under the log-batch load: the broker leading the run-data topic's first
 * partition is killed with SIGKILL, writing goes on, and it is started again.
 */
describe('drill: a Kafka broker of three killed under load', () => {
  let kafka: PrivateKafka;
  let client: Kafka;
  let database: { url: string; drop(): Promise<void> };
  let db: PostgresDatabase;
  let platform: DistributedPlatform;
  const namespace = uniqueName('drill-broker');

  before(async () => {
    kafka = await PrivateKafka.create(3);
    await kafka.start();
    client = createKafka(kafka.cluster, 'drill-broker', pino({ level: 'silent' }));
    database = await createTestDatabase('drill_broker');
    db = new PostgresDatabase(database.url, 2);
    platform = await DistributedPlatform.start({
      replicas: 1,
      databaseUrl: database.url,
      brokers: kafka.brokers,
      namespace,
    });
  });

  after(async () => {
    await platform?.stop();
    await db?.close();
    await database?.drop();
    await kafka?.destroy();
  });

  it('creates topics replicated three times, two in sync to take a write', async () => {
    const topic = `${namespace}.${eventTopic('tracking', 'run')}`;
    const admin = client.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      assert.ok(topics[0].partitions.every((partition) => partition.replicas.length === 3));
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: 2, name: topic, configNames: ['min.insync.replicas'] }],
      });
      assert.equal(resources[0].configEntries[0].configValue, '2');
    } finally {
      await admin.disconnect();
    }
  });

  it('loses nothing acknowledged, stalls publishing under 10 s, shows it on /metrics, and catches up', async (t) => {
    const { experiment_id: experimentId } = await postJson(platform.url, 'experiments/create', { name: namespace });
    const createRun = async (name: string) =>
      (await postJson(platform.url, 'runs/create', { experiment_id: experimentId, run_name: name, start_time: 1 })).run
        .info.run_id as string;
    const runIds = await Promise.all(['a', 'b', 'c', 'd'].map(createRun));

    const tracking = platform.instances.tracking[0];
    const lag: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const seconds = oldestPendingSeconds(await tracking.metrics());
        if (seconds !== undefined) lag.push(seconds);
        await delay(250);
      }
    })();
    const failuresBefore = publishFailures(await tracking.metrics());

    const admin = client.admin();
    await admin.connect();
    const runData = `${namespace}.${eventTopic('tracking', 'run-data')}`;
    const { topics } = await admin.fetchTopicMetadata({ topics: [runData] });
    await admin.disconnect();
    const leader = topics[0].partitions.find((partition) => partition.partitionId === 0)?.leader as number;

    const load = new LogBatchLoad(platform.url, runIds);
    await delay(3000);
    kafka.killBroker(leader);
    await delay(12_000);
    await kafka.start();
    const restartedAt = Date.now();
    await delay(3000);
    const lateRun = await createRun('after-restart');
    const outcome = await load.stop();

    for (const runId of runIds) {
      const acknowledged = outcome.acknowledged.get(runId) as number[];
      assert.deepEqual(lost(acknowledged, await storedSteps(platform.url, runId)), [], `run ${runId} lost nothing`);
    }
    assert.equal(outcome.failedBatches, 0, 'writes need the database only: none failed while a broker was down');

    await waitFor(
      'the relay to publish the whole log',
      async () => (oldestPendingSeconds(await tracking.metrics()) === 0 ? true : undefined),
      30_000,
    );
    const caughtUpMs = Date.now() - restartedAt;
    sampling = false;
    await sampler;
    const worst = Math.max(...lag);
    const failures = publishFailures(await tracking.metrics()) - failuresBefore;
    t.diagnostic(
      `broker ${leader} killed: oldest unpublished event at most ${worst} s old, ${failures} failed publish ` +
        `attempts, relay caught up ${caughtUpMs} ms after the restart; ${load.acknowledgedPoints} points acknowledged, ` +
        `slowest batch ${outcome.slowestMs} ms`,
    );
    assert.ok(worst < 10, `publishing stalled ${worst} s`);
    assert.ok(
      worst >= 1 || failures > 0,
      `the stall shows on /metrics (oldest pending event ${worst} s, failures counted)`,
    );

    await waitFor(
      'the artifacts service to take in every run',
      async () => {
        const { rows } = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM artifacts.owners WHERE owner_id = ANY($1::text[])`,
          [[...runIds, lateRun]],
        );
        return rows[0].n === runIds.length + 1 ? true : undefined;
      },
      30_000,
    );
  });
});
