import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { discrepancies } from './reconciliation';

describe('discrepancies between the store and the index', () => {
  it('finds objects stored but not recorded, recorded with another size, and recorded but gone', () => {
    const stored = [
      { path: 'r/a.bin', size: 10 },
      { path: 'r/new.bin', size: 5 },
      { path: 'r/replaced.bin', size: 7 },
    ];
    const recorded = [
      { path: 'r/a.bin', size: 10 },
      { path: 'r/replaced.bin', size: 6 },
      { path: 'r/gone.bin', size: 3 },
    ];
    assert.deepEqual(discrepancies(stored, recorded), {
      unrecorded: [
        { path: 'r/new.bin', size: 5 },
        { path: 'r/replaced.bin', size: 7 },
      ],
      vanished: ['r/gone.bin'],
    });
  });

  it('finds nothing when both agree, or both are empty', () => {
    const both = [{ path: 'r/a.bin', size: 0 }];
    assert.deepEqual(discrepancies(both, both), { unrecorded: [], vanished: [] });
    assert.deepEqual(discrepancies([], []), { unrecorded: [], vanished: [] });
  });
});
