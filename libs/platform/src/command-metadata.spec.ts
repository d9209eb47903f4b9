import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storedActor, systemActor } from './command-metadata';

describe('an actor as stored', () => {
  it('reads an actor recorded with its name and how it authenticated as it was', () => {
    const alice = { id: '7', kind: 'user', name: 'alice', authMethod: 'oidc' };
    assert.deepEqual(storedActor(alice), alice);
  });

  it('reads an actor recorded before actors had names: its id names it, and kind service meant Logbook itself', () => {
    assert.deepEqual(storedActor({ id: 'artifacts', kind: 'service' }), systemActor('artifacts'));
    assert.deepEqual(storedActor({ id: 'anonymous', kind: 'anonymous' }), {
      id: 'anonymous',
      kind: 'anonymous',
      name: 'anonymous',
      authMethod: 'none',
    });
  });
});
