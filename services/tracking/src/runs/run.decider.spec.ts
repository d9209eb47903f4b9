import { describe, it } from 'node:test';
import { CommandMetadata } from '@logbook/platform';
import { spec } from '@logbook/testing';
import { Tag } from '../experiments/experiment.events';
import { ExperimentFact, MetricInput, RunCommand, runDecider } from './run.decider';
import { DatasetInput, MetricPoint, RUN_NAME_TAG, RunCreated, RunDataLogged, RunDeleted } from './run.events';

const now = 1_700_000_000_000;
const metadata: CommandMetadata = {
  now,
  actor: { id: 'alice', kind: 'user', name: 'alice', authMethod: 'basic' },
  requestId: 'req-1',
};
const runId = 'r1';
const experimentId = '7';
const artifactUri = 's3://bucket/7/r1/artifacts';
const activeExperiment: ExperimentFact = { experimentId, found: true, lifecycleStage: 'active' };
const deletedExperiment: ExperimentFact = { experimentId, found: true, lifecycleStage: 'deleted' };
const missingExperiment: ExperimentFact = { experimentId, found: false, lifecycleStage: 'active' };
const given = spec(runDecider).given;

const runCreated: RunCreated = {
  type: 'RunCreated',
  data: {
    runId,
    experimentId,
    userId: 'alice',
    runName: 'bold-owl-1',
    startTime: now - 1000,
    artifactUri,
    tags: [
      { key: 'mlflow.user', value: 'alice' },
      { key: RUN_NAME_TAG, value: 'bold-owl-1' },
    ],
  },
};
const runDeleted: RunDeleted = { type: 'RunDeleted', data: { runId, experimentId, time: now - 500 } };
const dataLogged = (data: Partial<Omit<RunDataLogged['data'], 'runId'>>): RunDataLogged => ({
  type: 'RunDataLogged',
  data: { runId, metrics: [], params: [], tags: [], ...data },
});

type Data<T extends RunCommand['type']> = Extract<RunCommand, { type: T }>['data'];

const createRun = (data: Partial<Data<'CreateRun'>> = {}): RunCommand => ({
  type: 'CreateRun',
  data: {
    runId,
    experiment: activeExperiment,
    userId: 'alice',
    generatedName: 'bold-owl-1',
    tags: [],
    artifactUri,
    ...data,
  },
  metadata,
});
const updateRun = (data: Partial<Data<'UpdateRun'>>): RunCommand => ({
  type: 'UpdateRun',
  data: { runId, experiment: activeExperiment, ...data },
  metadata,
});
const logData = (data: Partial<Data<'LogRunData'>>): RunCommand => ({
  type: 'LogRunData',
  data: { runId, experiment: activeExperiment, metrics: [], params: [], tags: [], ...data },
  metadata,
});
const deleteTag = (key: string, experiment = activeExperiment): RunCommand => ({
  type: 'DeleteRunTag',
  data: { runId, experiment, key },
  metadata,
});
const logInputs = (datasets: DatasetInput[], modelIds: string[] = [], experiment = activeExperiment): RunCommand => ({
  type: 'LogRunInputs',
  data: { runId, experiment, datasets, modelIds },
  metadata,
});
const logOutputs = (models: { modelId: string; step: number }[], experiment = activeExperiment): RunCommand => ({
  type: 'LogRunOutputs',
  data: { runId, experiment, models },
  metadata,
});
const deleteRun: RunCommand = { type: 'DeleteRun', data: { runId }, metadata };
const restoreRun: RunCommand = { type: 'RestoreRun', data: { runId }, metadata };

const metric = (key: string, value = 0.5, timestamp = now, step = 0): MetricInput => ({ key, value, timestamp, step });
const metrics = (count: number) => Array.from({ length: count }, (_, i) => metric(`m${i}`));
const tags = (count: number, prefix = 't'): Tag[] =>
  Array.from({ length: count }, (_, i) => ({ key: `${prefix}${i}`, value: 'v' }));
