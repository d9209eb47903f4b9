import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kafka } from 'kafkajs';
import pino from 'pino';
import { derivedEventId, eventTopic } from '@logbook/contracts';
import { createKafka } from '@logbook/messaging';
import { createHttpApp } from '@logbook/platform';
import { createTestDatabase, PrivateKafka, readTopics, topicSize, waitFor } from '@logbook/testing';
import { loadTrackingConfig } from '../../services/tracking/src/config';
import { TrackingModule } from '../../services/tracking/src/tracking.module';
import { startTrackingRuntime, TrackingRuntime } from '../../services/tracking/src/tracking.runtime';

const silent = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const RUN_TOPIC = eventTopic('tracking', 'run');
const RUN_TOPICS = [RUN_TOPIC, eventTopic('tracking', 'run-data')];

interface Replica {
  runtime: TrackingRuntime;
  app: NestFastifyApplication;
  closed: boolean;
}

/**
 * Two replicas of the tracking service on one database, as an operator scales it: both serve writes,
 * exactly one publishes the log to Kafka, and the other takes over when the publisher goes away.
 */
describe('two tracking replicas on one database', () => {
  let kafka: PrivateKafka;
  let client: Kafka;
  let database: { url: string; drop(): Promise<void> };
  const replicas: Replica[] = [];

  const post = async (replica: Replica, path: string, body: unknown) => {
    const response = await replica.app.inject({
      method: 'POST',
      url: `/api/2.0/mlflow/${path}`,
      payload: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as Record<string, any>;
  };

  /** A run created through `replica`, with a metric: two events of the run's stream. */
  const createRun = async (replica: Replica, experimentId: string): Promise<string> => {
    const created = await post(replica, 'runs/create', { experiment_id: experimentId, start_time: 1 });
    const runId = created.run.info.run_id as string;
    await post(replica, 'runs/log-metric', { run_id: runId, key: 'loss', value: 0.5, timestamp: 1, step: 0 });
    return runId;
  };

  /**
   * What the run stream's events in the log become on `topic`, as `streamId/eventId`, in the order of the log:
   * a RunDataLogged goes whole to the run-data topic, its summary (an id derived from it) to the run topic.
   */
  const runEventIds = async (topic: string): Promise<string[]> => {
    const open = replicas.find((replica) => !replica.closed)!;
    const { rows } = await open.runtime.db.query<{ stream_id: string; event_id: string; type: string }>(
      `SELECT stream_id, event_id, type FROM tracking.events WHERE stream_type = 'run' ORDER BY global_position`,
    );
    return rows.flatMap(({ stream_id, event_id, type }) => {
      if (type !== 'RunDataLogged') return topic === RUN_TOPIC ? [`${stream_id}/${event_id}`] : [];
      const id = topic === RUN_TOPIC ? derivedEventId(event_id, 'RunDataLoggedSummary') : event_id;
      return [`${stream_id}/${id}`];
    });
  };

  /** Every event on `topic` as `streamId/eventId`, as often as it was published, in each partition's order. */
  const publishedRunEventIds = async (topic: string, expected: number): Promise<string[]> => {
    const total = await topicSize(client, [topic]);
    const messages = await readTopics(client, [topic], Math.max(total, expected), 60_000);
    return messages.map((message) => {
      const event = JSON.parse(message.value) as { streamId: string; eventId: string };
      return `${event.streamId}/${event.eventId}`;
    });
  };

  /** The ids of each stream, in order: Kafka keeps order per stream (key), not across streams. */
  const byStream = (ids: string[]) => {
    const streams = new Map<string, string[]>();
    for (const id of ids) {
      const [streamId] = id.split('/');
      streams.set(streamId, [...(streams.get(streamId) ?? []), id]);
    }
    return Object.fromEntries([...streams].sort(([a], [b]) => a.localeCompare(b)));
  };

  const publishers = () => replicas.filter((replica) => !replica.closed && replica.runtime.publication?.isPublishing);

  before(async () => {
    kafka = await PrivateKafka.create();
    await kafka.start();
    client = createKafka(kafka.cluster, 'replicas-spec', silent);
    database = await createTestDatabase('replicas');
    const config = loadTrackingConfig({
      LOGBOOK_MODE: 'distributed',
      DATABASE_URL: database.url,
      KAFKA_BROKERS: kafka.brokers.join(','),
    });
    for (let i = 0; i < 2; i++) {
      const runtime = await startTrackingRuntime(config, silent);
      @Module({ imports: [TrackingModule.with(runtime)] })
      class ReplicaModule {}
      const app = await createHttpApp(ReplicaModule, { logger: silent, bodyLimitBytes: 1024 * 1024 });
      await app.init();
      replicas.push({ runtime, app, closed: false });
    }
  });

  after(async () => {
    for (const replica of replicas.filter((r) => !r.closed)) {
      await replica.app.close();
      await replica.runtime.close();
    }
    await database?.drop();
    await kafka?.destroy();
  });

  it('serves writes on both replicas and publishes each event exactly once, from one replica', async () => {
    const experiment = await post(replicas[0], 'experiments/create', { name: `replicas-${randomUUID()}` });
    for (let i = 0; i < 10; i++) await createRun(replicas[i % 2], experiment.experiment_id);

    await waitFor('one replica to hold the relay', async () => publishers().length === 1);
    await waitFor(
      'the log to be published',
      async () => (await publishers()[0].runtime.publication!.relay.lag()) === 0,
    );
    assert.equal(publishers().length, 1, 'exactly one replica publishes');

    for (const topic of RUN_TOPICS) {
      const logged = await runEventIds(topic);
      assert.equal(logged.length, topic === RUN_TOPIC ? 20 : 10, `${topic}: the runs' events`);
      const published = await publishedRunEventIds(topic, logged.length);
      assert.equal(published.length, logged.length, `${topic}: no event published twice`);
      assert.deepEqual(byStream(published), byStream(logged), `${topic}: every event once, each stream in order`);
    }
  });

  it('lets the other replica take over when the publishing one stops, and loses nothing', async () => {
    const [leader] = publishers();
    const survivor = replicas.find((replica) => replica !== leader)!;
    const experiment = await post(survivor, 'experiments/create', { name: `takeover-${randomUUID()}` });

    await leader.app.close();
    await leader.runtime.close();
    leader.closed = true;
    for (let i = 0; i < 5; i++) await createRun(survivor, experiment.experiment_id);

    await waitFor('the survivor to take the relay over', async () => publishers()[0] === survivor, 30_000);
    await waitFor(
      'the survivor to publish the log',
      async () => (await survivor.runtime.publication!.relay.lag()) === 0,
    );
    for (const topic of RUN_TOPICS) {
      const logged = await runEventIds(topic);
      assert.equal(logged.length, topic === RUN_TOPIC ? 30 : 15);
      const published = new Set(await publishedRunEventIds(topic, logged.length));
      assert.deepEqual(
        logged.filter((id) => !published.has(id)),
        [],
        `${topic}: every acknowledged write is on Kafka after the take-over`,
      );
    }
  });
});
