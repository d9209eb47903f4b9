import { eventContract, TopicContract } from './contract';
import {
  arrayOf,
  either,
  field,
  finiteNumber,
  integer,
  nonEmptyText,
  nullable,
  object,
  oneOf,
  optionalField,
  text,
} from './schema';
import { eventTopic } from './topics';

export const TRACKING_PRODUCER = 'tracking';

const MS = 'milliseconds since the Unix epoch';
const experimentId = field(nonEmptyText, 'Id of the experiment (MLflow experiment_id, a decimal string)');
const runId = field(nonEmptyText, 'Id of the run (MLflow run_id, 32 hex characters)');
const modelId = field(nonEmptyText, 'Id of the logged model (MLflow model_id)');
const time = field(integer, `When it happened, ${MS}`);

export const Tag = object('Tag', {
  key: field(text, 'Name'),
  value: field(text, 'Value'),
});

/** A metric value as JSON can carry it: non-finite doubles travel as protobuf JSON's strings. */
export const WireDouble = either(finiteNumber, oneOf(['NaN', 'Infinity', '-Infinity'] as const));

export const MetricPoint = object('MetricPoint', {
  key: field(text, 'Metric name'),
  value: field(WireDouble, 'Value; non-finite values as the strings "NaN", "Infinity", "-Infinity"'),
  timestamp: field(integer, `When it was measured, ${MS}`),
  step: field(integer, 'Training step'),
  modelId: optionalField(text, 'Logged model the value belongs to'),
  datasetName: optionalField(text, 'Name of the dataset it was measured on'),
  datasetDigest: optionalField(text, 'Digest of the dataset it was measured on'),
});

export const DatasetInput = object('DatasetInput', {
  name: field(text, 'Dataset name'),
  digest: field(text, 'Dataset digest'),
  sourceType: field(text, 'Kind of source, e.g. "local", "s3", "delta_table"'),
  source: field(text, 'Where the dataset comes from (JSON text, as MLflow sends it)'),
  schema: optionalField(text, 'Dataset schema (JSON text)'),
  profile: optionalField(text, 'Dataset profile (JSON text)'),
  tags: field(arrayOf(Tag), 'Tags of this input, e.g. mlflow.data.context'),
});

export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export const LOGGED_MODEL_STATUSES = [
  'LOGGED_MODEL_PENDING',
  'LOGGED_MODEL_READY',
  'LOGGED_MODEL_UPLOAD_FAILED',
] as const;

const exampleExperimentId = '1';
const exampleRunId = '0f6c3e1a9b8d4c2e8f7a6b5c4d3e2f10';
const exampleModelId = 'm-4a1b2c3d4e5f60718293a4b5c6d7e8f9';
const exampleTime = 1764864000000;

// Experiments

export const ExperimentCreatedV1 = eventContract({
  name: 'ExperimentCreated',
  schemaVersion: 1,
  meaning: 'An experiment was created.',
  fields: {
    experimentId,
    name: field(nonEmptyText, 'Experiment name, unique among experiments'),
    artifactLocation: field(text, "Root URI of the experiment's artifacts"),
    tags: field(arrayOf(Tag), 'Tags given at creation'),
    creationTime: field(integer, `When it was created, ${MS}`),
  },
  example: {
    experimentId: exampleExperimentId,
    name: 'churn',
    artifactLocation: 'mlflow-artifacts:/1',
    tags: [{ key: 'team', value: 'growth' }],
    creationTime: exampleTime,
  },
});

export const ExperimentRenamedV1 = eventContract({
  name: 'ExperimentRenamed',
  schemaVersion: 1,
  meaning: 'An experiment got a new name.',
  fields: { experimentId, name: field(nonEmptyText, 'The new name'), time },
  example: { experimentId: exampleExperimentId, name: 'churn-2026', time: exampleTime },
});

export const ExperimentDeletedV1 = eventContract({
  name: 'ExperimentDeleted',
  schemaVersion: 1,
  meaning: 'An experiment was deleted (soft: it can be restored; its runs are hidden with it).',
  fields: { experimentId, time },
  example: { experimentId: exampleExperimentId, time: exampleTime },
});

export const ExperimentRestoredV1 = eventContract({
  name: 'ExperimentRestored',
  schemaVersion: 1,
  meaning: 'A deleted experiment was restored.',
  fields: { experimentId, time },
  example: { experimentId: exampleExperimentId, time: exampleTime },
});

export const ExperimentTagSetV1 = eventContract({
  name: 'ExperimentTagSet',
  schemaVersion: 1,
  meaning: 'A tag of an experiment was set (created or overwritten).',
  fields: { experimentId, key: field(text, 'Tag name'), value: field(text, 'Tag value'), time },
  example: { experimentId: exampleExperimentId, key: 'team', value: 'growth', time: exampleTime },
});

export const ExperimentTagDeletedV1 = eventContract({
  name: 'ExperimentTagDeleted',
  schemaVersion: 1,
  meaning: 'A tag of an experiment was removed.',
  fields: { experimentId, key: field(text, 'Tag name'), time },
  example: { experimentId: exampleExperimentId, key: 'team', time: exampleTime },
});

