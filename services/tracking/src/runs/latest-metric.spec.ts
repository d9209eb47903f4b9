import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { latestPerKey } from './latest-metric';

const point = (key: string, step: number, timestamp: number, value: number | 'NaN' | 'Infinity' | '-Infinity') => ({
  key,
  step,
  timestamp,
  value,
});

describe('the latest point of each metric in a batch', () => {
  it('is the highest step, whatever the order logged', () => {
    const batch = [point('loss', 2, 20, 0.2), point('loss', 3, 10, 0.9), point('loss', 1, 30, 0.1)];
    assert.deepEqual(latestPerKey(batch), [point('loss', 3, 10, 0.9)]);
  });

  it('breaks a tie on step by the latest timestamp, then the highest value', () => {
    assert.deepEqual(latestPerKey([point('acc', 5, 1, 0.9), point('acc', 5, 2, 0.1)]), [point('acc', 5, 2, 0.1)]);
    assert.deepEqual(latestPerKey([point('acc', 5, 2, 0.1), point('acc', 5, 2, 0.7)]), [point('acc', 5, 2, 0.7)]);
  });

  it('orders NaN above every number, infinity included, as the stored comparison in Postgres does', () => {
    const batch = [point('x', 1, 1, 'NaN'), point('x', 1, 1, 'Infinity'), point('x', 1, 1, 3)];
    assert.deepEqual(latestPerKey(batch), [point('x', 1, 1, 'NaN')]);
    assert.deepEqual(latestPerKey([point('y', 1, 1, '-Infinity'), point('y', 1, 1, -5)]), [point('y', 1, 1, -5)]);
  });

  it('keeps one point per key', () => {
    const batch = [point('a', 1, 1, 1), point('b', 1, 1, 1), point('a', 2, 1, 1)];
    assert.deepEqual(
      latestPerKey(batch).map((p) => `${p.key}@${p.step}`),
      ['a@2', 'b@1'],
    );
  });
});
