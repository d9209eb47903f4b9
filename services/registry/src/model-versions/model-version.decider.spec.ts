import { describe, it } from 'node:test';
import { CommandMetadata } from '@logbook/platform';
import { spec } from '@logbook/testing';
import { ModelVersionCommand, modelVersionDecider } from './model-version.decider';
import { ModelVersionEvent } from './model-version.events';

const now = 1_700_000_000_000;
const metadata: CommandMetadata = {
  now,
  actor: { id: 'alice', kind: 'user', name: 'alice', authMethod: 'basic' },
  requestId: 'req-1',
};
const address = { registeredModelId: 'rm1', name: 'fraud', version: 3 };
const source = 'runs:/0f6c3e1a9b8d4c2e8f7a6b5c4d3e2f10/model';
const given = spec(modelVersionDecider).given;

const created: ModelVersionEvent = {
  type: 'ModelVersionCreated',
  data: {
    ...address,
    source,
    runId: 'r1',
    runLink: null,
    description: null,
    modelId: null,
    tags: [{ key: 'k', value: 'v' }],
    time: now - 100,
  },
};
const completed: ModelVersionEvent = {
  type: 'ModelVersionRegistrationCompleted',
  data: { ...address, digest: 'sha256:abc', storageLocation: null, time: now - 50 },
};
const deleted: ModelVersionEvent = { type: 'ModelVersionDeleted', data: { ...address, time: now - 10 } };

const command = <T extends ModelVersionCommand['type']>(
  type: T,
  data: Omit<Extract<ModelVersionCommand, { type: T }>['data'], keyof typeof address>,
): ModelVersionCommand => ({ type, data: { ...address, ...data }, metadata }) as ModelVersionCommand;
const create = (data: Partial<Extract<ModelVersionCommand, { type: 'CreateModelVersion' }>['data']> = {}) =>
  command('CreateModelVersion', { source, runId: 'r1', tags: [{ key: 'k', value: 'v' }], ...data });

