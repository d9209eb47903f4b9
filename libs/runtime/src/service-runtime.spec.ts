import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { Client } from 'pg';
import { eventTopic } from '@logbook/messaging';
import {
  appendTo,
  deleteTopics,
  eventStoreMigrations,
  idsByStream,
  logger,
  messagingTestbed,
  readTopics,
  topicSize,
  uniqueName,
  waitFor,
  uniqueSchema,
} from '@logbook/testing';
import { serviceConfig, ServiceEnvironment, createHttpApp, ObservabilityModule } from '@logbook/platform';
import { ServiceDefinition, ServiceRuntime, startServiceRuntime } from './service-runtime';

const STREAM_TYPE = 'note';

/** A service of its own per test: its schema and its topics are unique. */
function testService(): ServiceDefinition {
  const schema = uniqueSchema('rt');
  return {
    name: uniqueName('rtsvc'),
    schema,
    migrations: eventStoreMigrations(schema),
    store: { projections: [] },
    streamTypes: [STREAM_TYPE],
  };
}

function distributedConfig(databaseUrl: string, brokers: string[]) {
  return serviceConfig(
    Object.assign(new ServiceEnvironment(), {
      LOGBOOK_MODE: 'distributed',
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: brokers.join(','),
    }),
    'runtime-spec',
  );
}

/** The backend pid holding the session-level advisory lock of a relay subscription. */
async function lockHolder(client: Client, schema: string, name: string): Promise<number | undefined> {
  const { rows } = await client.query<{ pid: number }>(
    `SELECT pid FROM pg_locks
     WHERE locktype = 'advisory' AND granted AND objsubid = 1
       AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)`,
    [`logbook-subscription:${schema}.${name}`],
  );
  return rows[0]?.pid;
}

