import { describe, it } from 'node:test';
import { CommandMetadata } from '@logbook/platform';
import { spec } from '@logbook/testing';
import { Tag } from '../experiments/experiment.events';
import { LoggedModelCommand, loggedModelDecider } from './logged-model.decider';
import { LoggedModelCreated, LoggedModelDeleted } from './logged-model.events';

const now = 1_700_000_000_000;
const metadata: CommandMetadata = {
  now,
  actor: { id: 'alice', kind: 'user', name: 'alice', authMethod: 'basic' },
  requestId: 'req-1',
};
const modelId = 'm-0123456789abcdef';
const experimentId = '7';
const activeExperiment = {
  experimentId,
  found: true,
  lifecycleStage: 'active' as const,
  artifactLocation: 's3://bucket/7',
};
const given = spec(loggedModelDecider).given;

const modelCreated: LoggedModelCreated = {
  type: 'LoggedModelCreated',
  data: {
    modelId,
    experimentId,
    name: 'classifier',
    artifactUri: `s3://bucket/7/models/${modelId}/artifacts`,
    modelType: 'agent',
    sourceRunId: 'r1',
    params: [{ key: 'alpha', value: '0.5' }],
    tags: [{ key: 'team', value: 'growth' }],
    time: now,
  },
};
const modelDeleted: LoggedModelDeleted = { type: 'LoggedModelDeleted', data: { modelId, time: now - 10 } };
const createdBefore: LoggedModelCreated = { ...modelCreated, data: { ...modelCreated.data, time: now - 1000 } };

type CreateData = Extract<LoggedModelCommand, { type: 'CreateLoggedModel' }>['data'];
const create = (data: Partial<CreateData> = {}): LoggedModelCommand => ({
  type: 'CreateLoggedModel',
  data: {
    modelId,
    experiment: activeExperiment,
    name: 'classifier',
    generatedName: 'brave-fox-1',
    modelType: 'agent',
    sourceRunId: 'r1',
    params: [{ key: 'alpha', value: '0.5' }],
    tags: [{ key: 'team', value: 'growth' }],
    ...data,
  },
  metadata,
});
const finalize = (status: string): LoggedModelCommand => ({
  type: 'FinalizeLoggedModel',
  data: { modelId, status },
  metadata,
});
const remove: LoggedModelCommand = { type: 'DeleteLoggedModel', data: { modelId }, metadata };
const setTags = (tags: Tag[]): LoggedModelCommand => ({
  type: 'SetLoggedModelTags',
  data: { modelId, tags },
  metadata,
});
const deleteTag = (key: string): LoggedModelCommand => ({
  type: 'DeleteLoggedModelTag',
  data: { modelId, key },
  metadata,
});
const logParams = (params: Tag[]): LoggedModelCommand => ({
  type: 'LogLoggedModelParams',
  data: { modelId, params },
  metadata,
});

