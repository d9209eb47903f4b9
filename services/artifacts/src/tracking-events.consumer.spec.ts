import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Kafka, Partitioners } from 'kafkajs';
import pino from 'pino';
import { eventTopic } from '@logbook/contracts';
import { EventEnvelope } from '@logbook/eventstore';
import { EventStore } from '@logbook/eventstore';
import {
  BatchDelivery,
  createKafka,
  DeadLetter,
  handleDeliveredBatch,
  InProcessEventBus,
  KafkaEventConsumer,
} from '@logbook/messaging';
import { deadLetterTopic } from '@logbook/messaging';
import { Database, PostgresDatabase } from '@logbook/platform';
import { migrate } from '@logbook/platform';
import { createTestDatabase, testInfra, trackingRunEvent } from '@logbook/testing';
import { ARTIFACTS_SCHEMA, artifactsMigrations } from '../migrations/001_initial';
import { artifactsProjection } from './artifacts.projection';
import { Readable } from 'node:stream';
import { artifactStreamId } from './artifact.decider';
import { LocalArtifactStorage } from './storage/local-storage';
import { trackingEventsConsumer } from './tracking-events.consumer';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

const trackingEvent = (type: string, data: unknown, schemaVersion = 1) =>
  trackingRunEvent(type, data, { schemaVersion });

function runCreated(runId: string) {
  return {
    runId,
    experimentId: '1',
    userId: 'ada',
    runName: 'brave-owl-42',
    startTime: 1764864000000,
    artifactUri: `mlflow-artifacts:/1/${runId}/artifacts`,
    tags: [],
  };
}

