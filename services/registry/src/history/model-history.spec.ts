import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventEnvelope } from '@logbook/eventstore';
import { ANONYMOUS } from '@logbook/platform';
import { RegisteredModelAliasSet } from '../registered-models/registered-model.events';
import { historyEntry } from './model-history';

const now = 1_700_000_000_000;

function envelope(event: RegisteredModelAliasSet, actor: EventEnvelope['actor']): EventEnvelope {
  return {
    eventId: '6f1c1a52-6a3e-4d59-9f0e-2f4a6d1f2b11',
    type: event.type,
    schemaVersion: 1,
    streamId: 'registered-model-rm1',
    streamType: 'registered-model',
    streamPosition: 7,
    globalPosition: 42,
    occurredAt: new Date(now).toISOString(),
    producer: 'registry',
    actor,
    correlationId: 'req-9',
    causationId: null,
    data: event.data,
  };
}

describe('a change as the history lists it', () => {
  it('given an alias moved by a user, names who moved it, when, in which request, and the version it left', () => {
    const moved: RegisteredModelAliasSet = {
      type: 'RegisteredModelAliasSet',
      data: { registeredModelId: 'rm1', name: 'fraud', alias: 'champion', version: 3, previousVersion: 2, time: now },
    };
    assert.deepEqual(historyEntry(envelope(moved, { id: 'ana', kind: 'user', name: 'ana', authMethod: 'basic' })), {
      event_id: '6f1c1a52-6a3e-4d59-9f0e-2f4a6d1f2b11',
      type: 'RegisteredModelAliasSet',
      timestamp: now,
      actor: { id: 'ana', kind: 'user', name: 'ana', auth_method: 'basic' },
      request_id: 'req-9',
      data: {
        registered_model_id: 'rm1',
        name: 'fraud',
        alias: 'champion',
        version: 3,
        previous_version: 2,
        time: now,
      },
    });
  });

  it('given a new alias, keeps its absent previous version as null rather than dropping it', () => {
    const set: RegisteredModelAliasSet = {
      type: 'RegisteredModelAliasSet',
      data: {
        registeredModelId: 'rm1',
        name: 'fraud',
        alias: 'champion',
        version: 1,
        previousVersion: null,
        time: now,
      },
    };
    const entry = historyEntry(envelope(set, ANONYMOUS));
    assert.equal(entry.data.previous_version, null);
    assert.deepEqual(entry.actor, { id: 'anonymous', kind: 'anonymous', name: 'anonymous', auth_method: 'none' });
  });
});
