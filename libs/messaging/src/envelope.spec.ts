import assert from 'node:assert/strict';
import { trackingRunEvent } from '@logbook/testing';
import { describe, it } from 'node:test';
import { InvalidEnvelopeError, parseEnvelope } from './consumer';

const delivered = (changes: Record<string, unknown>) => ({
  ...trackingRunEvent(
    'RunDataLogged',
    { runId: 'r1', metrics: [{ key: 'loss', value: 1, timestamp: 1, step: 0 }] },
    { streamId: 'run-1' },
  ),
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

  it('is refused for any field that breaks its checks, each problem named', () => {
    const broken: Array<[Record<string, unknown>, RegExp]> = [
      [{ eventId: undefined }, /eventId must be a UUID/],
      [{ eventId: 42 }, /eventId must be a UUID/],
      [{ type: '' }, /type should not be empty/],
      [{ type: 7 }, /type must be a string/],
      [{ schemaVersion: 0 }, /schemaVersion must not be less than 1/],
      [{ schemaVersion: 1.5 }, /schemaVersion must be an integer/],
      [{ schemaVersion: '1' }, /schemaVersion must be an integer/],
      [{ streamId: '' }, /streamId should not be empty/],
      [{ streamType: null }, /streamType/],
      [{ streamPosition: -1 }, /streamPosition must not be less than 1/],
      [{ globalPosition: undefined }, /globalPosition/],
      [{ occurredAt: 'yesterday' }, /occurredAt must be a valid ISO 8601 date string/],
      [{ occurredAt: 1764864000000 }, /occurredAt must be a valid ISO 8601 date string/],
      [{ producer: '' }, /producer should not be empty/],
      [{ correlationId: null }, /correlationId must be a string/],
      [{ causationId: 3 }, /causationId must be a string/],
      [{ traceparent: {} }, /traceparent must be a string/],
      [{ actor: undefined }, /actor should not be null or undefined/],
      [{ actor: 'ada' }, /actor/],
      [{ actor: { id: '', kind: 'user' } }, /actor\.id should not be empty/],
      [{ actor: { id: 'ada', kind: 'user', name: 5 } }, /actor\.name must be a string/],
      [{ actor: { id: 'ada', kind: 'user', authMethod: 'password' } }, /actor\.authMethod/],
    ];
    for (const [changes, problem] of broken) {
      assert.match(String(problemsOf(delivered(changes))), problem, JSON.stringify(changes));
    }
  });

  it('is taken with its optional fields absent or null', () => {
    for (const changes of [
      { causationId: undefined },
      { traceparent: undefined },
      { causationId: 'e1', traceparent: null },
    ]) {
      assert.deepEqual(problemsOf(delivered(changes)), [], JSON.stringify(changes));
    }
  });

  it('is refused for a bad field of its own, its actor included', () => {
    assert.match(String(problemsOf(delivered({ eventId: 'not-a-uuid' }))), /eventId must be a UUID/);
    assert.match(String(problemsOf(delivered({ actor: { id: 'x', kind: 'robot' } }))), /actor\.kind/);
  });
});
