import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka } from 'kafkajs';
import { EventEnvelope, EventStore } from '@logbook/eventstore';
import { PostgresDatabase } from '@logbook/platform';
import {
  dropSchema,
  gatedDatabase,
  testInfra,
  uniqueSchema,
  waitPublishable,
  appendTo,
  appliedRows,
  createSchema,
  createStore,
  deleteGroup,
  groupCaughtUp,
  idsByStream,
  logger,
  messagingTestbed,
  readTopics,
  recordApplied,
  RecordingPublisher,
  topicSize,
  uniqueName,
  waitFor,
} from '@logbook/testing';
import { KafkaEventConsumer } from './consumer';
import { EventPublisher, KafkaEventPublisher } from './publisher';
import { OutboxRelay } from './relay';
import { eventTopic } from './topics';

const STREAM_TYPES = ['run', 'experiment'];

describe('OutboxRelay with Kafka', () => {
  const bed = messagingTestbed('msg_relay');
  const infra = bed.infra;
  let db: PostgresDatabase;
  let kafka: Kafka;
  before(() => {
    ({ db, kafka } = bed);
  });

  /** A fresh schema, event store and topic family per test. */
  async function fixture() {
    const { schema, service } = await bed.fresh();
    const publisher = new KafkaEventPublisher({
      cluster: infra.kafka,
      service,
      streamTypes: STREAM_TYPES,
      logger,
    });
    await publisher.connect();
    bed.onClose(() => publisher.close());
    const topics = STREAM_TYPES.map((type) => eventTopic(service, type));
    return { schema, service, publisher, topics, store: createStore(db, schema, service) };
  }

  /** Other sessions' open transactions on the shared server may hold events back for a moment. */
  const drainUntilCaughtUp = (relay: OutboxRelay) =>
    waitFor('the relay to catch up', async () => {
      await relay.drain();
      return (await relay.lag()) === 0;
    });

  it('publishes exactly the committed events, each stream in order, keyed by stream id', async () => {
    const { schema, service, publisher, topics } = await fixture();
    const store = createStore(db, schema, service, [
      {
        name: 'rejects-doomed',
        tables: [],
        apply: async (_tx, events) => {
          if (events.some((e) => e.type === 'Doomed')) throw new Error('rolled back');
        },
      },
    ]);
    const streams: Array<[string, string]> = [
      ['run', 'run-1'],
      ['run', 'run-2'],
      ['run', 'run-3'],
      ['experiment', 'exp-1'],
      ['experiment', 'exp-2'],
    ];
    for (let round = 0; round < 4; round++) {
      await Promise.all(streams.map(([type, id], i) => appendTo(store, type, id, 1 + ((round + i) % 3))));
    }
    await assert.rejects(appendTo(store, 'run', 'run-1', 2, 'Doomed'), /rolled back/);

    const relay = new OutboxRelay(store, publisher, { batchSize: 7, logger });
    await drainUntilCaughtUp(relay);

    const committed = new Map<string, EventEnvelope[]>();
    for (const [, id] of streams) committed.set(id, await store.readStream(id));
    const total = [...committed.values()].reduce((n, events) => n + events.length, 0);
    const messages = await readTopics(kafka, topics, total);
    assert.equal(messages.length, total);
    assert.equal(await topicSize(kafka, topics), total, 'nothing else was published');

    const received = messages.map((m) => JSON.parse(m.value) as EventEnvelope);
    assert.deepEqual(idsByStream(received), idsByStream([...committed.values()].flat()));
    assert.ok(
      received.every((e) => e.type === 'Noted'),
      'the rolled-back events are not published',
    );
    for (const message of messages) {
      const envelope = JSON.parse(message.value) as EventEnvelope;
      const stored = committed.get(envelope.streamId)!.find((e) => e.eventId === envelope.eventId);
      assert.deepEqual(envelope, stored);
      assert.equal(message.key, envelope.streamId);
      assert.equal(message.topic, eventTopic(service, envelope.streamType));
      assert.deepEqual(message.headers, {
        id: envelope.eventId,
        type: envelope.type,
        schemaVersion: String(envelope.schemaVersion),
        streamType: envelope.streamType,
      });
    }
    for (const [id] of committed) {
      const partitions = new Set(messages.filter((m) => m.key === id).map((m) => m.partition));
      assert.equal(partitions.size, 1, `stream ${id} stays on one partition`);
    }
    // The checkpoint is the last event in commit order, which need not be the highest position.
    const checkpoint = await db.query(
      `SELECT transaction_id::text AS tx, global_position FROM ${schema}.checkpoints WHERE name = 'relay'`,
    );
    const last = await db.query(
      `SELECT transaction_id::text AS tx, global_position FROM ${schema}.events
       ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
    );
    assert.deepEqual(checkpoint.rows, last.rows);
  });

  it('does not skip an event whose transaction commits after a later one', async () => {
    const { schema, service, publisher, topics, store } = await fixture();
    const { gated, inside, release } = gatedDatabase(db);
    const recorder = new RecordingPublisher(publisher);
    const relay = new OutboxRelay(store, recorder, { logger });

    const lateAppend = appendTo(createStore(gated, schema, service), 'run', 'run-late');
    let early: EventEnvelope;
    try {
      await inside; // its event is inserted (smaller position, older transaction) but not committed
      [early] = await appendTo(store, 'run', 'run-early');
      await relay.drain();
      assert.equal(recorder.published.length, 0, 'the later commit waits behind the open transaction');
      assert.equal(await relay.lag(), 1);
    } finally {
      release();
    }
    const [late] = await lateAppend;
    assert.ok(late.globalPosition < early.globalPosition);
    await drainUntilCaughtUp(relay);
    assert.deepEqual(
      recorder.published.map((e) => e.eventId),
      [late.eventId, early.eventId],
    );
    const messages = await readTopics(kafka, topics, 2);
    assert.deepEqual(new Set(messages.map((m) => m.headers.id)), new Set([late.eventId, early.eventId]));
  });

  it('republishes after dying between publish and checkpoint; the consumer applies each event once', async () => {
    const { schema, publisher, topics, store } = await fixture();
    await appendTo(store, 'run', 'run-a', 4);
    await appendTo(store, 'experiment', 'exp-a', 3);
    await appendTo(store, 'run', 'run-b', 3);
    const committed = await store.readAll(0, 100);
    assert.equal(committed.length, 10);
    await waitPublishable(db, schema, 10); // so that the batches below are exactly 4, 4 and 2

    // Kafka accepts the second batch, then the process "dies" before the checkpoint is stored.
    let calls = 0;
    const dying: EventPublisher = {
      publish: async (events) => {
        await publisher.publish(events);
        if (++calls === 2) throw new Error('relay process died before its checkpoint');
      },
      close: async () => undefined,
    };
    const first = new OutboxRelay(store, dying, { batchSize: 4, logger });
    await waitFor('the first batch', async () => (await first.publishNext()) === 4);
    await assert.rejects(first.publishNext(), /died/);

    const restarted = new OutboxRelay(store, publisher, { batchSize: 4, logger });
    assert.equal(await restarted.lag(), 6);
    await drainUntilCaughtUp(restarted);
    assert.equal(await topicSize(kafka, topics), 14, 'the unconfirmed batch of 4 went out twice');
    const messages = await readTopics(kafka, topics, 14);
    assert.deepEqual(new Set(messages.map((m) => m.headers.id)), new Set(committed.map((e) => e.eventId)));

    const name = uniqueName('projector');
    const consumer = new KafkaEventConsumer(
      db,
      { name, schema, handle: (tx, e) => recordApplied(tx, schema, name, e) },
      { cluster: infra.kafka, topics, logger },
    );
    await consumer.start();
    try {
      await waitFor('the consumer to read everything', () => groupCaughtUp(kafka, name, topics));
    } finally {
      await consumer.stop();
      await deleteGroup(kafka, name);
    }
    const applied = await appliedRows(db, schema, name);
    assert.equal(applied.length, 10, 'each event applied exactly once');
    assert.deepEqual(new Set(applied.map((r) => r.event_id)), new Set(committed.map((e) => e.eventId)));
    for (const [stream, positions] of byStream(applied)) {
      assert.deepEqual(
        positions,
        [...positions].sort((a, b) => a - b),
        `stream ${stream} applied in order`,
      );
    }
    const inbox = await db.query(`SELECT 1 FROM ${schema}.inbox WHERE consumer = $1`, [name]);
    assert.equal(inbox.rowCount, 10);
  });
});

describe('OutboxRelay loop', () => {
  const infra = testInfra();
  let db: PostgresDatabase;
  const schemas: string[] = [];

  before(() => {
    db = new PostgresDatabase(infra.databaseUrl);
  });
  after(async () => {
    for (const schema of schemas) await dropSchema(db, schema);
    await db.close();
  });

  async function store(): Promise<EventStore> {
    const schema = uniqueSchema('msg_loop');
    schemas.push(schema);
    await createSchema(db, schema);
    return createStore(db, schema, 'loop');
  }

  it('publishes appends in the background and stops cleanly', async () => {
    const events = await store();
    const recorder = new RecordingPublisher();
    const relay = new OutboxRelay(events, recorder, { logger });
    relay.start();
    const appended = [...(await appendTo(events, 'run', 'r1', 2)), ...(await appendTo(events, 'run', 'r2', 3))];
    await waitFor('background publishing', async () => recorder.published.length === appended.length);
    assert.deepEqual(
      recorder.published.map((e) => e.eventId),
      appended.map((e) => e.eventId),
    );
    await relay.stop();
    await appendTo(events, 'run', 'r1', 1);
    assert.equal(await relay.lag(), 1, 'a stopped relay publishes nothing');
    assert.equal(recorder.published.length, appended.length);
  });

  it('keeps retrying with backoff when the transport fails, without losing or reordering events', async () => {
    const events = await store();
    let failuresLeft = 3;
    const recorder = new RecordingPublisher();
    const flaky: EventPublisher = {
      publish: async (batch) => {
        if (failuresLeft-- > 0) throw new Error('broker unavailable');
        await recorder.publish(batch);
      },
      close: async () => undefined,
    };
    const relay = new OutboxRelay(events, flaky, { pollIntervalMs: 10, logger });
    const appended = await appendTo(events, 'run', 'r1', 4);
    relay.start();
    try {
      await waitFor('publishing after the failures', async () => recorder.published.length === 4);
    } finally {
      await relay.stop();
    }
    assert.equal(failuresLeft, -1);
    assert.deepEqual(
      recorder.published.map((e) => e.eventId),
      appended.map((e) => e.eventId),
    );
  });
});

function byStream(rows: Array<{ stream_id: string; stream_position: number }>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of rows) out.set(r.stream_id, [...(out.get(r.stream_id) ?? []), r.stream_position]);
  return out;
}