describe('service runtime: replicas on one database', () => {
  const bed = messagingTestbed('rt');
  let admin: Client;
  const runtimes: ServiceRuntime[] = [];
  before(async () => {
    admin = new Client({ connectionString: bed.infra.databaseUrl });
    await admin.connect();
  });
  after(async () => {
    for (const runtime of runtimes) await runtime.close();
    for (const schema of new Set(runtimes.map((r) => r.store.schema)))
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  /** Starts a replica of `service`; the lock is retried quickly so a takeover shows at once. */
  async function replica(service: ServiceDefinition): Promise<ServiceRuntime> {
    if (!runtimes.some((r) => r.store.schema === service.schema))
      bed.onClose(() => deleteTopics(bed.kafka, `${service.name}.`));
    const runtime = await startServiceRuntime({
      service,
      config: distributedConfig(bed.infra.databaseUrl, bed.infra.kafkaBrokers),
      logger,
      relay: { pollIntervalMs: 20, lockRetryMs: 50 },
    });
    runtimes.push(runtime);
    return runtime;
  }

  const publishing = (runtime: ServiceRuntime) => runtime.publication?.isPublishing === true;

  /** Waits until exactly one of the replicas publishes and has published everything; returns it. */
  async function publisherOf(replicas: ServiceRuntime[]): Promise<ServiceRuntime> {
    const leader = await waitFor('one replica to publish', async () => replicas.find(publishing));
    await waitFor('the publisher to catch up', async () => (await leader.publication?.relay.lag()) === 0);
    assert.equal(replicas.filter(publishing).length, 1, 'exactly one replica publishes');
    return leader;
  }

  /** Appends `perStream` events to each stream, through the replicas in turn. */
  async function appendThrough(replicas: ServiceRuntime[], streams: string[], perStream: number) {
    for (let i = 0; i < perStream; i++) {
      for (const [s, stream] of streams.entries())
        await appendTo(replicas[(i + s) % replicas.length].store, STREAM_TYPE, stream);
    }
  }

  /** Asserts the topic holds each stored event exactly once, each stream's in stream order. */
  async function assertPublishedOnceInOrder(runtime: ServiceRuntime, topic: string) {
    const { rows } = await runtime.db.query<{ event_id: string; stream_id: string }>(
      `SELECT event_id, stream_id FROM ${runtime.store.schema}.events ORDER BY stream_id, stream_position`,
    );
    const messages = await readTopics(bed.kafka, [topic], rows.length);
    assert.equal(await topicSize(bed.kafka, [topic]), rows.length, 'no event was published twice');
    const published = messages
      .sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset))
      .map((m) => JSON.parse(m.value) as { streamId: string; eventId: string });
    assert.deepEqual(
      idsByStream(published),
      idsByStream(rows.map((row) => ({ streamId: row.stream_id, eventId: row.event_id }))),
    );
  }

  it('publishes through exactly one replica, and again through one once the holder session dies', async () => {
    const service = testService();
    const topic = eventTopic(service.name, STREAM_TYPE);
    const replicas = [await replica(service), await replica(service)];
    const streams = ['note-a', 'note-b', 'note-c'];

    await appendThrough(replicas, streams, 10);
    const first = await publisherOf(replicas);
    await assertPublishedOnceInOrder(first, topic);

    const holder = await lockHolder(admin, service.schema, 'relay');
    assert.ok(holder, 'the publishing replica holds the lock');
    await admin.query('SELECT pg_terminate_backend($1)', [holder]);

    // Either replica may take the lock next: the one that lost it is alive and tries again too.
    const next = await waitFor('a replica to take the lock on a new session', async () => {
      const pid = await lockHolder(admin, service.schema, 'relay');
      return pid !== undefined && pid !== holder;
    });
    assert.ok(next);
    await appendThrough(replicas, streams, 5);
    await assertPublishedOnceInOrder(await publisherOf(replicas), topic);
  });

  it('hands publishing over when the publishing replica closes', async () => {
    const service = testService();
    const topic = eventTopic(service.name, STREAM_TYPE);
    const replicas = [await replica(service), await replica(service)];
    await appendThrough(replicas, ['note-x', 'note-y'], 4);
    const first = await publisherOf(replicas);
    await first.close();
    runtimes.splice(runtimes.indexOf(first), 1);
    const remaining = replicas.filter((r) => r !== first);

    await appendThrough(remaining, ['note-x', 'note-y'], 4);
    await waitFor('the other replica to take over', async () => publishing(remaining[0]));
    await publisherOf(remaining);
    await assertPublishedOnceInOrder(remaining[0], topic);
  });

  it('shows the relay lag at /metrics, growing while no replica may publish and back to 0 once one does', async () => {
    const service = testService();
    const label = `${service.schema}.relay`;
    // A foreign session holds the relay's lock: the replica stands by, as it would behind a stuck holder.
    const foreign = new Client({ connectionString: bed.infra.databaseUrl });
    await foreign.connect();
    await foreign.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`logbook-subscription:${label}`]);
    const runtime = await replica(service);

    @Module({ imports: [ObservabilityModule.with(runtime.readinessChecks)] })
    class MetricsModule {}
    const app = await createHttpApp(MetricsModule, { logger, bodyLimitBytes: 1024 });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    const pending = async () => {
      const response = await app.inject({ method: 'GET', url: '/metrics' });
      assert.equal(response.statusCode, 200);
      const line = response.body
        .split('\n')
        .find((l) => l.startsWith(`logbook_relay_pending_events{relay="${label}"} `));
      return line === undefined ? undefined : Number(line.split(' ')[1]);
    };
    try {
      assert.equal(await pending(), 0);
      await appendTo(runtime.store, STREAM_TYPE, 'note-1', 3);
      await appendTo(runtime.store, STREAM_TYPE, 'note-2', 4);
      assert.equal(await pending(), 7);
      assert.equal(publishing(runtime), false, 'the replica waits for the lock');

      await foreign.end();
      await waitFor('the replica to publish and the gauge to read 0', async () => (await pending()) === 0);
      assert.equal(await topicSize(bed.kafka, [eventTopic(service.name, STREAM_TYPE)]), 7);
    } finally {
      await foreign.end().catch(() => undefined);
      await app.close();
    }
  });
});
