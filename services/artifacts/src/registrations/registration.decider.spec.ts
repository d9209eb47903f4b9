import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { CommandMetadata, systemActor } from '@logbook/platform';
import { spec } from '@logbook/testing';
import { ModelSummary } from '../mlmodel';
import { contentDigest, RegistrationCommand, registrationDecider } from './registration.decider';
import { RegistrationEvent } from './registration.events';

const now = 1_700_000_000_000;
const metadata: CommandMetadata = { now, actor: systemActor('artifacts'), requestId: 'req-1' };
const key = { registeredModelId: 'rm1', name: 'fraud', version: 3, source: 'models:/m-1' };
const summary: ModelSummary = {
  flavors: ['python_function'],
  signature: null,
  inputExample: null,
  modelId: null,
  runId: null,
  mlflowVersion: '3.1.0',
  createdAt: null,
};
const files = [
  { path: 'model.pkl', size: 10, sha256: 'b'.repeat(64) },
  { path: 'MLmodel', size: 5, sha256: 'a'.repeat(64) },
];
const storageLocation = 'mlflow-artifacts:/registry/rm1/3';
const verify: RegistrationCommand = {
  type: 'RecordVerified',
  data: { ...key, storageLocation, files, summary },
  metadata,
};
const fail: RegistrationCommand = {
  type: 'RecordVerificationFailed',
  data: { ...key, message: 'No MLmodel' },
  metadata,
};
const verified: RegistrationEvent = {
  type: 'ModelVersionVerified',
  data: {
    ...key,
    digest: contentDigest(files),
    storageLocation,
    fileCount: 2,
    totalSize: 15,
    files: [files[1], files[0]],
    summary,
    time: now,
  },
};
const failed: RegistrationEvent = {
  type: 'ModelVersionVerificationFailed',
  data: { ...key, message: 'No MLmodel', time: now },
};
const given = spec(registrationDecider).given;

describe('registration decider', () => {
  it('given nothing, a verified copy is recorded with its files sorted, their count, size and content digest', () =>
    given([]).when(verify).then([verified]));

  it('given nothing, a refused source is recorded with its message', () => given([]).when(fail).then([failed]));

  it('given an outcome, a copy redone after a redelivery or a restart records nothing more', () => {
    given([verified]).when(verify).thenNothing();
    given([verified]).when(fail).thenNothing();
    given([failed]).when(verify).thenNothing();
  });

  it('the digest covers each path and sha256, whatever order the files were listed in', () => {
    const lines = `MLmodel ${'a'.repeat(64)}\nmodel.pkl ${'b'.repeat(64)}\n`;
    const expected = `sha256:${createHash('sha256').update(lines).digest('hex')}`;
    if (contentDigest(files) !== expected || contentDigest([...files].reverse()) !== expected) {
      throw new Error('digest depends on the listing order');
    }
  });
});