const dataset = (overrides: Partial<DatasetInput> = {}): DatasetInput => ({
  name: 'train',
  digest: 'abc123',
  sourceType: 'local',
  source: '{"uri": "/data/train.csv"}',
  tags: [{ key: 'mlflow.data.context', value: 'training' }],
  ...overrides,
});
const createdWith = (data: Partial<RunCreated['data']>): RunCreated => ({
  type: 'RunCreated',
  data: { ...runCreated.data, ...data },
});

describe('run decider', () => {
  describe('CreateRun', () => {
    it('uses the generated name when none is given, adds the mlflow.runName tag and starts at metadata.now', () =>
      given([])
        .when(createRun())
        .then([createdWith({ startTime: now, tags: [{ key: RUN_NAME_TAG, value: 'bold-owl-1' }] })]));

    it('treats an empty run_name as absent', () =>
      given([])
        .when(createRun({ runName: '' }))
        .then([createdWith({ startTime: now, tags: [{ key: RUN_NAME_TAG, value: 'bold-owl-1' }] })]));

    it('uses run_name and writes it into the mlflow.runName tag', () =>
      given([])
        .when(createRun({ runName: 'baseline', tags: [{ key: 'mlflow.user', value: 'alice' }] }))
        .then([
          createdWith({
            runName: 'baseline',
            startTime: now,
            tags: [
              { key: 'mlflow.user', value: 'alice' },
              { key: RUN_NAME_TAG, value: 'baseline' },
            ],
          }),
        ]));

    it('takes the name from the mlflow.runName tag when run_name is absent', () =>
      given([])
        .when(
          createRun({
            tags: [
              { key: RUN_NAME_TAG, value: 'tagged' },
              { key: 'k', value: 'v' },
            ],
          }),
        )
        .then([
          createdWith({
            runName: 'tagged',
            startTime: now,
            tags: [
              { key: 'k', value: 'v' },
              { key: RUN_NAME_TAG, value: 'tagged' },
            ],
          }),
        ]));

    it('accepts run_name and an mlflow.runName tag that agree', () =>
      given([])
        .when(createRun({ runName: 'same', tags: [{ key: RUN_NAME_TAG, value: 'same' }] }))
        .then([createdWith({ runName: 'same', startTime: now, tags: [{ key: RUN_NAME_TAG, value: 'same' }] })]));

    it('rejects run_name and an mlflow.runName tag that disagree', () =>
      given([])
        .when(createRun({ runName: 'a', tags: [{ key: RUN_NAME_TAG, value: 'b' }] }))
        .thenThrows('INVALID_PARAMETER_VALUE', "Both 'run_name' argument and 'mlflow.runName' tag are specified"));

    it('keeps an explicit start time over metadata.now', () =>
      given([])
        .when(createRun({ startTime: 1234 }))
        .then([createdWith({ startTime: 1234, tags: [{ key: RUN_NAME_TAG, value: 'bold-owl-1' }] })]));

    it('answers 404 for a missing experiment', () =>
      given([])
        .when(createRun({ experiment: missingExperiment }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'No Experiment with id=7 exists'));

    it('rejects a deleted experiment with INVALID_PARAMETER_VALUE', () =>
      given([])
        .when(createRun({ experiment: deletedExperiment }))
        .thenThrows(
          'INVALID_PARAMETER_VALUE',
          "The experiment 7 must be in the 'active' state. Current state is deleted.",
        ));

    it('rejects a run id that already exists', () =>
      given([runCreated]).when(createRun()).thenThrows('INVALID_PARAMETER_VALUE', 'already exists'));

    it('rejects tag keys with invalid characters', () =>
      given([])
        .when(createRun({ tags: [{ key: 'bad?', value: 'v' }] }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'Names may only contain'));

    it('truncates tag values over 8000 characters', () =>
      given([])
        .when(createRun({ tags: [{ key: 'long', value: 'x'.repeat(8100) }] }))
        .then([
          createdWith({
            startTime: now,
            tags: [
              { key: 'long', value: 'x'.repeat(8000) },
              { key: RUN_NAME_TAG, value: 'bold-owl-1' },
            ],
          }),
        ]));

    it('rejects a run name over 250 characters', () =>
      given([])
        .when(createRun({ runName: 'n'.repeat(251) }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'length limit of 250'));
  });

  describe('UpdateRun', () => {
    it('records the status and end time', () =>
      given([runCreated])
        .when(updateRun({ status: 'FINISHED', endTime: now }))
        .then([{ type: 'RunStatusChanged', data: { runId, status: 'FINISHED', endTime: now } }]));

    it('records a status without an end time as endTime null', () =>
      given([runCreated])
        .when(updateRun({ status: 'FAILED' }))
        .then([{ type: 'RunStatusChanged', data: { runId, status: 'FAILED', endTime: null } }]));

    it('keeps the current status when only the end time is given', () =>
      given([runCreated, { type: 'RunStatusChanged', data: { runId, status: 'KILLED', endTime: null } }])
        .when(updateRun({ endTime: now }))
        .then([{ type: 'RunStatusChanged', data: { runId, status: 'KILLED', endTime: now } }]));

    it('renames the run', () =>
      given([runCreated])
        .when(updateRun({ runName: 'renamed' }))
        .then([{ type: 'RunRenamed', data: { runId, runName: 'renamed' } }]));

    it('records status and rename together, status first', () =>
      given([runCreated])
        .when(updateRun({ status: 'FINISHED', endTime: now, runName: 'renamed' }))
        .then([
          { type: 'RunStatusChanged', data: { runId, status: 'FINISHED', endTime: now } },
          { type: 'RunRenamed', data: { runId, runName: 'renamed' } },
        ]));

    it('records nothing for the current name or an empty request', () => {
      given([runCreated])
        .when(updateRun({ runName: 'bold-owl-1' }))
        .thenNothing();
      given([runCreated]).when(updateRun({})).thenNothing();
    });

    it('rejects a new run name over 250 characters', () =>
      given([runCreated])
        .when(updateRun({ runName: 'n'.repeat(251) }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'length limit of 250'));

    it('rejects a deleted run', () =>
      given([runCreated, runDeleted])
        .when(updateRun({ status: 'FINISHED' }))
        .thenThrows('INVALID_PARAMETER_VALUE', "The run r1 must be in the 'active' state"));

    it('rejects a run whose experiment is deleted', () =>
      given([runCreated])
        .when(updateRun({ status: 'FINISHED', experiment: deletedExperiment }))
        .thenThrows('INVALID_PARAMETER_VALUE'));

    it('answers 404 for an unknown run', () =>
      given([])
        .when(updateRun({ status: 'FINISHED' }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'Run with id=r1 not found'));
  });

  describe('PurgeRun', () => {
    const purge = (experiment = activeExperiment): RunCommand => ({
      type: 'PurgeRun',
      data: { runId, experiment },
      metadata,
    });

    it('purges a deleted run', () =>
      given([runCreated, runDeleted])
        .when(purge())
        .then([{ type: 'RunPurged', data: { runId, experimentId, time: now } }]));

    it('purges an active run of a deleted experiment', () =>
      given([runCreated])
        .when(purge(deletedExperiment))
        .then([{ type: 'RunPurged', data: { runId, experimentId, time: now } }]));

    it('refuses to purge an active run', () =>
      given([runCreated]).when(purge()).thenThrows('INVALID_PARAMETER_VALUE', 'only deleted runs can be purged'));

    it('leaves nothing of a purged run: it no longer exists', () =>
      given([runCreated, runDeleted, { type: 'RunPurged', data: { runId, experimentId, time: now } }])
        .when(restoreRun)
        .thenThrows('RESOURCE_DOES_NOT_EXIST', `Run with id=${runId} not found`));
  });

  describe('DeleteRun and RestoreRun', () => {
    it('deletes an active run', () =>
      given([runCreated])
        .when(deleteRun)
        .then([{ type: 'RunDeleted', data: { runId, experimentId, time: now } }]));

    it('records nothing when deleting a deleted run', () =>
      given([runCreated, runDeleted]).when(deleteRun).thenNothing());

    it('restores a deleted run', () =>
      given([runCreated, runDeleted])
        .when(restoreRun)
        .then([{ type: 'RunRestored', data: { runId, experimentId, time: now } }]));

    it('records nothing when restoring an active run', () => given([runCreated]).when(restoreRun).thenNothing());

    it('answers 404 for an unknown run', () => {
      given([]).when(deleteRun).thenThrows('RESOURCE_DOES_NOT_EXIST', 'Run with id=r1 not found');
      given([]).when(restoreRun).thenThrows('RESOURCE_DOES_NOT_EXIST', 'Run with id=r1 not found');
    });
  });

  describe('LogRunData', () => {
    it('records one event for a batch of metrics, params and tags', () =>
      given([runCreated])
        .when(
          logData({
            metrics: [
              metric('loss', 0.25, now, 3),
              { ...metric('acc', 0.9), modelId: 'm-1', datasetName: 'train', datasetDigest: 'abc' },
            ],
            params: [
              { key: 'lr', value: '0.1' },
              { key: 'empty', value: '' },
            ],
            tags: [{ key: 'stage', value: 'dev' }],
          }),
        )
        .then([
          dataLogged({
            metrics: [
              { key: 'loss', value: 0.25, timestamp: now, step: 3 },
              {
                key: 'acc',
                value: 0.9,
                timestamp: now,
                step: 0,
                modelId: 'm-1',
                datasetName: 'train',
                datasetDigest: 'abc',
              },
            ],
            params: [
              { key: 'lr', value: '0.1' },
              { key: 'empty', value: '' },
            ],
            tags: [{ key: 'stage', value: 'dev' }],
          }),
        ]));

    it('records non-finite metric values as NaN / Infinity / -Infinity strings', () => {
      const expected: MetricPoint[] = [
        { key: 'a', value: 'NaN', timestamp: now, step: 0 },
        { key: 'b', value: 'Infinity', timestamp: now, step: 0 },
        { key: 'c', value: '-Infinity', timestamp: now, step: 0 },
      ];
      given([runCreated])
        .when(logData({ metrics: [metric('a', NaN), metric('b', Infinity), metric('c', -Infinity)] }))
        .then([dataLogged({ metrics: expected })]);
    });

    it('records nothing for an empty batch', () => given([runCreated]).when(logData({})).thenNothing());

    it('accepts the batch limits exactly', () =>
      given([runCreated])
        .when(logData({ metrics: metrics(800), params: tags(100, 'p'), tags: tags(100) }))
        .then([
          dataLogged({
            metrics: metrics(800),
            params: tags(100, 'p'),
            tags: tags(100),
          }),
        ]));

    it('rejects more than 1000 metrics', () =>
      given([runCreated])
        .when(logData({ metrics: metrics(1001) }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'at most 1000 metrics'));

    it('rejects more than 100 params', () =>
      given([runCreated])
        .when(logData({ params: tags(101, 'p') }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'at most 100 params'));

    it('rejects more than 100 tags', () =>
      given([runCreated])
        .when(logData({ tags: tags(101) }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'at most 100 tags'));

    it('rejects more than 1000 entities in total', () =>
      given([runCreated])
        .when(logData({ metrics: metrics(801), params: tags(100, 'p'), tags: tags(100) }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'at most 1000 metrics, params, and tags'));

    it('rejects duplicate param keys in one batch', () =>
      given([runCreated])
        .when(
          logData({
            params: [
              { key: 'lr', value: '0.1' },
              { key: 'lr', value: '0.1' },
            ],
          }),
        )
        .thenThrows('INVALID_PARAMETER_VALUE', "Duplicate parameter keys have been submitted: ['lr']"));

    it('records nothing when re-logging a param with the same value', () =>
      given([runCreated, dataLogged({ params: [{ key: 'lr', value: '0.1' }] })])
        .when(logData({ params: [{ key: 'lr', value: '0.1' }] }))
        .thenNothing());

    it('drops an already logged param but keeps the rest of the batch', () =>
      given([runCreated, dataLogged({ params: [{ key: 'lr', value: '0.1' }] })])
        .when(
          logData({
            metrics: [metric('loss')],
            params: [
              { key: 'lr', value: '0.1' },
              { key: 'bs', value: '32' },
            ],
          }),
        )
        .then([
          dataLogged({
            metrics: [{ key: 'loss', value: 0.5, timestamp: now, step: 0 }],
            params: [{ key: 'bs', value: '32' }],
          }),
        ]));

    it('rejects changing a logged param value', () =>
      given([runCreated, dataLogged({ params: [{ key: 'lr', value: '0.1' }] })])
        .when(logData({ params: [{ key: 'lr', value: '0.2' }] }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'Changing param values is not allowed'));

    it('truncates a param value over 6000 characters to 6000', () =>
      given([runCreated])
        .when(logData({ params: [{ key: 'long', value: 'x'.repeat(7000) }] }))
        .then([dataLogged({ params: [{ key: 'long', value: 'x'.repeat(6000) }] })]));

    it('treats re-logging the same over-long param value as a no-op', () =>
      given([runCreated, dataLogged({ params: [{ key: 'long', value: 'x'.repeat(6000) }] })])
        .when(logData({ params: [{ key: 'long', value: 'x'.repeat(7000) }] }))
        .thenNothing());

    it('truncates a tag value over 8000 characters to 8000', () =>
      given([runCreated])
        .when(logData({ tags: [{ key: 'long', value: 'y'.repeat(9000) }] }))
        .then([dataLogged({ tags: [{ key: 'long', value: 'y'.repeat(8000) }] })]));

    it('rejects a param key over 250 characters', () =>
      given([runCreated])
        .when(logData({ params: [{ key: 'k'.repeat(251), value: 'v' }] }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'length limit of 250'));

    it('rejects a metric key over 250 characters', () =>
      given([runCreated])
        .when(logData({ metrics: [metric('k'.repeat(251))] }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'length limit of 250'));

    it('rejects invalid key characters in metrics, params and tags', () => {
      given([runCreated])
        .when(logData({ metrics: [metric('loss!')] }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'Names may only contain');
      given([runCreated])
        .when(logData({ params: [{ key: 'a=b', value: 'v' }] }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'Names may only contain');
      given([runCreated])
        .when(logData({ tags: [{ key: 'a$b', value: 'v' }] }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'Names may only contain');
    });

    it('rejects keys that resolve to another path', () => {
      given([runCreated])
        .when(logData({ params: [{ key: '../x', value: 'v' }] }))
        .thenThrows('INVALID_PARAMETER_VALUE', "would resolve to '../x'");
      given([runCreated])
        .when(logData({ metrics: [metric('a/./b')] }))
        .thenThrows('INVALID_PARAMETER_VALUE', "would resolve to 'a/b'");
      given([runCreated])
        .when(logData({ tags: [{ key: '/abs', value: 'v' }] }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'must not resolve to other names');
      given([runCreated])
        .when(logData({ tags: [{ key: '.', value: 'v' }] }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'must not resolve to other names');
    });

    it('accepts keys with slashes, dots, dashes, spaces and colons', () =>
      given([runCreated])
        .when(logData({ metrics: [metric('eval/loss-v1.2 a:b')] }))
        .then([dataLogged({ metrics: [{ key: 'eval/loss-v1.2 a:b', value: 0.5, timestamp: now, step: 0 }] })]));

    it('rejects a negative timestamp', () =>
      given([runCreated])
        .when(logData({ metrics: [metric('loss', 0.5, -1)] }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'Timestamp must be a nonnegative long'));

    it('rejects a fractional step and accepts a negative one', () => {
      given([runCreated])
        .when(logData({ metrics: [metric('loss', 0.5, now, 1.5)] }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'Step must be a valid long');
      given([runCreated])
        .when(logData({ metrics: [metric('loss', 0.5, now, -3)] }))
        .then([dataLogged({ metrics: [{ key: 'loss', value: 0.5, timestamp: now, step: -3 }] })]);
    });

    it('renames the run when the mlflow.runName tag changes', () =>
      given([runCreated])
        .when(logData({ tags: [{ key: RUN_NAME_TAG, value: 'renamed' }] }))
        .then([
          dataLogged({ tags: [{ key: RUN_NAME_TAG, value: 'renamed' }] }),
          { type: 'RunRenamed', data: { runId, runName: 'renamed' } },
        ]));

    it('does not rename when the mlflow.runName tag repeats the current name', () =>
      given([runCreated])
        .when(logData({ tags: [{ key: RUN_NAME_TAG, value: 'bold-owl-1' }] }))
        .then([dataLogged({ tags: [{ key: RUN_NAME_TAG, value: 'bold-owl-1' }] })]));

    it('rejects logging to a deleted run', () =>
      given([runCreated, runDeleted])
        .when(logData({ metrics: [metric('loss')] }))
        .thenThrows('INVALID_PARAMETER_VALUE', "The run r1 must be in the 'active' state"));

    it('rejects logging to a run whose experiment is deleted', () =>
      given([runCreated])
        .when(logData({ metrics: [metric('loss')], experiment: deletedExperiment }))
        .thenThrows('INVALID_PARAMETER_VALUE', "The run r1 must be in the 'active' state"));

    it('logs again after the run is restored', () =>
      given([runCreated, runDeleted, { type: 'RunRestored', data: { runId, experimentId, time: now - 10 } }])
        .when(logData({ tags: [{ key: 'k', value: 'v' }] }))
        .then([dataLogged({ tags: [{ key: 'k', value: 'v' }] })]));

    it('answers 404 for an unknown run', () =>
      given([])
        .when(logData({ metrics: [metric('loss')] }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'Run with id=r1 not found'));

    it('validates the batch before looking at the run, as MLflow does', () =>
      given([])
        .when(logData({ metrics: [metric('bad!')] }))
        .thenThrows('INVALID_PARAMETER_VALUE'));
  });

  describe('DeleteRunTag', () => {
    it('deletes a tag given at creation', () =>
      given([runCreated])
        .when(deleteTag('mlflow.user'))
        .then([{ type: 'RunTagDeleted', data: { runId, key: 'mlflow.user' } }]));

    it('deletes a tag logged later', () =>
      given([runCreated, dataLogged({ tags: [{ key: 'stage', value: 'dev' }] })])
        .when(deleteTag('stage'))
        .then([{ type: 'RunTagDeleted', data: { runId, key: 'stage' } }]));

    it('answers 404 for a missing tag', () =>
      given([runCreated])
        .when(deleteTag('nope'))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'No tag with name: nope in run with id r1'));

    it('answers 404 for a tag already deleted', () =>
      given([runCreated, { type: 'RunTagDeleted', data: { runId, key: 'mlflow.user' } }])
        .when(deleteTag('mlflow.user'))
        .thenThrows('RESOURCE_DOES_NOT_EXIST'));

    it('rejects a deleted run or a deleted experiment', () => {
      given([runCreated, runDeleted]).when(deleteTag('mlflow.user')).thenThrows('INVALID_PARAMETER_VALUE');
      given([runCreated]).when(deleteTag('mlflow.user', deletedExperiment)).thenThrows('INVALID_PARAMETER_VALUE');
    });

    it('answers 404 for an unknown run', () =>
      given([]).when(deleteTag('mlflow.user')).thenThrows('RESOURCE_DOES_NOT_EXIST', 'Run with id=r1 not found'));
  });

  describe('LogRunInputs', () => {
    it('records datasets and model inputs with the run experiment', () =>
      given([runCreated])
        .when(logInputs([dataset({ schema: '{}', profile: '{"rows": 3}' })], ['m-1']))
        .then([
          {
            type: 'RunInputsLogged',
            data: {
              runId,
              experimentId,
              datasets: [dataset({ schema: '{}', profile: '{"rows": 3}' })],
              modelIds: ['m-1'],
            },
          },
        ]));

    it('records nothing for an empty request', () => given([runCreated]).when(logInputs([])).thenNothing());

    it('rejects a dataset without a digest', () =>
      given([runCreated])
        .when(logInputs([dataset({ digest: '' })]))
        .thenThrows('INVALID_PARAMETER_VALUE', 'Dataset digest is required.'));

    it('rejects a dataset without a name, source type or source', () => {
      given([runCreated])
        .when(logInputs([dataset({ name: '' })]))
        .thenThrows('INVALID_PARAMETER_VALUE', 'Dataset name is required.');
      given([runCreated])
        .when(logInputs([dataset({ sourceType: '' })]))
        .thenThrows('INVALID_PARAMETER_VALUE', 'Dataset source_type is required.');
      given([runCreated])
        .when(logInputs([dataset({ source: '' })]))
        .thenThrows('INVALID_PARAMETER_VALUE', 'Dataset source is required.');
    });

    it('accepts a 36-character digest and rejects a 37-character one', () => {
      const ok = dataset({ digest: 'd'.repeat(36) });
      given([runCreated])
        .when(logInputs([ok]))
        .then([{ type: 'RunInputsLogged', data: { runId, experimentId, datasets: [ok], modelIds: [] } }]);
      given([runCreated])
        .when(logInputs([dataset({ digest: 'd'.repeat(37) })]))
        .thenThrows('INVALID_PARAMETER_VALUE', 'length limit of 36');
    });

    it('rejects a dataset name over 500 characters', () =>
      given([runCreated])
        .when(logInputs([dataset({ name: 'n'.repeat(501) })]))
        .thenThrows('INVALID_PARAMETER_VALUE', 'length limit of 500'));

    it('rejects input tags over their limits', () => {
      given([runCreated])
        .when(logInputs([dataset({ tags: [{ key: 'k'.repeat(256), value: 'v' }] })]))
        .thenThrows('INVALID_PARAMETER_VALUE', 'length limit of 255');
      given([runCreated])
        .when(logInputs([dataset({ tags: [{ key: 'k', value: 'v'.repeat(501) }] })]))
        .thenThrows('INVALID_PARAMETER_VALUE', 'length limit of 500');
    });

    it('rejects a deleted run and answers 404 for an unknown one', () => {
      given([runCreated, runDeleted])
        .when(logInputs([dataset()]))
        .thenThrows('INVALID_PARAMETER_VALUE');
      given([runCreated])
        .when(logInputs([dataset()], [], deletedExperiment))
        .thenThrows('INVALID_PARAMETER_VALUE');
      given([])
        .when(logInputs([dataset()]))
        .thenThrows('RESOURCE_DOES_NOT_EXIST');
    });
  });

  describe('LogRunOutputs', () => {
    it('records the output models', () =>
      given([runCreated])
        .when(
          logOutputs([
            { modelId: 'm-1', step: 0 },
            { modelId: 'm-2', step: 5 },
          ]),
        )
        .then([
          {
            type: 'RunOutputsLogged',
            data: {
              runId,
              models: [
                { modelId: 'm-1', step: 0 },
                { modelId: 'm-2', step: 5 },
              ],
            },
          },
        ]));

    it('records nothing for no models', () => given([runCreated]).when(logOutputs([])).thenNothing());

    it('rejects a deleted run or experiment and answers 404 for an unknown run', () => {
      given([runCreated, runDeleted])
        .when(logOutputs([{ modelId: 'm-1', step: 0 }]))
        .thenThrows('INVALID_PARAMETER_VALUE');
      given([runCreated])
        .when(logOutputs([{ modelId: 'm-1', step: 0 }], deletedExperiment))
        .thenThrows('INVALID_PARAMETER_VALUE');
      given([])
        .when(logOutputs([{ modelId: 'm-1', step: 0 }]))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'Run with id=r1 not found');
    });
  });
});
