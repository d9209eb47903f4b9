import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventEnvelope } from '@logbook/eventstore';
import { OutboxRelay } from './relay';
import { appendTo, createStore, logger, messagingTestbed, RecordingPublisher, waitPublishable } from '@logbook/testing';

describe('OutboxRelay toContract: what leaves the service is the mapped event', () => {
  const bed = messagingTestbed('msg_relay_contract');

  it('given a mapping, then the publisher receives each stored event as mapped, and the checkpoint moves past them', async () => {
    const { schema, service } = await bed.fresh();
    const store = createStore(bed.db, schema, service);
    const stored = await appendTo(store, 'run', 'run-1', 2);
    await waitPublishable(bed.db, schema, 2);
    const publisher = new RecordingPublisher();
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
    const { schema, service } = await bed.fresh();
    const store = createStore(bed.db, schema, service);
    const stored = await appendTo(store, 'run', 'run-1', 2);
    await waitPublishable(bed.db, schema, 2);
    const publisher = new RecordingPublisher();
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
});