/** Payloads that break tracking's RunCreated contract, each in one way, and the problem each must be refused for. */
function invalidRunCreatedEvents(): Array<[EventEnvelope, RegExp]> {
  const runId = hex(16);
  const withoutExperiment: Partial<ReturnType<typeof runCreated>> = runCreated(hex(16));
  delete withoutExperiment.experimentId;
  return [
    [trackingEvent('RunCreated', { ...runCreated(runId), runId: 42 }), /runId: must be a string/],
    [trackingEvent('RunCreated', withoutExperiment), /experimentId: is required/],
    [trackingEvent('RunCreated', runCreated(hex(16)), 2), /schemaVersion 2 of RunCreated is unknown/],
  ];
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await delay(50)) {
    const value = await probe();
    if (value !== undefined) return value;
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('the artifacts consumer of tracking events: payloads are checked against the contracts', () => {
  const infra = testInfra();
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: PostgresDatabase;
  let storageDir: string;
  let deps: Parameters<typeof trackingEventsConsumer>[0];

  const owner = async (runId: string) =>
    (
      await db.query<{ owner_id: string; root: string }>(
        `SELECT owner_id, root FROM artifacts.owners WHERE owner_id = $1`,
        [runId],
      )
    ).rows[0];
  const ownerCount = async () =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM artifacts.owners`)).rows[0].n;

  before(async () => {
    database = await createTestDatabase('artifacts_consumer');
    db = new PostgresDatabase(database.url);
    await migrate(db, ARTIFACTS_SCHEMA, artifactsMigrations);
    storageDir = mkdtempSync(join(tmpdir(), 'artifacts-consumer-'));
    const store = new EventStore(db, {
      schema: ARTIFACTS_SCHEMA,
      producer: 'artifacts',
      projections: [artifactsProjection],
    });
    deps = { store, storage: await LocalArtifactStorage.open(storageDir), logger };
  });

  after(async () => {
    await db.close();
    await database.drop();
    rmSync(storageDir, { recursive: true, force: true });
  });

  it('Kafka: an invalid payload goes to the dead-letter topic, changes nothing, and the next message is processed', async () => {
    const topic = eventTopic(`consumertest_${hex(4)}`, 'run');
    const kafka = createKafka(infra.kafka, 'artifacts-consumer-spec', logger);
    const invalid = invalidRunCreatedEvents();
    const validRunId = hex(16);
    const ownersBefore = await ownerCount();

    const consumer = new KafkaEventConsumer(db, trackingEventsConsumer(deps), {
      cluster: infra.kafka,
      topics: [topic],
      groupId: `artifacts-consumer-spec-${hex(4)}`,
      maxWaitTimeInMs: 100,
      logger,
    });
    await consumer.start();
    try {
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      await producer.send({
        topic,
        acks: -1,
        messages: [...invalid.map(([event]) => event), trackingEvent('RunCreated', runCreated(validRunId))].map(
          (event) => ({ key: 'one-partition', value: JSON.stringify(event) }),
        ),
      });
      await producer.disconnect();

      const letters = await readMessages(kafka, deadLetterTopic(topic), invalid.length);
      assert.deepEqual(
        letters.map((letter) => [letter.headers['dlq-reason'], JSON.parse(letter.value).eventId]),
        invalid.map(([event]) => ['invalid', event.eventId]),
      );
      letters.forEach((letter, i) => assert.match(letter.headers['dlq-error'], invalid[i][1]));

      const processed = await eventually('the valid message after the invalid ones', () => owner(validRunId));
      assert.equal(processed.root, `1/${validRunId}/artifacts`);
      assert.equal(await ownerCount(), ownersBefore + 1, 'an invalid payload added an owner');
      assert.equal(
        await messageCount(kafka, deadLetterTopic(topic)),
        invalid.length,
        'a valid message was dead-lettered',
      );
    } finally {
      await consumer.stop();
      await deleteTopics(kafka, [topic, deadLetterTopic(topic)]);
    }
  });

  it('in-process: an invalid payload goes to the dead letters, changes nothing, and the next event is processed', async () => {
    const letters: DeadLetter[] = [];
    const bus = new InProcessEventBus(db, { logger, deadLetters: async (letter) => void letters.push(letter) });
    bus.subscribe(trackingEventsConsumer(deps));
    const invalid = invalidRunCreatedEvents();
    const validRunId = hex(16);
    const ownersBefore = await ownerCount();

    await bus.publish([...invalid.map(([event]) => event), trackingEvent('RunCreated', runCreated(validRunId))]);
    await bus.close();

    assert.deepEqual(
      letters.map((letter) => [letter.reason, (letter.message as EventEnvelope).eventId]),
      invalid.map(([event]) => ['invalid', event.eventId]),
    );
    letters.forEach((letter, i) => assert.match(letter.error, invalid[i][1]));
    assert.ok(await owner(validRunId), 'the valid event after the invalid ones was not processed');
    assert.equal(await ownerCount(), ownersBefore + 1, 'an invalid payload added an owner');
  });
});

describe('the artifacts consumer of tracking events, given a fetched batch', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: PostgresDatabase;
  let storageDir: string;
  let storage: LocalArtifactStorage;
  let store: EventStore;
  let transactions = 0;
  /** The consumer's database, counting the transactions it is asked for. */
  let counted: Database;

  const stages = async (runIds: string[]) =>
    (
      await db.query<{ owner_id: string; lifecycle_stage: string; experiment_lifecycle_stage: string }>(
        `SELECT owner_id, lifecycle_stage, experiment_lifecycle_stage FROM artifacts.owners WHERE owner_id = ANY($1)`,
        [runIds],
      )
    ).rows.map((row) => [row.owner_id, row.lifecycle_stage, row.experiment_lifecycle_stage]);
  const deliveries = (events: EventEnvelope[]): BatchDelivery[] =>
    events.map((event) => ({
      message: JSON.parse(JSON.stringify(event)) as unknown,
      deadLetter: async (letter) => assert.fail(`dead-lettered: ${letter.error}`),
    }));
  const inExperiment = (runId: string, experimentId: string) => ({ ...runCreated(runId), experimentId });

  before(async () => {
    database = await createTestDatabase('artifacts_consumer_batch');
    db = new PostgresDatabase(database.url);
    await migrate(db, ARTIFACTS_SCHEMA, artifactsMigrations);
    storageDir = mkdtempSync(join(tmpdir(), 'artifacts-consumer-batch-'));
    storage = await LocalArtifactStorage.open(storageDir);
    store = new EventStore(db, { schema: ARTIFACTS_SCHEMA, producer: 'artifacts', projections: [artifactsProjection] });
    counted = Object.assign(Object.create(db) as PostgresDatabase, {
      transaction: <T>(work: Parameters<Database['transaction']>[0]) => {
        transactions++;
        return db.transaction(work) as Promise<T>;
      },
    });
  });

  after(async () => {
    await db.close();
    await database.drop();
    rmSync(storageDir, { recursive: true, force: true });
  });

  it('applies it in one transaction, each event in order', async () => {
    const experimentId = String(Date.now());
    const runIds = [hex(16), hex(16), hex(16)];
    const events = [
      ...runIds.map((runId) => trackingEvent('RunCreated', inExperiment(runId, experimentId))),
      trackingEvent('RunDeleted', { runId: runIds[0], experimentId, time: 1 }),
      trackingEvent('ExperimentDeleted', { experimentId, time: 2 }),
      trackingEvent('RunRestored', { runId: runIds[0], experimentId, time: 3 }),
    ];
    const before = transactions;

    await handleDeliveredBatch(counted, trackingEventsConsumer({ store, storage, logger }), deliveries(events), logger);

    assert.equal(transactions - before, 1, 'transactions for six events');
    assert.deepEqual((await stages(runIds)).sort(), runIds.map((runId) => [runId, 'active', 'deleted']).sort());
  });

  it('rolled back after a purge deleted from the store, then the purge is applied again: the artifacts gone, recorded deleted once', async () => {
    const experimentId = String(Date.now());
    const [purged, other] = [hex(16), hex(16)];
    const root = `1/${purged}/artifacts`; // runCreated's artifact location
    await storage.put(`${root}/model.pkl`, Readable.from([Buffer.from('weights')]), { maxBytes: 1024 });
    const events = [
      trackingEvent('RunCreated', inExperiment(purged, experimentId)),
      trackingEvent('RunCreated', inExperiment(other, experimentId)),
      trackingEvent('RunDeleted', { runId: purged, experimentId, time: 1 }),
      trackingEvent('RunPurged', { runId: purged, experimentId, time: 2 }),
      trackingEvent('RunDeleted', { runId: other, experimentId, time: 3 }),
    ];
    const consumer = trackingEventsConsumer({ store, storage, logger });
    const handle = consumer.handle;
    let deletesSeen = 0;
    let failed = false;
    let storedWhenFailing: string | undefined;
    consumer.handle = async (tx, event) => {
      if (event.type === 'RunPurged') deletesSeen++;
      await handle(tx, event);
      if (event.eventId === events[4].eventId && !failed) {
        failed = true;
        storedWhenFailing = await storage.exists(root);
        throw new Error('the batch fails after the purge');
      }
    };
    await db.query(
      `INSERT INTO artifacts.objects (path, root, size, sha256, stored_at) VALUES ($1, $2, 7, 'feed', 1)`,
      [`${root}/model.pkl`, root],
    );

    await handleDeliveredBatch(counted, consumer, deliveries(events), logger);

    assert.ok(failed);
    assert.equal(storedWhenFailing, undefined, 'deleted from the store before the batch rolled back');
    assert.equal(deletesSeen, 2, 'the purge ran in the batch, then once more on its own');
    assert.equal(await storage.exists(root), undefined);
    assert.deepEqual(
      (await stages([purged, other])).sort(),
      [
        [other, 'deleted', 'active'],
        [purged, 'purged', 'active'],
      ].sort(),
    );
    const { rows } = await db.query<{ type: string }>(
      `SELECT type FROM artifacts.events WHERE stream_id = $1 ORDER BY global_position`,
      [artifactStreamId(root)],
    );
    assert.deepEqual(
      rows.map((row) => row.type),
      ['ArtifactDeleted'],
    );
    const { rows: objects } = await db.query(`SELECT path FROM artifacts.objects WHERE root = $1`, [root]);
    assert.deepEqual(objects, []);
  });
});

async function readMessages(kafka: Kafka, topic: string, count: number) {
  const messages: Array<{ value: string; headers: Record<string, string> }> = [];
  const groupId = `reader-${hex(4)}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([key, value]) => [key, String(value)]),
        );
        messages.push({ value: message.value?.toString() ?? '', headers });
      },
    });
    await eventually(`${count} messages on ${topic}`, async () => (messages.length >= count ? true : undefined));
    return messages;
  } finally {
    await consumer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

async function messageCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const partitions = await admin.fetchTopicOffsets(topic);
    return partitions.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
}
