import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { contractMapper, contractValidators, eventContract, publish } from './contract';

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
  | { type: 'Forgotten'; data: { id: string } };

const toContract = contractMapper<DomainEvent>({
  Noted: (data) => publish(NotedV1, data),
  Forgotten: (data) => publish(NotedV2, { id: data.id, author: 'system' }),
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
    assert.deepEqual(toContract(envelope), {
      eventId: 'e1',
      type: 'Noted',
      schemaVersion: 1,
      streamId: 's1',
      data: { id: 'a', items: [{ n: 1 }] },
    });
  });

  it('given a domain event whose mapping builds another shape, then that shape is published', () => {
    const published = toContract({ type: 'Forgotten', schemaVersion: 1, data: { id: 'b' } });
    assert.deepEqual(published, { type: 'Noted', schemaVersion: 2, data: { id: 'b', author: 'system' } });
  });

  it('given a stored event that breaks its contract, then it goes out as stored, for consumers to dead-letter', () => {
    const stored = { id: 'a', items: [{ n: 1.5, internal: true }] };
    const published = toContract({ type: 'Noted', schemaVersion: 1, data: stored });
    assert.deepEqual(published, { type: 'Noted', schemaVersion: 1, data: stored });
    assert.deepEqual(contractValidators([NotedV1])['Noted'](published.data, published), [
      'items[0].n: must be an integer',
    ]);
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