// Runs

export const RunCreatedV1 = eventContract({
  name: 'RunCreated',
  schemaVersion: 1,
  meaning: 'A run was created in an experiment.',
  fields: {
    runId,
    experimentId,
    userId: field(text, 'Who created it, as the client reported'),
    runName: field(text, 'Run name'),
    startTime: field(integer, `When it started, ${MS}`),
    artifactUri: field(text, "Root URI of the run's artifacts"),
    tags: field(arrayOf(Tag), 'Tags given at creation'),
  },
  example: {
    runId: exampleRunId,
    experimentId: exampleExperimentId,
    userId: 'ada',
    runName: 'brave-owl-42',
    startTime: exampleTime,
    artifactUri: `mlflow-artifacts:/1/${exampleRunId}/artifacts`,
    tags: [{ key: 'mlflow.runName', value: 'brave-owl-42' }],
  },
});

export const RunStatusChangedV1 = eventContract({
  name: 'RunStatusChanged',
  schemaVersion: 1,
  meaning: 'The status of a run changed (e.g. it finished or failed).',
  fields: {
    runId,
    status: field(oneOf(RUN_STATUSES), 'The new status'),
    endTime: field(nullable(integer), `When it ended, ${MS}; null while it has not`),
  },
  example: { runId: exampleRunId, status: 'FINISHED', endTime: exampleTime },
});

export const RunRenamedV1 = eventContract({
  name: 'RunRenamed',
  schemaVersion: 1,
  meaning: 'A run got a new name.',
  fields: { runId, runName: field(text, 'The new name') },
  example: { runId: exampleRunId, runName: 'calm-fox-7' },
});

export const RunDeletedV1 = eventContract({
  name: 'RunDeleted',
  schemaVersion: 1,
  meaning: 'A run was deleted (soft: it can be restored until it is purged).',
  fields: { runId, experimentId, time },
  example: { runId: exampleRunId, experimentId: exampleExperimentId, time: exampleTime },
});

export const RunRestoredV1 = eventContract({
  name: 'RunRestored',
  schemaVersion: 1,
  meaning: 'A deleted run was restored.',
  fields: { runId, experimentId, time },
  example: { runId: exampleRunId, experimentId: exampleExperimentId, time: exampleTime },
});

export const RunPurgedV1 = eventContract({
  name: 'RunPurged',
  schemaVersion: 1,
  meaning: 'A deleted run was removed for good, with everything logged to it; its artifacts are to be removed too.',
  fields: { runId, experimentId, time },
  example: { runId: exampleRunId, experimentId: exampleExperimentId, time: exampleTime },
});

export const RunDataLoggedV1 = eventContract({
  name: 'RunDataLogged',
  schemaVersion: 1,
  meaning: 'Metrics, params and tags were logged to a run: one event per log-batch (or single log call).',
  fields: {
    runId,
    metrics: field(arrayOf(MetricPoint), 'Metric values, in the order logged'),
    params: field(arrayOf(Tag), 'Params logged for the first time (params cannot change)'),
    tags: field(arrayOf(Tag), 'Tags set'),
  },
  example: {
    runId: exampleRunId,
    metrics: [{ key: 'loss', value: 0.25, timestamp: exampleTime, step: 3 }],
    params: [{ key: 'lr', value: '0.01' }],
    tags: [],
  },
});

export const RunTagDeletedV1 = eventContract({
  name: 'RunTagDeleted',
  schemaVersion: 1,
  meaning: 'A tag of a run was removed.',
  fields: { runId, key: field(text, 'Tag name') },
  example: { runId: exampleRunId, key: 'team' },
});

export const RunInputsLoggedV1 = eventContract({
  name: 'RunInputsLogged',
  schemaVersion: 1,
  meaning: 'Datasets and logged models were recorded as inputs of a run.',
  fields: {
    runId,
    experimentId,
    datasets: field(arrayOf(DatasetInput), 'Dataset inputs'),
    modelIds: field(arrayOf(text), 'Logged models used as inputs'),
  },
  example: {
    runId: exampleRunId,
    experimentId: exampleExperimentId,
    datasets: [
      {
        name: 'train',
        digest: 'a1b2c3',
        sourceType: 'local',
        source: '{"uri": "/data/train.csv"}',
        tags: [{ key: 'mlflow.data.context', value: 'training' }],
      },
    ],
    modelIds: [],
  },
});

export const RunOutputsLoggedV1 = eventContract({
  name: 'RunOutputsLogged',
  schemaVersion: 1,
  meaning: 'Logged models were recorded as outputs of a run.',
  fields: {
    runId,
    models: field(
      arrayOf(
        object('ModelOutput', {
          modelId: field(text, 'The logged model'),
          step: field(integer, 'Step at which it was output'),
        }),
      ),
      'Models output',
    ),
  },
  example: { runId: exampleRunId, models: [{ modelId: exampleModelId, step: 0 }] },
});

