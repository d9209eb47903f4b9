import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { InvalidEnvelopeError, parseEnvelope } from './consumer';

const delivered = (changes: Record<string, unknown>) => ({
  eventId: randomUUID(),
  type: 'RunDataLogged',
  schemaVersion: 1,
  streamId: 'run-1',
  streamType: 'run',
  streamPosition: 1,
  globalPosition: 1,
  occurredAt: new Date().toISOString(),
  producer: 'tracking',
  actor: { id: 'tester', kind: 'user', name: 'tester', authMethod: 'basic' },
  correlationId: randomUUID(),
  causationId: null,
  data: { runId: 'r1', metrics: [{ key: 'loss', value: 1, timestamp: 1, step: 0 }] },
  ...changes,
});

const problemsOf = (message: unknown) => {
  try {
    parseEnvelope(message);
    return [];
  } catch (error) {
    assert.ok(error instanceof InvalidEnvelopeError);
    return error.message;
  }
};

describe('an envelope as a transport delivers it', () => {
  it('is taken as delivered, its data untouched', () => {
    const message = delivered({});
    assert.equal(parseEnvelope(message), message);
  });

  it('published before actors had names, reads its actor as the actor it was', () => {
    const message = delivered({ actor: { id: 'artifacts', kind: 'service' } });
    const envelope = parseEnvelope(message);
    assert.deepEqual(envelope.actor, { id: 'artifacts', kind: 'system', name: 'artifacts', authMethod: 'none' });
    assert.equal(envelope.data, message.data);
  });

  it('is refused without data', () => {
    assert.match(String(problemsOf(delivered({ data: undefined }))), /data should not be null or undefined/);
    assert.match(String(problemsOf(delivered({ data: null }))), /data should not be null or undefined/);
  });

  it('is refused for a bad field of its own, its actor included', () => {
    assert.match(String(problemsOf(delivered({ eventId: 'not-a-uuid' }))), /eventId must be a UUID/);
    assert.match(String(problemsOf(delivered({ actor: { id: 'x', kind: 'robot' } }))), /actor\.kind/);
  });
});
