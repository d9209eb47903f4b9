import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { IsInt } from 'class-validator';
import { Kafka, Partitioners } from 'kafkajs';
import { EventEnvelope } from '@logbook/eventstore';
import { PostgresDatabase } from '@logbook/platform';
import {
  ConsumerDefinition,
  DeadLetter,
  handleDelivered,
  handleDeliveredBatch,
  InvalidEnvelopeError,
  KafkaEventConsumer,
  validatePayloadWith,
} from './consumer';
import { ensureTopics } from './kafka';
import { KafkaEventPublisher } from './publisher';
import { OutboxRelay } from './relay';
import {
  appendTo,
  appliedRows,
  createStore,
  deleteGroup,
  groupCaughtUp,
  logger,
  messagingTestbed,
  readTopics,
  recordApplied,
  topicSize,
  uniqueName,
  waitFor,
} from '@logbook/testing';
import { deadLetterTopic, eventTopic } from './topics';

class TypedData {
  @IsInt() count!: number;
}

describe('KafkaEventConsumer', () => {
  const bed = messagingTestbed('msg_consumer');
  const infra = bed.infra;
  let db: PostgresDatabase;
  let kafka: Kafka;
  before(() => {
    ({ db, kafka } = bed);
  });

  async function fixture() {
    const { schema, service } = await bed.fresh();
    return { schema, service, topic: eventTopic(service, 'run') };
  }

  /** Runs the consumer until its group has committed the end of every partition. */
  async function consumeAll(definition: ConsumerDefinition, topics: string[]) {
    const consumer = new KafkaEventConsumer(db, definition, { cluster: infra.kafka, topics, logger });
    await consumer.start();
    try {
      await waitFor(`${definition.name} to read everything`, () => groupCaughtUp(kafka, definition.name, topics));
    } finally {
      await consumer.stop();
      await deleteGroup(kafka, definition.name);
    }
  }

  it('sees an event again after its handler threw mid-handle, applies it once, and tells onHandled once', async () => {
    const { schema, service, topic } = await fixture();
    const store = createStore(db, schema, service);
    await appendTo(store, 'run', 'run-1', 3);
    await appendTo(store, 'run', 'run-2', 3);
    const publisher = new KafkaEventPublisher({
      cluster: infra.kafka,
      service,
      streamTypes: ['run'],
      logger,
    });
    await publisher.connect();
    const relay = new OutboxRelay(store, publisher, { logger });
    await waitFor('publishing', async () => {
      await relay.drain();
      return (await relay.lag()) === 0;
    });
    await publisher.close();

    const name = uniqueName('projector');
    const attempts = new Map<string, number>();
    const told: string[] = [];
    await consumeAll(
      {
        name,
        schema,
        retryDelayMs: 5,
        handle: async (tx, event) => {
          await recordApplied(tx, schema, name, event);
          const attempt = (attempts.get(event.eventId) ?? 0) + 1;
          attempts.set(event.eventId, attempt);
          if (attempt === 1) throw new Error('crashed after writing its row');
        },
        onHandled: (event) => told.push(event.eventId),
      },
      [topic],
    );

    const applied = await appliedRows(db, schema, name);
    assert.equal(applied.length, 6);
    assert.equal(new Set(applied.map((r) => r.event_id)).size, 6);
    assert.deepEqual([...attempts.values()], [2, 2, 2, 2, 2, 2]);
    assert.deepEqual(
      told.sort(),
      [...attempts.keys()].sort(),
      'told once of each event, after the attempt that committed',
    );
    for (const stream of ['run-1', 'run-2']) {
      assert.deepEqual(
        applied.filter((r) => r.stream_id === stream).map((r) => r.stream_position),
        [1, 2, 3],
      );
    }
    assert.equal(await topicSize(kafka, [deadLetterTopic(topic)]), 0);
  });

  it('dead-letters poison messages and a handler that always fails, and goes on with the next message', async () => {
    const { schema, service, topic } = await fixture();
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [topic], { partitions: 3 });
    await admin.disconnect();
    const good = envelope(service, 'Noted', { n: 1 });
    const boom = envelope(service, 'Boom', {});
    const mistyped = envelope(service, 'Typed', { count: 'many' });
    const originals = [
      'not json {',
      JSON.stringify({ hello: 'world' }),
      JSON.stringify(boom),
      JSON.stringify(mistyped),
      JSON.stringify(good),
    ];
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: originals.map((value, i) => ({ key: 'run-1', value, headers: { note: `message ${i}` } })),
    });
    await producer.disconnect();

    const name = uniqueName('projector');
    let boomAttempts = 0;
    await consumeAll(
      {
        name,
        schema,
        maxAttempts: 3,
        retryDelayMs: 5,
        validators: { Typed: validatePayloadWith(TypedData) },
        handle: async (tx, event) => {
          await recordApplied(tx, schema, name, event);
          if (event.type === 'Boom') {
            boomAttempts++;
            throw new Error('boom');
          }
        },
      },
      [topic],
    );

    const applied = await appliedRows(db, schema, name);
    assert.deepEqual(
      applied.map((r) => r.event_id),
      [good.eventId],
      'only the good message has an effect',
    );
    assert.equal(boomAttempts, 3);

    const letters = await readTopics(kafka, [deadLetterTopic(topic)], 4);
    letters.sort((a, b) => Number(a.headers['dlq-offset']) - Number(b.headers['dlq-offset']));
    assert.deepEqual(
      letters.map((l) => [l.headers['dlq-reason'], l.headers['dlq-attempts'], l.value, l.headers.note]),
      [
        ['unparseable', '0', originals[0], 'message 0'],
        ['invalid', '0', originals[1], 'message 1'],
        ['failed', '3', originals[2], 'message 2'],
        ['invalid', '0', originals[3], 'message 3'],
      ],
    );
    const partition = letters[0].headers['dlq-partition'];
    for (const [i, letter] of letters.entries()) {
      assert.equal(letter.key, 'run-1');
      assert.equal(letter.headers['dlq-topic'], topic);
      assert.equal(letter.headers['dlq-partition'], partition);
      assert.equal(letter.headers['dlq-offset'], String(i));
      assert.equal(letter.headers['dlq-consumer'], name);
    }
    assert.match(letters[1].headers['dlq-error'], /eventId must be a UUID/);
    assert.match(letters[2].headers['dlq-error'], /boom/);
    assert.match(letters[3].headers['dlq-error'], /data: count must be an integer/);
  });

  it('finishes and commits the chunk in hand when stopped mid-batch: restarted, it dead-letters nothing twice and applies each event once', async () => {
    const { schema, service, topic } = await fixture();
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [topic], { partitions: 3 });
    const invalid = JSON.stringify({ hello: 'world' });
    const held = envelope(service, 'Noted', { n: 1 });
    const later = envelope(service, 'Noted', { n: 2 });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [invalid, JSON.stringify(held), JSON.stringify(later)].map((value) => ({ key: 'run-1', value })),
    });
    await producer.disconnect();

    const name = uniqueName('projector');
    const handled: string[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const definition: ConsumerDefinition = {
      name,
      schema,
      handle: async (tx, event) => {
        handled.push(event.eventId);
        if (event.eventId === held.eventId) await released;
        await recordApplied(tx, schema, name, event);
      },
    };
    const options = { cluster: infra.kafka, topics: [topic], logger };
    const first = new KafkaEventConsumer(db, definition, options);
    await first.start();
    await waitFor('the second message in hand', async () => handled.includes(held.eventId));
    // stop() marks kafkajs' runner stopped within microtasks, before the held event's transaction is done.
    const stopping = first.stop();
    release();
    await stopping;

    const [{ partitions }] = await admin.fetchOffsets({ groupId: name, topics: [topic] });
    await admin.disconnect();
    assert.deepEqual(
      partitions.filter((p) => p.offset !== '-1').map((p) => p.offset),
      ['3'],
      'the chunk in hand (the invalid message and both events, one transaction) is finished and committed',
    );

    const second = new KafkaEventConsumer(db, definition, options);
    await second.start();
    try {
      await waitFor(`${name} to read everything`, () => groupCaughtUp(kafka, name, [topic]));
    } finally {
      await second.stop();
      await deleteGroup(kafka, name);
    }

    assert.equal(await topicSize(kafka, [deadLetterTopic(topic)]), 1, 'the invalid message is dead-lettered once');
    assert.deepEqual(handled, [held.eventId, later.eventId]);
    assert.deepEqual(
      (await appliedRows(db, schema, name)).map((row) => row.event_id),
      [held.eventId, later.eventId],
    );
  });

  it('passes over the event types it does not handle: no handler call, no transaction, no inbox row', async () => {
    const { schema, service } = await fixture();
    const name = uniqueName('selective');
    const handled: string[] = [];
    const definition: ConsumerDefinition = {
      name,
      schema,
      handledTypes: new Set(['RunCreated']),
      handle: async (tx, event) => {
        handled.push(event.type);
        await recordApplied(tx, schema, name, event);
      },
    };
    const refuse = async () => assert.fail('nothing is dead-lettered');
    const created = envelope(service, 'RunCreated', {});
    assert.equal(await handleDelivered(db, definition, created, refuse, logger), 'processed');
    assert.equal(
      await handleDelivered(db, definition, envelope(service, 'RunDataLogged', {}), refuse, logger),
      'passed-over',
    );
    assert.deepEqual(handled, ['RunCreated']);
    const { rows } = await db.query<{ event_id: string }>(`SELECT event_id FROM ${schema}.inbox WHERE consumer = $1`, [
      name,
    ]);
    assert.deepEqual(
      rows.map((row) => row.event_id),
      [created.eventId],
    );
  });

  it('reads messages other than events with its own reader: deduped by the id it names, invalid ones dead-lettered', async () => {
    const { schema } = await fixture();
    interface Order {
      orderId: string;
      type: string;
    }
    const handled: string[] = [];
    const letters: DeadLetter[] = [];
    const definition: ConsumerDefinition<Order> = {
      name: uniqueName('orders'),
      schema,
      read: {
        parse(message) {
          const order = message as Partial<Order> | null;
          if (typeof order?.orderId !== 'string') throw new InvalidEnvelopeError(['orderId: is required']);
          return order as Order;
        },
        idOf: (order) => order.orderId,
      },
      handle: async (_tx, order) => {
        handled.push(order.orderId);
      },
    };
    const sink = async (letter: DeadLetter) => {
      letters.push(letter);
    };
    const order = { orderId: randomUUID(), type: 'PlaceOrder' };
    assert.equal(await handleDelivered(db, definition, order, sink, logger), 'processed');
    assert.equal(await handleDelivered(db, definition, { ...order }, sink, logger), 'duplicate');
    assert.equal(await handleDelivered(db, definition, { type: 'PlaceOrder' }, sink, logger), 'dead-lettered');
    assert.deepEqual(handled, [order.orderId]);
    assert.deepEqual(
      letters.map((letter) => [letter.reason, letter.error]),
      [['invalid', 'Invalid event envelope: orderId: is required']],
    );
  });

  it('keeps installations in their own namespaces apart on one broker: topics and consumer groups', async () => {
    const first = await fixture();
    const second = await bed.fresh();
    const service = first.service;
    const namespaces = [uniqueName('install_a'), uniqueName('install_b')];
    const stores = [createStore(db, first.schema, service), createStore(db, second.schema, service)];
    await appendTo(stores[0], 'run', 'run-a', 2);
    await appendTo(stores[1], 'run', 'run-b', 3);
    for (const [i, namespace] of namespaces.entries()) {
      const publisher = new KafkaEventPublisher({
        cluster: infra.kafka,
        service,
        streamTypes: ['run'],
        namespace,
        logger,
      });
      const relay = new OutboxRelay(stores[i], publisher, { logger });
      await waitFor('publishing', async () => {
        await relay.drain();
        return (await relay.lag()) === 0;
      });
      await publisher.close();
    }

    const name = uniqueName('projector');
    const schemas = [first.schema, second.schema];
    for (const [i, namespace] of namespaces.entries()) {
      const topic = `${namespace}.${first.topic}`;
      const consumer = new KafkaEventConsumer(
        db,
        { name, schema: schemas[i], handle: (tx, event) => recordApplied(tx, schemas[i], name, event) },
        { cluster: infra.kafka, topics: [first.topic], namespace, logger },
      );
      await consumer.start();
      try {
        await waitFor(`${namespace} to read its topic`, () => groupCaughtUp(kafka, `${namespace}.${name}`, [topic]));
      } finally {
        await consumer.stop();
        await deleteGroup(kafka, `${namespace}.${name}`);
      }
    }

    const streamsApplied = async (schema: string) => (await appliedRows(db, schema, name)).map((row) => row.stream_id);
    assert.deepEqual(await streamsApplied(first.schema), ['run-a', 'run-a']);
    assert.deepEqual(await streamsApplied(second.schema), ['run-b', 'run-b', 'run-b']);
    const admin = kafka.admin();
    await admin.connect();
    try {
      assert.ok(!(await admin.listTopics()).includes(first.topic), 'no topic outside the namespaces');
    } finally {
      await admin.disconnect();
    }
  });

  for (const batchable of [true, false]) {
    it(`takes a batch ${batchable ? 'in one transaction when batchable' : 'in one transaction per message otherwise'}: each new event applied once, in order, duplicates and repeats skipped`, async () => {
      const { schema, service } = await fixture();
      const name = uniqueName('batched');
      const events = [1, 2, 3, 4].map((n) => envelope(service, 'Noted', { n }));
      const told: string[] = [];
      const transactions = new Set<number>();
      const definition: ConsumerDefinition = {
        name,
        schema,
        batchable,
        handle: async (tx, event) => {
          const { rows } = await tx.query<{ xid: string }>('SELECT txid_current()::text AS xid');
          transactions.add(Number(rows[0].xid));
          await recordApplied(tx, schema, name, event);
        },
        onHandled: (event) => told.push(event.eventId),
      };
      const refuse = async () => assert.fail('nothing is dead-lettered');
      assert.equal(await handleDelivered(db, definition, events[0], refuse, logger), 'processed');
      const delivered = [events[0], events[1], events[2], events[1], events[3]].map((message) => ({
        message: JSON.parse(JSON.stringify(message)) as unknown,
        deadLetter: refuse,
      }));
      const before = transactions.size;

      await handleDeliveredBatch(db, definition, delivered, logger);

      assert.deepEqual(
        (await appliedRows(db, schema, name)).map((row) => row.event_id),
        events.map((event) => event.eventId),
      );
      assert.equal(transactions.size - before, batchable ? 1 : 3, 'transactions for the three new events');
      assert.deepEqual(
        told,
        events.map((event) => event.eventId),
      );
    });
  }

  it("hands a batch's new messages to handleAll at once, and each to handle on its own when handleAll throws", async () => {
    const { schema, service } = await fixture();
    const name = uniqueName('handle-all');
    const events = [1, 2, 3].map((n) => envelope(service, 'Noted', { n }));
    const calls: string[][] = [];
    let failAll = false;
    const definition: ConsumerDefinition = {
      name,
      schema,
      batchable: true,
      handle: (tx, event) => recordApplied(tx, schema, name, event),
      handleAll: async (tx, batch) => {
        calls.push(batch.map((event) => event.eventId));
        for (const event of batch) await recordApplied(tx, schema, name, event);
        if (failAll) throw new Error('set-based write failed');
      },
    };
    const refuse = async () => assert.fail('nothing is dead-lettered');
    const deliver = (messages: EventEnvelope[]) =>
      handleDeliveredBatch(
        db,
        definition,
        messages.map((message) => ({ message: JSON.parse(JSON.stringify(message)) as unknown, deadLetter: refuse })),
        logger,
      );

    await deliver([events[0], events[1], events[0]]);
    failAll = true;
    await deliver([events[1], events[2], events[0], events[2]]);

    assert.deepEqual(calls, [[events[0].eventId, events[1].eventId], [events[2].eventId]]);
    assert.deepEqual(
      (await appliedRows(db, schema, name)).map((row) => row.event_id),
      events.map((event) => event.eventId),
    );
  });

  it('given a handler that fails inside a batch, then the others are applied once and it is tried maxAttempts times in all', async () => {
    const { schema, service } = await fixture();
    const name = uniqueName('batch-failure');
    const events = [
      envelope(service, 'Noted', { n: 1 }),
      envelope(service, 'Boom', {}),
      envelope(service, 'Noted', { n: 2 }),
    ];
    let boomAttempts = 0;
    const letters: DeadLetter[] = [];
    const definition: ConsumerDefinition = {
      name,
      schema,
      batchable: true,
      maxAttempts: 2,
      retryDelayMs: 1,
      handle: async (tx, event) => {
        await recordApplied(tx, schema, name, event);
        if (event.type === 'Boom') {
          boomAttempts++;
          throw new Error('boom');
        }
      },
    };
    await handleDeliveredBatch(
      db,
      definition,
      events.map((message) => ({ message, deadLetter: async (letter: DeadLetter) => void letters.push(letter) })),
      logger,
    );

    assert.deepEqual(
      (await appliedRows(db, schema, name)).map((row) => row.event_id),
      [events[0].eventId, events[2].eventId],
    );
    assert.equal(boomAttempts, 2);
    assert.deepEqual(
      letters.map((letter) => [letter.reason, letter.attempts, letter.error]),
      [['failed', 2, 'boom']],
    );
  });
});

function envelope(producer: string, type: string, data: unknown): EventEnvelope {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    streamId: 'run-1',
    streamType: 'run',
    streamPosition: 1,
    globalPosition: 1,
    occurredAt: new Date().toISOString(),
    producer,
    actor: { id: 'tester', kind: 'user', name: 'tester', authMethod: 'basic' },
    correlationId: randomUUID(),
    causationId: null,
    data,
  };
}