// Logged models

export const LoggedModelCreatedV1 = eventContract({
  name: 'LoggedModelCreated',
  schemaVersion: 1,
  meaning: 'A logged model was created (its artifacts are uploaded after, then it is finalized).',
  fields: {
    modelId,
    experimentId,
    name: field(text, 'Model name'),
    artifactUri: field(text, "Root URI of the model's artifacts"),
    modelType: field(nullable(text), 'Model type, as the client gave it'),
    sourceRunId: field(nullable(text), 'Run that produced it'),
    params: field(arrayOf(Tag), 'Params given at creation'),
    tags: field(arrayOf(Tag), 'Tags given at creation'),
    time,
  },
  example: {
    modelId: exampleModelId,
    experimentId: exampleExperimentId,
    name: 'classifier',
    artifactUri: `mlflow-artifacts:/1/models/${exampleModelId}/artifacts`,
    modelType: null,
    sourceRunId: exampleRunId,
    params: [],
    tags: [],
    time: exampleTime,
  },
});

export const LoggedModelFinalizedV1 = eventContract({
  name: 'LoggedModelFinalized',
  schemaVersion: 1,
  meaning: 'A logged model got its final status: ready, or its upload failed.',
  fields: { modelId, status: field(oneOf(LOGGED_MODEL_STATUSES), 'The status'), time },
  example: { modelId: exampleModelId, status: 'LOGGED_MODEL_READY', time: exampleTime },
});

export const LoggedModelDeletedV1 = eventContract({
  name: 'LoggedModelDeleted',
  schemaVersion: 1,
  meaning: 'A logged model was deleted.',
  fields: { modelId, time },
  example: { modelId: exampleModelId, time: exampleTime },
});

export const LoggedModelTagsSetV1 = eventContract({
  name: 'LoggedModelTagsSet',
  schemaVersion: 1,
  meaning: 'Tags of a logged model were set (created or overwritten).',
  fields: { modelId, tags: field(arrayOf(Tag), 'Tags set'), time },
  example: { modelId: exampleModelId, tags: [{ key: 'stage', value: 'candidate' }], time: exampleTime },
});

export const LoggedModelTagDeletedV1 = eventContract({
  name: 'LoggedModelTagDeleted',
  schemaVersion: 1,
  meaning: 'A tag of a logged model was removed.',
  fields: { modelId, key: field(text, 'Tag name'), time },
  example: { modelId: exampleModelId, key: 'stage', time: exampleTime },
});

export const LoggedModelParamsLoggedV1 = eventContract({
  name: 'LoggedModelParamsLogged',
  schemaVersion: 1,
  meaning: 'Params were logged to a logged model.',
  fields: { modelId, params: field(arrayOf(Tag), 'Params logged'), time },
  example: { modelId: exampleModelId, params: [{ key: 'depth', value: '6' }], time: exampleTime },
});

export const TRACKING_EXPERIMENT_TOPIC: TopicContract = {
  name: eventTopic(TRACKING_PRODUCER, 'experiment'),
  producer: TRACKING_PRODUCER,
  streamType: 'experiment',
  meaning: 'The life of each experiment: creation, renames, deletion and restore, tags.',
  key: '`experiment-<experimentId>`, the stream id',
  events: [
    ExperimentCreatedV1,
    ExperimentRenamedV1,
    ExperimentDeletedV1,
    ExperimentRestoredV1,
    ExperimentTagSetV1,
    ExperimentTagDeletedV1,
  ],
};

export const TRACKING_RUN_TOPIC: TopicContract = {
  name: eventTopic(TRACKING_PRODUCER, 'run'),
  producer: TRACKING_PRODUCER,
  streamType: 'run',
  meaning: 'The life of each run and everything logged to it.',
  key: '`run-<runId>`, the stream id',
  events: [
    RunCreatedV1,
    RunStatusChangedV1,
    RunRenamedV1,
    RunDeletedV1,
    RunRestoredV1,
    RunPurgedV1,
    RunDataLoggedV1,
    RunTagDeletedV1,
    RunInputsLoggedV1,
    RunOutputsLoggedV1,
  ],
};

export const TRACKING_LOGGED_MODEL_TOPIC: TopicContract = {
  name: eventTopic(TRACKING_PRODUCER, 'logged-model'),
  producer: TRACKING_PRODUCER,
  streamType: 'logged-model',
  meaning: 'The life of each logged model (MLflow 3): creation, finalization, deletion, tags and params.',
  key: '`logged-model-<modelId>`, the stream id',
  events: [
    LoggedModelCreatedV1,
    LoggedModelFinalizedV1,
    LoggedModelDeletedV1,
    LoggedModelTagsSetV1,
    LoggedModelTagDeletedV1,
    LoggedModelParamsLoggedV1,
  ],
};

export const TRACKING_TOPICS = [TRACKING_EXPERIMENT_TOPIC, TRACKING_RUN_TOPIC, TRACKING_LOGGED_MODEL_TOPIC];