describe('logged model decider', () => {
  describe('CreateLoggedModel', () => {
    it('creates the model with its artifact uri under <location>/models/<id>/artifacts', () =>
      given([]).when(create()).then([modelCreated]));

    it('uses the generated name when none is given and nulls absent model type and source run', () =>
      given([])
        .when(create({ name: undefined, modelType: undefined, sourceRunId: undefined, params: [], tags: [] }))
        .then([
          {
            ...modelCreated,
            data: {
              ...modelCreated.data,
              name: 'brave-fox-1',
              modelType: null,
              sourceRunId: null,
              params: [],
              tags: [],
            },
          },
        ]));

    for (const bad of ['a/b', 'a:b', 'a.b', 'a%b', 'a"b', "a'b", '']) {
      it(`rejects the name ${JSON.stringify(bad)}`, () =>
        given([])
          .when(create({ name: bad }))
          .thenThrows('INVALID_PARAMETER_VALUE', 'Invalid model name'));
    }

    it('accepts names with spaces, dashes and underscores', () =>
      given([])
        .when(create({ name: 'my model-v_2' }))
        .then([{ ...modelCreated, data: { ...modelCreated.data, name: 'my model-v_2' } }]));

    it('answers 404 for a missing experiment', () =>
      given([])
        .when(create({ experiment: { ...activeExperiment, found: false } }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'No Experiment with id=7 exists'));

    it('rejects a deleted experiment', () =>
      given([])
        .when(create({ experiment: { ...activeExperiment, lifecycleStage: 'deleted' } }))
        .thenThrows('INVALID_PARAMETER_VALUE', "must be in the 'active' state"));

    it('rejects a model id that already exists', () =>
      given([createdBefore]).when(create()).thenThrows('INVALID_PARAMETER_VALUE', 'already exists'));

    it('validates param and tag keys and truncates long values', () => {
      given([])
        .when(create({ params: [{ key: '../p', value: 'v' }] }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'must not resolve to other names');
      given([])
        .when(create({ tags: [{ key: 'bad!', value: 'v' }] }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'Names may only contain');
      given([])
        .when(
          create({ params: [{ key: 'p', value: 'x'.repeat(6001) }], tags: [{ key: 't', value: 'y'.repeat(8001) }] }),
        )
        .then([
          {
            ...modelCreated,
            data: {
              ...modelCreated.data,
              params: [{ key: 'p', value: 'x'.repeat(6000) }],
              tags: [{ key: 't', value: 'y'.repeat(8000) }],
            },
          },
        ]);
    });
  });

  describe('FinalizeLoggedModel', () => {
    it('finalizes as READY or UPLOAD_FAILED', () => {
      given([createdBefore])
        .when(finalize('LOGGED_MODEL_READY'))
        .then([{ type: 'LoggedModelFinalized', data: { modelId, status: 'LOGGED_MODEL_READY', time: now } }]);
      given([createdBefore])
        .when(finalize('LOGGED_MODEL_UPLOAD_FAILED'))
        .then([{ type: 'LoggedModelFinalized', data: { modelId, status: 'LOGGED_MODEL_UPLOAD_FAILED', time: now } }]);
    });

    for (const status of ['LOGGED_MODEL_PENDING', 'LOGGED_MODEL_STATUS_UNSPECIFIED', 'READY', '']) {
      it(`rejects the status ${JSON.stringify(status)}`, () =>
        given([createdBefore]).when(finalize(status)).thenThrows('INVALID_PARAMETER_VALUE', 'Invalid model status'));
    }
  });

  describe('DeleteLoggedModel', () => {
    it('deletes a model', () =>
      given([createdBefore])
        .when(remove)
        .then([{ type: 'LoggedModelDeleted', data: { modelId, time: now } }]));

    it('answers 404 for an unknown model', () =>
      given([]).when(remove).thenThrows('RESOURCE_DOES_NOT_EXIST', `Logged model with ID '${modelId}' not found.`));
  });

  describe('operations on a deleted model answer 404', () => {
    const cases: Array<[string, LoggedModelCommand]> = [
      ['finalize', finalize('LOGGED_MODEL_READY')],
      ['delete', remove],
      ['set tags', setTags([{ key: 'k', value: 'v' }])],
      ['delete tag', deleteTag('team')],
      ['log params', logParams([{ key: 'k', value: 'v' }])],
    ];
    for (const [name, command] of cases) {
      it(name, () =>
        given([createdBefore, modelDeleted])
          .when(command)
          .thenThrows('RESOURCE_DOES_NOT_EXIST', `Logged model with ID '${modelId}' not found.`),
      );
    }
  });

  describe('SetLoggedModelTags', () => {
    it('sets tags in one event', () =>
      given([createdBefore])
        .when(
          setTags([
            { key: 'mlflow.modelVersions', value: '[]' },
            { key: 'team', value: 'core' },
          ]),
        )
        .then([
          {
            type: 'LoggedModelTagsSet',
            data: {
              modelId,
              tags: [
                { key: 'mlflow.modelVersions', value: '[]' },
                { key: 'team', value: 'core' },
              ],
              time: now,
            },
          },
        ]));

    it('records nothing for no tags', () => given([createdBefore]).when(setTags([])).thenNothing());

    it('rejects invalid tag keys and answers 404 for an unknown model', () => {
      given([createdBefore])
        .when(setTags([{ key: 'a b!', value: 'v' }]))
        .thenThrows('INVALID_PARAMETER_VALUE', 'Names may only contain');
      given([])
        .when(setTags([{ key: 'k', value: 'v' }]))
        .thenThrows('RESOURCE_DOES_NOT_EXIST');
    });
  });

  describe('DeleteLoggedModelTag', () => {
    it('deletes a tag given at creation or set later', () => {
      given([createdBefore])
        .when(deleteTag('team'))
        .then([{ type: 'LoggedModelTagDeleted', data: { modelId, key: 'team', time: now } }]);
      given([
        createdBefore,
        { type: 'LoggedModelTagsSet', data: { modelId, tags: [{ key: 'late', value: 'v' }], time: now - 5 } },
      ])
        .when(deleteTag('late'))
        .then([{ type: 'LoggedModelTagDeleted', data: { modelId, key: 'late', time: now } }]);
    });

    it('answers 404 for a missing or already deleted tag', () => {
      given([createdBefore])
        .when(deleteTag('nope'))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', `No tag with key 'nope' found for model with ID '${modelId}'.`);
      given([createdBefore, { type: 'LoggedModelTagDeleted', data: { modelId, key: 'team', time: now - 5 } }])
        .when(deleteTag('team'))
        .thenThrows('RESOURCE_DOES_NOT_EXIST');
    });

    it('answers 404 for an unknown model', () =>
      given([]).when(deleteTag('team')).thenThrows('RESOURCE_DOES_NOT_EXIST'));
  });

  describe('LogLoggedModelParams', () => {
    it('logs params in one event, truncating long values', () =>
      given([createdBefore])
        .when(
          logParams([
            { key: 'beta', value: '1' },
            { key: 'long', value: 'x'.repeat(6001) },
          ]),
        )
        .then([
          {
            type: 'LoggedModelParamsLogged',
            data: {
              modelId,
              params: [
                { key: 'beta', value: '1' },
                { key: 'long', value: 'x'.repeat(6000) },
              ],
              time: now,
            },
          },
        ]));

    it('records nothing for no params', () => given([createdBefore]).when(logParams([])).thenNothing());

    it('rejects invalid param keys and answers 404 for an unknown model', () => {
      given([createdBefore])
        .when(logParams([{ key: 'x/../y', value: '1' }]))
        .thenThrows('INVALID_PARAMETER_VALUE', "would resolve to 'y'");
      given([])
        .when(logParams([{ key: 'k', value: '1' }]))
        .thenThrows('RESOURCE_DOES_NOT_EXIST');
    });
  });
});
