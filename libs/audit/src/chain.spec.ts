import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuditContent, AuditEntry, chainEntries, ChainVerifier, entryHash, GENESIS_HASH } from './chain';

const content = (n: number): Omit<AuditContent, 'seq'> => ({
  recorded_at: new Date(1_800_000_000_000 + n).toISOString(),
  event_id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  event_type: 'ModelVersionStageTransitioned',
  stream_type: 'registered-model',
  stream_id: 'm-1',
  target: { name: 'fraud', version: n },
  actor: { id: 'u1', name: 'alice', kind: 'user', auth_method: 'basic' },
  request_id: `req-${n}`,
  client: { address: '10.0.0.1', user_agent: 'mlflow-python-client' },
  before: { stages: {} },
  after: { stages: { [n]: 'Production' } },
  decision: null,
});

const verify = (entries: AuditEntry[], head?: { seq: number; hash: string }) => {
  const verifier = new ChainVerifier();
  for (const entry of entries) if (!verifier.check(entry)) break;
  if (head) verifier.checkEnd(head);
  return verifier.result();
};

describe('the audit hash chain', () => {
  it('links each row to the one before it, from the genesis hash', () => {
    const entries = chainEntries({ seq: 0, hash: GENESIS_HASH }, [content(1), content(2), content(3)]);
    assert.deepEqual(
      entries.map((e) => e.seq),
      [1, 2, 3],
    );
    assert.equal(entries[0].prev_hash, GENESIS_HASH);
    assert.equal(entries[1].prev_hash, entries[0].hash);
    const { prev_hash, hash, ...first } = entries[0];
    assert.equal(hash, entryHash(prev_hash, first));
    assert.match(hash, /^[0-9a-f]{64}$/);
    const more = chainEntries({ seq: 3, hash: entries[2].hash }, [content(4)]);
    assert.deepEqual(verify([...entries, ...more], { seq: 4, hash: more[0].hash }), {
      valid: true,
      rows_checked: 4,
      first_broken: null,
    });
  });

  it('names the first row whose content changed', () => {
    const entries = chainEntries({ seq: 0, hash: GENESIS_HASH }, [content(1), content(2), content(3)]);
    entries[1] = { ...entries[1], actor: { ...entries[1].actor, name: 'mallory' } };
    const result = verify(entries);
    assert.equal(result.valid, false);
    assert.equal(result.first_broken?.seq, 2);
    assert.match(result.first_broken!.reason, /altered/);
  });

  it('names a rewritten row whose hash was recomputed by the link the next row keeps', () => {
    const entries = chainEntries({ seq: 0, hash: GENESIS_HASH }, [content(1), content(2), content(3)]);
    const forged = { ...entries[1], request_id: 'forged' };
    const { prev_hash, hash, ...second } = forged;
    assert.notEqual(entryHash(prev_hash, second), hash);
    entries[1] = { ...forged, hash: entryHash(prev_hash, second) };
    assert.deepEqual(verify(entries).first_broken, {
      seq: 3,
      reason: 'its prev_hash is not the hash of the row before it',
    });
  });

  it('names removed rows: in the middle, and at the end against the recorded head', () => {
    const entries = chainEntries({ seq: 0, hash: GENESIS_HASH }, [content(1), content(2), content(3)]);
    assert.deepEqual(verify([entries[0], entries[2]]).first_broken, {
      seq: 3,
      reason: 'rows 2 to 2 are missing before it',
    });
    const head = { seq: 3, hash: entries[2].hash };
    assert.deepEqual(verify(entries.slice(0, 2), head).first_broken, { seq: 3, reason: 'rows 3 to 3 are missing' });
    assert.equal(verify([], { seq: 0, hash: GENESIS_HASH }).valid, true);
  });

  it('verifies a slice from the row before it', () => {
    const entries = chainEntries({ seq: 0, hash: GENESIS_HASH }, [content(1), content(2), content(3)]);
    const verifier = new ChainVerifier({ seq: 1, hash: entries[0].hash });
    assert.ok(verifier.check(entries[1]) && verifier.check(entries[2]));
    assert.equal(verifier.result().rows_checked, 2);
  });
});
