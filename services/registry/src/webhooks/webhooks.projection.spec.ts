import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextSecrets } from './webhooks.projection';

const now = 1_700_000_000_000;
const current = { ciphertext: 'c-current', until: null };
const retiring = { ciphertext: 'c-retiring', until: now + 1000 };
const expired = { ciphertext: 'c-expired', until: now };

describe("a webhook's secrets after a change", () => {
  it('puts a new secret first and keeps the replaced one until the overlap ends', () =>
    assert.deepEqual(nextSecrets([current], { ciphertext: 'c-new', previousUntil: now + 5000 }, now), [
      { ciphertext: 'c-new', until: null },
      { ciphertext: 'c-current', until: now + 5000 },
    ]));

  it('drops secrets past their end on any change, and keeps the others as they are', () => {
    assert.deepEqual(nextSecrets([current, retiring, expired], null, now), [current, retiring]);
    assert.deepEqual(nextSecrets([current, expired], { ciphertext: 'c-new', previousUntil: now + 5000 }, now), [
      { ciphertext: 'c-new', until: null },
      { ciphertext: 'c-current', until: now + 5000 },
    ]);
  });

  it('keeps none when the secret is removed', () =>
    assert.deepEqual(nextSecrets([current, retiring], { ciphertext: null, previousUntil: null }, now), []));
});
