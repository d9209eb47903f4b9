import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignInThrottle } from './sign-in-throttle';

const policy = { freeFailures: 3, maxWaitMs: 8000, capacity: 100 };

describe('failed sign-ins', () => {
  it('given a few failures, costs nothing; beyond them, waits double up to the cap', () => {
    const throttle = new SignInThrottle(policy);
    const waits: number[] = [];
    for (let attempt = 0; attempt < 8; attempt++) {
      throttle.failed('alice', 0);
      waits.push(throttle.waitMs('alice', 0));
    }
    assert.deepEqual(waits, [0, 0, 0, 1000, 2000, 4000, 8000, 8000]);
    assert.equal(throttle.waitMs('alice', 8000), 0, 'the wait passes');
    assert.equal(throttle.waitMs('bob', 0), 0, 'other keys are not slowed');
  });

  it('given a success, starts over; given a quiet quarter of an hour, forgets', () => {
    const throttle = new SignInThrottle(policy);
    for (let attempt = 0; attempt < 5; attempt++) throttle.failed('alice', 0);
    throttle.succeeded('alice');
    assert.equal(throttle.waitMs('alice', 0), 0);
    for (let attempt = 0; attempt < 5; attempt++) throttle.failed('bob', 0);
    assert.equal(throttle.waitMs('bob', 15 * 60_000 + 1), 0);
    throttle.failed('bob', 15 * 60_000 + 1);
    assert.equal(throttle.waitMs('bob', 15 * 60_000 + 1), 0, 'counted afresh');
  });

  it('remembers at most its capacity of keys, forgetting the least recently failed', () => {
    const throttle = new SignInThrottle({ ...policy, freeFailures: 0, capacity: 2 });
    throttle.failed('a', 0);
    throttle.failed('b', 0);
    throttle.failed('a', 0);
    throttle.failed('c', 0);
    assert.equal(throttle.waitMs('b', 0), 0, 'b was forgotten');
    assert.ok(throttle.waitMs('a', 0) > 0 && throttle.waitMs('c', 0) > 0);
  });
});
