import { describe, it } from 'node:test';
import { CommandMetadata, systemActor } from '@logbook/platform';
import { spec } from '@logbook/testing';
import { modelVersionDecider } from '../model-versions/model-version.decider';
import { ModelVersionEvent } from '../model-versions/model-version.events';
import { registrationCommand, RegistrationResult } from './registration-outcome';

const now = 1_700_000_000_000;
const metadata: CommandMetadata = { now, actor: systemActor('registry'), requestId: 'req-1' };
const source = 'models:/m-4a1b2c3d4e5f60718293a4b5c6d7e8f9';
const key = { registeredModelId: 'rm1', name: 'fraud', version: 3, source };
const created: ModelVersionEvent = {
  type: 'ModelVersionCreated',
  data: {
    registeredModelId: 'rm1',
    name: 'fraud',
    version: 3,
    source,
    runId: null,
    runLink: null,
    description: null,
    modelId: 'm-4a1b2c3d4e5f60718293a4b5c6d7e8f9',
    tags: [],
    time: now - 100,
  },
};
const verified: RegistrationResult = {
  type: 'ModelVersionVerified',
  data: {
    ...key,
    digest: 'sha256:abc',
    storageLocation: 'mlflow-artifacts:/registry/rm1/3',
    fileCount: 3,
    totalSize: 100,
    summary: {
      flavors: ['python_function'],
      signature: null,
      inputExample: null,
      modelId: null,
      runId: null,
      mlflowVersion: null,
      createdAt: null,
    },
    time: now - 10,
  },
};
const refused: RegistrationResult = {
  type: 'ModelVersionVerificationFailed',
  data: { ...key, message: "No MLmodel file at the source 'x'", time: now - 10 },
};
const address = { registeredModelId: 'rm1', name: 'fraud-renamed', version: 3 };
const ready: ModelVersionEvent = {
  type: 'ModelVersionRegistrationCompleted',
  data: { ...address, digest: 'sha256:abc', storageLocation: 'mlflow-artifacts:/registry/rm1/3', time: now },
};
const failed: ModelVersionEvent = {
  type: 'ModelVersionRegistrationFailed',
  data: { ...address, statusMessage: "No MLmodel file at the source 'x'", time: now },
};
const given = spec(modelVersionDecider).given;

describe('registration results: the artifacts service verdict applied to a version', () => {
  it('given a pending version, a verified copy makes it READY with its digest and registry location, under its current name', () =>
    given([created])
      .when(registrationCommand(verified, 'fraud-renamed', metadata))
      .then([ready]));

  it('given a pending version, a refused source makes it FAILED_REGISTRATION with the message', () =>
    given([created])
      .when(registrationCommand(refused, 'fraud-renamed', metadata))
      .then([failed]));

  it('given a verdict applied, the same verdict delivered again changes nothing', () => {
    given([created, ready])
      .when(registrationCommand(verified, 'fraud-renamed', metadata))
      .thenNothing();
    given([created, failed])
      .when(registrationCommand(refused, 'fraud-renamed', metadata))
      .thenNothing();
  });

  it('given a deleted version, a late verdict changes nothing', () =>
    given([created, { type: 'ModelVersionDeleted', data: { ...address, time: now - 5 } }])
      .when(registrationCommand(verified, 'fraud-renamed', metadata))
      .thenNothing());
});
