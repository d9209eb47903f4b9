import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import {
  contractMapper,
  contractValidators,
  derivedEventId,
  EventContract,
  eventContract,
  publish,
  topicRouter,
} from './contract';

const NotedV1 = eventContract({
  name: 'Noted',
  schemaVersion: 1,
  meaning: 'Something was noted.',
  data: z.object({
    id: z.string().describe('Id'),
    items: z.array(z.object({ n: z.int().describe('N') })).describe('Items'),
  }),
  example: { id: 'a', items: [{ n: 1 }] },
});
const NotedV2 = eventContract({
  name: 'Noted',
  schemaVersion: 2,
  meaning: 'Something was noted, with its author.',
  data: z.object({ id: z.string().describe('Id'), author: z.string().describe('Who noted it') }),
  example: { id: 'a', author: 'ada' },
});

type DomainEvent =
  | { type: 'Noted'; data: { id: string; items: { n: number; internal: boolean }[]; secret: string } }
  | { type: 'Forgotten'; data: { id: string } }
  | { type: 'Batched'; data: { id: string; items: { n: number; internal: boolean }[] } };

const toContract = contractMapper<DomainEvent>({
  Noted: (data) => publish(NotedV1, data),
  Forgotten: (data) => publish(NotedV2, { id: data.id, author: 'system' }),
  Batched: (data) => [publish(NotedV1, data), publish(NotedV2, { id: data.id, author: `${data.items.length} items` })],
});

describe('contractMapper (the publishers)', () => {
  it('given a domain event, then it leaves as its contract: type, version and only the declared fields, at any depth', () => {
    const envelope = {
      eventId: 'e1',
      type: 'Noted',
      schemaVersion: 7,
      streamId: 's1',
      data: { id: 'a', items: [{ n: 1, internal: true }], secret: 'kept inside' },
    };
    assert.deepEqual(toContract(envelope), [
      {
        eventId: 'e1',
        type: 'Noted',
        schemaVersion: 1,
        streamId: 's1',
        data: { id: 'a', items: [{ n: 1 }] },
      },
    ]);
  });

  it('given a domain event whose mapping builds another shape, then that shape is published', () => {
    const published = toContract({ type: 'Forgotten', schemaVersion: 1, data: { id: 'b' } });
    assert.deepEqual(published, [{ type: 'Noted', schemaVersion: 2, data: { id: 'b', author: 'system' } }]);
  });

  it('given a stored event that breaks its contract, then it goes out as stored, for consumers to dead-letter', () => {
    const stored = { id: 'a', items: [{ n: 1.5, internal: true }] };
    const [published] = toContract({ type: 'Noted', schemaVersion: 1, data: stored });
    assert.deepEqual(published, { type: 'Noted', schemaVersion: 1, data: stored });
    assert.deepEqual(contractValidators([NotedV1])['Noted'](published.data, published), [
      'items[0].n: must be an integer',
    ]);
  });

  it('given a domain event published as two, then the first keeps the stored id and the second gets one derived from it', () => {
    const envelope = { eventId: '2b1e4d0c-8a59-4f7e-9a3b-0c6d5e4f3a21', type: 'Batched', schemaVersion: 1 };
    const published = toContract({ ...envelope, data: { id: 'c', items: [{ n: 1, internal: false }] } });
    assert.deepEqual(
      published.map(({ eventId, type, schemaVersion, data }) => ({ eventId, type, schemaVersion, data })),
      [
        { eventId: envelope.eventId, type: 'Noted', schemaVersion: 1, data: { id: 'c', items: [{ n: 1 }] } },
        {
          eventId: derivedEventId(envelope.eventId, 'Noted'),
          type: 'Noted',
          schemaVersion: 2,
          data: { id: 'c', author: '1 items' },
        },
      ],
    );
    const again = toContract({ ...envelope, data: { id: 'c', items: [] } });
    assert.equal(again[1].eventId, published[1].eventId, 'republishing derives the same id');
  });

  it('derives version-5 UUIDs, distinct per stored event and per published type', () => {
    const id = derivedEventId('2b1e4d0c-8a59-4f7e-9a3b-0c6d5e4f3a21', 'Summary');
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(id, derivedEventId('2b1e4d0c-8a59-4f7e-9a3b-0c6d5e4f3a22', 'Summary'));
    assert.notEqual(id, derivedEventId('2b1e4d0c-8a59-4f7e-9a3b-0c6d5e4f3a21', 'Other'));
  });

  it('given an event type no mapping names, then it refuses to publish it', () => {
    assert.throws(
      () => toContract({ type: 'toString', schemaVersion: 1, data: {} }),
      /No contract publishes the domain event toString/,
    );
  });
});

describe('contractValidators (the consumers)', () => {
  const validators = contractValidators([NotedV1, NotedV2]);

  it('given two versions of one event, then each payload is checked against the contract of its own version', () => {
    assert.deepEqual(validators.Noted({ id: 'a', items: [] }, { schemaVersion: 1 }), []);
    assert.deepEqual(validators.Noted({ id: 'a', items: [] }, { schemaVersion: 2 }), ['author: is required']);
    assert.deepEqual(validators.Noted({ id: 'a', author: 'ada' }, { schemaVersion: 3 }), [
      'schemaVersion 3 of Noted is unknown (known: 1, 2)',
    ]);
  });
});

describe('topicRouter', () => {
  const SummarizedV1 = eventContract({
    name: 'Summarized',
    schemaVersion: 1,
    meaning: 'A summary of what was noted.',
    data: z.object({ id: z.string().describe('Id') }),
    example: { id: 'a' },
  });
  const topic = (name: string, streamType: string, events: EventContract[]) => ({
    name,
    producer: 'notes',
    streamType,
    meaning: 'm',
    key: 'k',
    events,
  });
  const topicOf = topicRouter('notes', [
    topic('notes.note.events.v1', 'note', [SummarizedV1]),
    topic('notes.note-items.events.v1', 'note', [NotedV1, NotedV2]),
  ]);

  it('sends each event to the topic of its stream type whose contract lists it', () => {
    assert.equal(topicOf({ streamType: 'note', type: 'Noted' }), 'notes.note-items.events.v1');
    assert.equal(topicOf({ streamType: 'note', type: 'Summarized' }), 'notes.note.events.v1');
  });

  it("sends an event no topic lists to its stream type's own topic", () => {
    assert.equal(topicOf({ streamType: 'note', type: 'Unlisted' }), 'notes.note.events.v1');
    assert.equal(topicOf({ streamType: 'tag', type: 'Noted' }), 'notes.tag.events.v1');
  });

  it('refuses topics that list one event of a stream type twice', () => {
    assert.throws(
      () => topicRouter('notes', [topic('a', 'note', [NotedV1]), topic('b', 'note', [NotedV2])]),
      /Noted of stream type note is listed by two topics: a and b/,
    );
  });
});
