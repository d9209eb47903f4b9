import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Announcements } from '@logbook/messaging';
import { ModelVersionView } from './model-versions.queries';
import { RegistrationVerdicts } from './registration-verdicts';

const version = (status: string): ModelVersionView => ({ version: '1', current_stage: 'None', status });

/** A version that reads PENDING_REGISTRATION until `decide(status)`, counting how often it was read. */
function aNewVersion() {
  let status = 'PENDING_REGISTRATION';
  const reads = { times: 0 };
  return {
    reads,
    decide: (verdict: string) => (status = verdict),
    lookup: async () => {
      reads.times++;
      return version(status);
    },
  };
}

describe('RegistrationVerdicts: the create answer waits for the registration verdict', () => {
  it('given a verdict applied while waiting, when the consumer has handled it, then the answer is the decided version', async () => {
    const announcements = new Announcements();
    const verdicts = new RegistrationVerdicts({ announcements, waitMs: 60_000 });
    const created = aNewVersion();
    const answer = verdicts.settled(created.lookup);
    await new Promise((resolve) => setImmediate(resolve));
    created.decide('READY');
    announcements.handled();
    assert.equal((await answer).status, 'READY');
  });

  it('given no verdict, when the wait ends, then the answer is the pending version', async () => {
    const verdicts = new RegistrationVerdicts({ announcements: new Announcements(), waitMs: 50 });
    const created = aNewVersion();
    assert.equal((await verdicts.settled(created.lookup)).status, 'PENDING_REGISTRATION');
  });

  it('given no wait configured, when a version is pending, then it answers from one read', async () => {
    const verdicts = new RegistrationVerdicts({ announcements: new Announcements(), waitMs: 0 });
    const created = aNewVersion();
    assert.equal((await verdicts.settled(created.lookup)).status, 'PENDING_REGISTRATION');
    assert.equal(created.reads.times, 1);
  });

  it('given a version decided at creation (a prompt), when settled, then it answers from one read', async () => {
    const verdicts = new RegistrationVerdicts({ announcements: new Announcements(), waitMs: 60_000 });
    const created = aNewVersion();
    created.decide('READY');
    assert.equal((await verdicts.settled(created.lookup)).status, 'READY');
    assert.equal(created.reads.times, 1);
  });
});
