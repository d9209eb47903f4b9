import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEnvelope } from '@logbook/eventstore';
import { Database, PgliteDatabase, PostgresDatabase } from '@logbook/platform';
import {
  dropSchema,
  testInfra,
  uniqueSchema,
  appendTo,
  appliedRows,
  createSchema,
  createStore,
  idsByStream,
  logger,
  recordApplied,
  uniqueName,
  waitFor,
  waitPublishable,
} from '@logbook/testing';
import { DeadLetter } from './consumer';
import { InProcessEventBus } from './publisher';
import { OutboxRelay } from './relay';
import { eventTopic } from './topics';

/** The same scenarios against the test server and against PGlite (the embedded shape's database). */
for (const kind of ['postgres', 'pglite'] as const) {
  describe(`InProcessEventBus on ${kind}`, () => {
    let db: Database;
    const schemas: string[] = [];

    before(async () => {
      db = kind === 'postgres' ? new PostgresDatabase(testInfra().databaseUrl) : await PgliteDatabase.open(undefined);
    });
    after(async () => {
      if (db instanceof PostgresDatabase) for (const schema of schemas) await dropSchema(db, schema);
      await db.close();
    });

    async function fixture() {
      const schema = uniqueSchema('msg_bus');
      schemas.push(schema);
      await createSchema(db, schema);
      const service = uniqueName('svc');
      const letters: DeadLetter[] = [];
      const bus = new InProcessEventBus(db, { deadLetters: async (letter) => void letters.push(letter), logger });
      const store = createStore(db, schema, service);
      const relay = new OutboxRelay(store, bus, { batchSize: 5, logger });
      const drain = () =>
        waitFor('the relay to catch up', async () => {
          await relay.drain();
          return (await relay.lag()) === 0;
        });
      return { schema, service, bus, store, relay, drain, letters };
    }

    it('applies every event once per subscriber, in stream order, before publish resolves', async () => {
      const { schema, service, bus, store, drain } = await fixture();
      const seen = { all: [] as EventEnvelope[], experiments: [] as EventEnvelope[] };
      bus.subscribe({
        name: 'all',
        schema,
        handle: async (tx, e) => {
          seen.all.push(e);
          await recordApplied(tx, schema, 'all', e);
        },
      });
      bus.subscribe({
        name: 'experiments',
        schema,
        topics: [eventTopic(service, 'experiment')],
        handle: async (tx, e) => {
          seen.experiments.push(e);
          await recordApplied(tx, schema, 'experiments', e);
        },
      });
      for (let round = 0; round < 3; round++) {
        await Promise.all([
          appendTo(store, 'run', 'run-1', 1 + round),
          appendTo(store, 'run', 'run-2', 2),
          appendTo(store, 'experiment', 'exp-1', 3 - round),
        ]);
      }
      await drain();

      const committed = await store.readAll(0, 1000);
      const applied = await appliedRows(db, schema, 'all');
      assert.equal(applied.length, committed.length);
      assert.deepEqual(idsByStream(seen.all), idsByStream(committed));
      assert.deepEqual(
        idsByStream(applied.map((r) => ({ streamId: r.stream_id, eventId: r.event_id }))),
        idsByStream(committed),
      );
      assert.deepEqual(
        seen.experiments.map((e) => e.eventId),
        committed.filter((e) => e.streamType === 'experiment').map((e) => e.eventId),
      );

      // A relay that died before its checkpoint publishes again: the inboxes absorb it.
      await bus.publish(committed);
      assert.equal((await appliedRows(db, schema, 'all')).length, committed.length);
      assert.equal((await appliedRows(db, schema, 'experiments')).length, seen.experiments.length);
    });

    it('tells onHandled of each event once its effects committed, and not of duplicates or dead letters', async () => {
      const { schema, bus, store, drain } = await fixture();
      const told: string[] = [];
      const visibleWhenTold: Promise<boolean>[] = [];
      bus.subscribe({
        name: 'told',
        schema,
        maxAttempts: 1,
        handle: async (tx, e) => {
          await recordApplied(tx, schema, 'told', e);
          if (e.type === 'Boom') throw new Error('boom');
        },
        onHandled: (e) => {
          told.push(e.eventId);
          visibleWhenTold.push(
            appliedRows(db, schema, 'told').then((rows) => rows.some((row) => row.event_id === e.eventId)),
          );
        },
      });
      const handled = await appendTo(store, 'run', 'run-1', 2);
      await appendTo(store, 'run', 'run-1', 1, 'Boom');
      await drain();
      await bus.publish(handled);

      assert.deepEqual(
        told,
        handled.map((e) => e.eventId),
      );
      assert.deepEqual(await Promise.all(visibleWhenTold), [true, true]);
    });

    it('retries a handler that threw mid-handle; the effect is applied once', async () => {
      const { schema, bus, store, drain } = await fixture();
      const attempts = new Map<string, number>();
      bus.subscribe({
        name: 'flaky',
        schema,
        retryDelayMs: 1,
        handle: async (tx, e) => {
          await recordApplied(tx, schema, 'flaky', e);
          attempts.set(e.eventId, (attempts.get(e.eventId) ?? 0) + 1);
          if (attempts.get(e.eventId) === 1) throw new Error('crashed after writing its row');
        },
      });
      const appended = await appendTo(store, 'run', 'run-1', 4);
      await drain();
      const applied = await appliedRows(db, schema, 'flaky');
      assert.deepEqual(
        applied.map((r) => r.event_id),
        appended.map((e) => e.eventId),
      );
      assert.deepEqual([...attempts.values()], [2, 2, 2, 2]);
    });

    it('does not count an event as handled when the handler swallowed an SQL error', async () => {
      const { schema, bus, store, drain } = await fixture();
      let attempts = 0;
      bus.subscribe({
        name: 'sloppy',
        schema,
        retryDelayMs: 1,
        handle: async (tx, e) => {
          await recordApplied(tx, schema, 'sloppy', e);
          if (++attempts === 1) await tx.query('SELECT 1/0').catch(() => undefined);
        },
      });
      const [event] = await appendTo(store, 'run', 'run-1');
      await drain();
      assert.deepEqual(
        (await appliedRows(db, schema, 'sloppy')).map((r) => r.event_id),
        [event.eventId],
      );
      assert.equal(attempts, 2);
    });

    it('dead-letters invalid envelopes and a handler that always fails, and goes on', async () => {
      const { schema, bus, store, drain, letters } = await fixture();
      bus.subscribe({
        name: 'picky',
        schema,
        maxAttempts: 2,
        retryDelayMs: 1,
        handle: async (tx, e) => {
          await recordApplied(tx, schema, 'picky', e);
          if (e.type === 'Boom') throw new Error('boom');
        },
      });
      const [first] = await appendTo(store, 'run', 'run-1');
      const [boom] = await appendTo(store, 'run', 'run-1', 1, 'Boom');
      const [last] = await appendTo(store, 'run', 'run-1');
      await drain();
      await bus.publish([{ ...last, eventId: 'not-a-uuid' }]);

      const applied = await appliedRows(db, schema, 'picky');
      assert.deepEqual(
        applied.map((r) => r.event_id),
        [first.eventId, last.eventId],
      );
      assert.deepEqual(
        letters.map((l) => [l.reason, l.attempts, (l.message as EventEnvelope).eventId]),
        [
          ['failed', 2, boom.eventId],
          ['invalid', 0, 'not-a-uuid'],
        ],
      );
      assert.match(letters[0].error, /boom/);
      assert.match(letters[1].error, /eventId must be a UUID/);
    });

    it('fails the publish when a subscriber cannot reach its database; the relay delivers again', async () => {
      const { schema, store } = await fixture();
      let failures = 1;
      const flakyDb: Database = {
        kind: db.kind,
        query: <Row>(sql: string, params?: unknown[]) => db.query<Row>(sql, params),
        transaction: (work) => (failures-- > 0 ? Promise.reject(new Error('connection reset')) : db.transaction(work)),
        dataSource: () => db.dataSource(),
        close: async () => undefined,
      };
      const bus = new InProcessEventBus(flakyDb, { logger });
      bus.subscribe({ name: 'projector', schema, handle: (tx, e) => recordApplied(tx, schema, 'projector', e) });
      const relayToBus = new OutboxRelay(store, bus, { name: 'bus-relay', logger });
      const appended = await appendTo(store, 'run', 'run-1', 3);
      await waitPublishable(db, schema, 3);
      await assert.rejects(relayToBus.drain(), /connection reset/);
      assert.equal(await relayToBus.lag(), 3, 'the checkpoint did not move');
      await waitFor('the relay to catch up', async () => {
        await relayToBus.drain();
        return (await relayToBus.lag()) === 0;
      });
      const applied = await appliedRows(db, schema, 'projector');
      assert.deepEqual(
        applied.map((r) => r.event_id),
        appended.map((e) => e.eventId),
      );
    });

    it('lets timers and I/O run between the batches of a catch-up', async () => {
      const { schema, bus, store, relay } = await fixture();
      let handled = 0;
      bus.subscribe({
        name: 'counter',
        schema,
        handle: async (tx, e) => {
          handled++;
          await recordApplied(tx, schema, 'counter', e);
        },
      });
      await appendTo(store, 'run', 'run-1', 30);
      await waitPublishable(db, schema, 30);
      relay.start();
      // A request arriving while the relay catches up: served after one batch, not after the whole backlog.
      const handledWhenServed = await new Promise<number>((resolve) => setImmediate(() => resolve(handled)));
      await waitFor('the relay to catch up', async () => (await relay.lag()) === 0);
      await relay.stop();
      assert.equal(handled, 30);
      assert.ok(handledWhenServed < 30, `the event loop turned only after ${handledWhenServed} of 30 events`);
    });
  });
}
