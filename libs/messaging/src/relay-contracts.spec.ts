import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventEnvelope } from '@logbook/eventstore';
import { OutboxRelay } from './relay';
import { appendTo, createStore, logger, messagingTestbed, RecordingPublisher, waitPublishable } from '@logbook/testing';

describe('OutboxRelay toContract: what leaves the service is the mapped event', () => {
  const bed = messagingTestbed('msg_relay_contract');

  /** A fresh store holding two publishable events of one run, and a publisher that records what it is given. */
  async function twoStoredEvents() {
    const { schema, service } = await bed.fresh();
    const store = createStore(bed.db, schema, service);
    const stored = await appendTo(store, 'run', 'run-1', 2);
    await waitPublishable(bed.db, schema, 2);
    return { store, stored, publisher: new RecordingPublisher() };
  }

  it('given a mapping, then the publisher receives each stored event as mapped, and the checkpoint moves past them', async () => {
    const { store, stored, publisher } = await twoStoredEvents();
    const toContract = (event: EventEnvelope): EventEnvelope[] => [
      {
        ...event,
        type: 'NotedPublicly',
        schemaVersion: 3,
        data: { n: (event.data as { n: number }).n },
      },
    ];
    const relay = new OutboxRelay(store, publisher, { logger, toContract });

    await relay.drain();

    assert.deepEqual(
      publisher.published.map((e) => [e.eventId, e.type, e.schemaVersion, e.data]),
      stored.map((e) => [e.eventId, 'NotedPublicly', 3, { n: (e.data as { n: number }).n }]),
    );
    assert.equal(await relay.lag(), 0);
  });

  it('given a mapping that publishes a stored event as two, then both go out, in order, and are checkpointed together', async () => {
    const { store, stored, publisher } = await twoStoredEvents();
    const toContract = (event: EventEnvelope): EventEnvelope[] => [
      event,
      { ...event, eventId: `${event.eventId}/summary`, type: 'Summarized' },
    ];
    const relay = new OutboxRelay(store, publisher, { logger, toContract });

    await relay.drain();

    assert.deepEqual(
      publisher.published.map((e) => [e.eventId, e.type]),
      stored.flatMap((e) => [
        [e.eventId, e.type],
        [`${e.eventId}/summary`, 'Summarized'],
      ]),
    );
    assert.equal(await relay.lag(), 0);
  });

  it('publishes what this process appended from memory, and what it did not (or no longer holds) from the log', async () => {
    const { schema, service } = await bed.fresh();
    const store = createStore(bed.db, schema, service);
    const here = await appendTo(store, 'run', 'run-1', 200);
    // Written by "another process": a store whose appends this relay does not hear of.
    const elsewhere = await appendTo(createStore(bed.db, schema, service), 'run', 'run-2', 2);
    const publisher = new RecordingPublisher();
    const relay = new OutboxRelay(store, publisher, { logger });
    here.push(...(await appendTo(store, 'run', 'run-1', 3)));
    await waitPublishable(bed.db, schema, 205);
    // Payloads changed behind the relay's back tell where it took each one from.
    await bed.db.query(`UPDATE ${schema}.events SET data = jsonb_build_object('from', 'log')`);

    await relay.drain();

    const from = (event: EventEnvelope) => ((event.data as { from?: string }).from === 'log' ? 'log' : 'memory');
    const published = new Map(publisher.published.map((event) => [event.eventId, from(event)]));
    assert.equal(published.size, 205, 'every event once');
    assert.deepEqual(
      [...here.slice(0, 200), ...elsewhere].map((event) => published.get(event.eventId)),
      Array(202).fill('log'),
      'appended before the relay existed, or elsewhere',
    );
    assert.deepEqual(
      here.slice(200).map((event) => published.get(event.eventId)),
      ['memory', 'memory', 'memory'],
    );
    assert.deepEqual(
      publisher.published.filter((event) => from(event) === 'memory').map((event) => event.data),
      here.slice(200).map((event) => event.data),
    );
  });

  it('holds a bounded number of appended events: the rest are read back from the log', async () => {
    const { schema, service } = await bed.fresh();
    const store = createStore(bed.db, schema, service);
    const publisher = new RecordingPublisher();
    const relay = new OutboxRelay(store, publisher, { logger });
    const appended = [];
    for (let i = 0; i < 4; i++) appended.push(...(await appendTo(store, 'run', `run-${i}`, 100)));
    await waitPublishable(bed.db, schema, 400);
    await bed.db.query(`UPDATE ${schema}.events SET data = jsonb_build_object('from', 'log')`);

    await relay.drain();

    const fromLog = publisher.published.filter((event) => (event.data as { from?: string }).from === 'log');
    assert.equal(publisher.published.length, 400);
    assert.ok(fromLog.length >= 400 - 128 && fromLog.length < 400, `${fromLog.length} read back from the log`);
    assert.deepEqual(
      publisher.published.map((event) => event.eventId),
      appended.map((event) => event.eventId),
    );
  });
});