describe('model version decider', () => {
  describe('CreateModelVersion', () => {
    it('records the version from its source, pending registration', () =>
      given([])
        .when(create())
        .then([{ ...created, data: { ...created.data, time: now } }]));

    it('keeps the logged model, run link and description it was given', () =>
      given([])
        .when(create({ modelId: 'm-1', runLink: 'http://x/run', description: 'd' }))
        .then([
          {
            type: 'ModelVersionCreated',
            data: { ...created.data, modelId: 'm-1', runLink: 'http://x/run', description: 'd', time: now },
          },
        ]));

    it('refuses sources that leave their root or name a local path (CVE-2023-1177)', () => {
      for (const bad of [
        'mlflow-artifacts:/1/../../../etc',
        'http://host/api/2.0/mlflow-artifacts/artifacts/..%2f..%2fsecret',
        's3://bucket/a%00',
        's3://bucket/a/./b',
        '/etc/passwd',
        'file:///etc/passwd',
        'relative/path',
        'D:/models',
      ]) {
        given([])
          .when(create({ source: bad }))
          .thenThrows('INVALID_PARAMETER_VALUE', 'Invalid model version source');
      }
    });

    it('accepts the run, logged-model, artifact-store and object-store sources', () => {
      for (const good of [
        'runs:/r1/model',
        'models:/m-0123',
        'mlflow-artifacts:/1/r1/artifacts/model',
        's3://bucket/models/x/',
        'gs://bucket/x',
      ]) {
        given([])
          .when(create({ source: good }))
          .then([{ ...created, data: { ...created.data, source: good, time: now } }]);
      }
    });

    it('makes a prompt version READY at once, its digest that of its template', () =>
      given([])
        .when(
          create({
            source: 'dummy-source',
            runId: undefined,
            tags: [
              { key: 'mlflow.prompt.is_prompt', value: 'true' },
              { key: 'mlflow.prompt.text', value: 'Hello {{name}}' },
            ],
          }),
        )
        .then([
          {
            type: 'ModelVersionCreated',
            data: {
              ...created.data,
              source: 'dummy-source',
              runId: null,
              tags: [
                { key: 'mlflow.prompt.is_prompt', value: 'true' },
                { key: 'mlflow.prompt.text', value: 'Hello {{name}}' },
              ],
              time: now,
            },
          },
          {
            type: 'ModelVersionRegistrationCompleted',
            data: {
              ...address,
              digest: 'sha256:652b7c016734eedbef52857a9b0ed99076468635861e3a29201b847f71e86da7',
              storageLocation: null,
              time: now,
            },
          },
        ]));

    it('refuses a prompt version whose source is not a placeholder', () =>
      given([])
        .when(create({ source: 'runs:/r1/model', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] }))
        .thenThrows('INVALID_PARAMETER_VALUE', "Invalid prompt source: 'runs:/r1/model'."));

    it('refuses tags beyond the limits', () =>
      given([])
        .when(create({ tags: [{ key: 'k', value: 'v'.repeat(100_001) }] }))
        .thenThrows('INVALID_PARAMETER_VALUE', "'value' exceeds the maximum length of 100000 characters"));
  });

  describe('registration outcome', () => {
    it('completes a pending registration with the content digest', () =>
      given([created])
        .when(command('CompleteRegistration', { digest: 'sha256:abc', storageLocation: 's3://reg/fraud/3' }))
        .then([
          {
            type: 'ModelVersionRegistrationCompleted',
            data: { ...address, digest: 'sha256:abc', storageLocation: 's3://reg/fraud/3', time: now },
          },
        ]));

    it('fails a pending registration with its reason', () =>
      given([created])
        .when(command('FailRegistration', { message: 'No MLmodel at the source' }))
        .then([
          {
            type: 'ModelVersionRegistrationFailed',
            data: { ...address, statusMessage: 'No MLmodel at the source', time: now },
          },
        ]));

    it('applies a result delivered again, or after the version was deleted, as nothing', () => {
      given([created, completed])
        .when(command('CompleteRegistration', { digest: 'sha256:abc' }))
        .thenNothing();
      given([created, completed])
        .when(command('FailRegistration', { message: 'late' }))
        .thenNothing();
      given([created, deleted])
        .when(command('CompleteRegistration', { digest: 'sha256:abc' }))
        .thenNothing();
    });

    it('refuses a result for a version that never existed, and a completion without digest', () => {
      given([])
        .when(command('CompleteRegistration', { digest: 'sha256:abc' }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'Model Version (name=fraud, version=3) not found');
      given([created])
        .when(command('CompleteRegistration', { digest: '' }))
        .thenThrows('INVALID_PARAMETER_VALUE');
    });
  });

  describe('description and tags', () => {
    it('sets the description', () =>
      given([created])
        .when(command('UpdateModelVersion', { description: 'retrained' }))
        .then([{ type: 'ModelVersionDescriptionUpdated', data: { ...address, description: 'retrained', time: now } }]));

    it('sets a tag, deletes one that is there and ignores one that is not', () => {
      given([created])
        .when(command('SetModelVersionTag', { key: 'ok', value: 'yes' }))
        .then([{ type: 'ModelVersionTagSet', data: { ...address, key: 'ok', value: 'yes', time: now } }]);
      given([created])
        .when(command('DeleteModelVersionTag', { key: 'k' }))
        .then([{ type: 'ModelVersionTagDeleted', data: { ...address, key: 'k', time: now } }]);
      given([created])
        .when(command('DeleteModelVersionTag', { key: 'nope' }))
        .thenNothing();
    });

    it('refuses bad tag keys and changes to a deleted version', () => {
      given([created])
        .when(command('SetModelVersionTag', { key: '/abs', value: 'v' }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'would resolve to');
      given([created, deleted])
        .when(command('UpdateModelVersion', { description: 'x' }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'Model Version (name=fraud, version=3) not found');
      given([created, deleted])
        .when(command('SetModelVersionTag', { key: 'k', value: 'v' }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST');
    });
  });

  describe('DeleteModelVersion', () => {
    it('deletes a live version once', () => {
      given([created])
        .when(command('DeleteModelVersion', {}))
        .then([{ type: 'ModelVersionDeleted', data: { ...address, time: now } }]);
      given([created, deleted]).when(command('DeleteModelVersion', {})).thenThrows('RESOURCE_DOES_NOT_EXIST');
    });
  });
});
