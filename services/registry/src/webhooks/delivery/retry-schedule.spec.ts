import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_RETRY_AFTER_MS, parseRetryAfter, retryDelayMs } from './retry-schedule';

const settings = { backoffBaseMs: 1000, backoffMaxMs: 60_000 };
const noJitter = () => 0;

describe('when a failed delivery is tried again', () => {
  it('doubles the wait after each failure from the base, up to the maximum', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => retryDelayMs(n, settings, null, noJitter));
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    assert.equal(retryDelayMs(1_000_000, settings, null, noJitter), 60_000);
  });

  it('adds up to a second of jitter', () => {
    assert.equal(
      retryDelayMs(1, settings, null, () => 0.5),
      1500,
    );
    assert.equal(
      retryDelayMs(7, settings, null, () => 0.999),
      60_999,
    );
    for (let i = 0; i < 100; i++) {
      const delay = retryDelayMs(3, settings, null);
      assert.ok(delay >= 4000 && delay <= 5000, String(delay));
    }
  });

  it("waits at least as long as the receiver's Retry-After asks, at most an hour", () => {
    assert.equal(retryDelayMs(1, settings, 120_000, noJitter), 120_000);
    assert.equal(retryDelayMs(7, settings, 5000, noJitter), 60_000);
    assert.equal(retryDelayMs(1, settings, 0, noJitter), 1000);
    assert.equal(retryDelayMs(1, settings, 86_400_000, noJitter), MAX_RETRY_AFTER_MS);
  });

  it('reads Retry-After as seconds or as an HTTP date, in milliseconds from now', () => {
    const now = Date.parse('2026-12-06T20:00:00Z');
    assert.equal(parseRetryAfter(undefined, now), null);
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('Sun, 06 Dec 2026 20:01:30 GMT', now), 90_000);
    assert.equal(parseRetryAfter('Sun, 06 Dec 2026 19:00:00 GMT', now), 0);
    for (const junk of ['', '-5', '1.5', 'soon', '12abc']) assert.equal(parseRetryAfter(junk, now), null, junk);
  });
});
