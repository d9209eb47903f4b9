import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAge } from './gc';

describe('gc --older-than', () => {
  it("reads MLflow's #d#h#m#s durations", () => {
    assert.equal(parseAge('1d'), 86_400_000);
    assert.equal(parseAge('1d2h3m4s'), ((26 * 60 + 3) * 60 + 4) * 1000);
    assert.equal(parseAge('90s'), 90_000);
  });

  it('refuses anything else', () => {
    for (const bad of ['', '1w', '2h1d', '-1d', '1.5h']) assert.throws(() => parseAge(bad), /--older-than/);
  });
});
