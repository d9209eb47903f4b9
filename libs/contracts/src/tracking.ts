import { z } from 'zod';
import { eventContract, TopicContract } from './contract';
import { eventTopic } from './topics';

export const TRACKING_PRODUCER = 'tracking';

const MS = 'milliseconds since the Unix epoch';
const experimentId = z.string().min(1).describe('Id of the experiment (MLflow experiment_id, a decimal string)');
const runId = z.string().min(1).describe('Id of the run (MLflow run_id, 32 hex characters)');
const modelId = z.string().min(1).describe('Id of the logged model (MLflow model_id)');
const time = z.int().describe(`When it happened, ${MS}`);

export const Tag = z
  .object({
    key: z.string().describe('Name'),
    value: z.string().describe('Value'),
  })
  .meta({ id: 'Tag' });

/** A metric value as JSON can carry it: non-finite doubles travel as protobuf JSON's strings. */
export const WireDouble = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]);

export const MetricPoint = z
  .object({
    key: z.string().describe('Metric name'),
    value: WireDouble.describe('Value; non-finite values as the strings "NaN", "Infinity", "-Infinity"'),
    timestamp: z.int().describe(`When it was measured, ${MS}`),
    step: z.int().describe('Training step'),
    modelId: z.string().optional().describe('Logged model the value belongs to'),
    datasetName: z.string().optional().describe('Name of the dataset it was measured on'),
    datasetDigest: z.string().optional().describe('Digest of the dataset it was measured on'),
  })
  .meta({ id: 'MetricPoint' });

export const DatasetInput = z
  .object({
    name: z.string().describe('Dataset name'),
    digest: z.string().describe('Dataset digest'),
    sourceType: z.string().describe('Kind of source, e.g. "local", "s3", "delta_table"'),
    source: z.string().describe('Where the dataset comes from (JSON text, as MLflow sends it)'),
    schema: z.string().optional().describe('Dataset schema (JSON text)'),
    profile: z.string().optional().describe('Dataset profile (JSON text)'),
    tags: z.array(Tag).describe('Tags of this input, e.g. mlflow.data.context'),
  })
  .meta({ id: 'DatasetInput' });

export const ModelOutput = z
  .object({
    modelId: z.string().describe('The logged model'),
    step: z.int().describe('Step at which it was output'),
  })
  .meta({ id: 'ModelOutput' });

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
  data: z.object({
    experimentId,
    name: z.string().min(1).describe('Experiment name, unique among experiments'),
    artifactLocation: z.string().describe("Root URI of the experiment's artifacts"),
    tags: z.array(Tag).describe('Tags given at creation'),
    creationTime: z.int().describe(`When it was created, ${MS}`),
  }),
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
  data: z.object({ experimentId, name: z.string().min(1).describe('The new name'), time }),
  example: { experimentId: exampleExperimentId, name: 'churn-2026', time: exampleTime },
});

export const ExperimentDeletedV1 = eventContract({
  name: 'ExperimentDeleted',
  schemaVersion: 1,
  meaning: 'An experiment was deleted (soft: it can be restored; its runs are hidden with it).',
  data: z.object({ experimentId, time }),
  example: { experimentId: exampleExperimentId, time: exampleTime },
});

export const ExperimentRestoredV1 = eventContract({
  name: 'ExperimentRestored',
  schemaVersion: 1,
  meaning: 'A deleted experiment was restored.',
  data: z.object({ experimentId, time }),
  example: { experimentId: exampleExperimentId, time: exampleTime },
});

export const ExperimentTagSetV1 = eventContract({
  name: 'ExperimentTagSet',
  schemaVersion: 1,
  meaning: 'A tag of an experiment was set (created or overwritten).',
  data: z.object({ experimentId, key: z.string().describe('Tag name'), value: z.string().describe('Tag value'), time }),
  example: { experimentId: exampleExperimentId, key: 'team', value: 'growth', time: exampleTime },
});

export const ExperimentTagDeletedV1 = eventContract({
  name: 'ExperimentTagDeleted',
  schemaVersion: 1,
  meaning: 'A tag of an experiment was removed.',
  data: z.object({ experimentId, key: z.string().describe('Tag name'), time }),
  example: { experimentId: exampleExperimentId, key: 'team', time: exampleTime },
});

// Runs

export const RunCreatedV1 = eventContract({
  name: 'RunCreated',
  schemaVersion: 1,
  meaning: 'A run was created in an experiment.',
  data: z.object({
    runId,
    experimentId,
    userId: z.string().describe('Who created it, as the client reported'),
    runName: z.string().describe('Run name'),
    startTime: z.int().describe(`When it started, ${MS}`),
    artifactUri: z.string().describe("Root URI of the run's artifacts"),
    tags: z.array(Tag).describe('Tags given at creation'),
  }),
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
  data: z.object({
    runId,
    status: z.enum(RUN_STATUSES).describe('The new status'),
    endTime: z.int().nullable().describe(`When it ended, ${MS}; null while it has not`),
  }),
  example: { runId: exampleRunId, status: 'FINISHED', endTime: exampleTime },
});

export const RunRenamedV1 = eventContract({
  name: 'RunRenamed',
  schemaVersion: 1,
  meaning: 'A run got a new name.',
  data: z.object({ runId, runName: z.string().describe('The new name') }),
  example: { runId: exampleRunId, runName: 'calm-fox-7' },
});

export const RunDeletedV1 = eventContract({
  name: 'RunDeleted',
  schemaVersion: 1,
  meaning: 'A run was deleted (soft: it can be restored until it is purged).',
  data: z.object({ runId, experimentId, time }),
  example: { runId: exampleRunId, experimentId: exampleExperimentId, time: exampleTime },
});

export const RunRestoredV1 = eventContract({
  name: 'RunRestored',
  schemaVersion: 1,
  meaning: 'A deleted run was restored.',
  data: z.object({ runId, experimentId, time }),
  example: { runId: exampleRunId, experimentId: exampleExperimentId, time: exampleTime },
});

export const RunPurgedV1 = eventContract({
  name: 'RunPurged',
  schemaVersion: 1,
  meaning: 'A deleted run was removed for good, with everything logged to it; its artifacts are to be removed too.',
  data: z.object({ runId, experimentId, time }),
  example: { runId: exampleRunId, experimentId: exampleExperimentId, time: exampleTime },
});

export const RunDataLoggedV1 = eventContract({
  name: 'RunDataLogged',
  schemaVersion: 1,
  meaning: 'Metrics, params and tags were logged to a run: one event per log-batch (or single log call).',
  data: z.object({
    runId,
    metrics: z.array(MetricPoint).describe('Metric values, in the order logged'),
    params: z.array(Tag).describe('Params logged for the first time (params cannot change)'),
    tags: z.array(Tag).describe('Tags set'),
  }),
  example: {
    runId: exampleRunId,
    metrics: [{ key: 'loss', value: 0.25, timestamp: exampleTime, step: 3 }],
    params: [{ key: 'lr', value: '0.01' }],
    tags: [],
  },
});

export const RunDataLoggedSummaryV1 = eventContract({
  name: 'RunDataLoggedSummary',
  schemaVersion: 1,
  meaning:
    'What one RunDataLogged changed, for consumers that follow runs rather than every point: its params and tags, ' +
    'and of its metrics the latest point per key (the highest step, then timestamp, then value, as MLflow picks a ' +
    "run's latest metric). Published on the run topic in the run's order; the batch itself is on the run-data topic.",
  data: z.object({
    runId,
    latestMetrics: z.array(MetricPoint).describe("The batch's latest point of each metric key"),
    metricCount: z.int().describe('How many metric points the batch held'),
    params: z.array(Tag).describe('Params logged for the first time (params cannot change)'),
    tags: z.array(Tag).describe('Tags set'),
  }),
  example: {
    runId: exampleRunId,
    latestMetrics: [{ key: 'loss', value: 0.25, timestamp: exampleTime, step: 3 }],
    metricCount: 4,
    params: [{ key: 'lr', value: '0.01' }],
    tags: [],
  },
});

export const RunTagDeletedV1 = eventContract({
  name: 'RunTagDeleted',
  schemaVersion: 1,
  meaning: 'A tag of a run was removed.',
  data: z.object({ runId, key: z.string().describe('Tag name') }),
  example: { runId: exampleRunId, key: 'team' },
});

export const RunInputsLoggedV1 = eventContract({
  name: 'RunInputsLogged',
  schemaVersion: 1,
  meaning: 'Datasets and logged models were recorded as inputs of a run.',
  data: z.object({
    runId,
    experimentId,
    datasets: z.array(DatasetInput).describe('Dataset inputs'),
    modelIds: z.array(z.string()).describe('Logged models used as inputs'),
  }),
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
  data: z.object({
    runId,
    models: z.array(ModelOutput).describe('Models output'),
  }),
  example: { runId: exampleRunId, models: [{ modelId: exampleModelId, step: 0 }] },
});

// Logged models

export const LoggedModelCreatedV1 = eventContract({
  name: 'LoggedModelCreated',
  schemaVersion: 1,
  meaning: 'A logged model was created (its artifacts are uploaded after, then it is finalized).',
  data: z.object({
    modelId,
    experimentId,
    name: z.string().describe('Model name'),
    artifactUri: z.string().describe("Root URI of the model's artifacts"),
    modelType: z.string().nullable().describe('Model type, as the client gave it'),
    sourceRunId: z.string().nullable().describe('Run that produced it'),
    params: z.array(Tag).describe('Params given at creation'),
    tags: z.array(Tag).describe('Tags given at creation'),
    time,
  }),
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
  data: z.object({ modelId, status: z.enum(LOGGED_MODEL_STATUSES).describe('The status'), time }),
  example: { modelId: exampleModelId, status: 'LOGGED_MODEL_READY', time: exampleTime },
});

export const LoggedModelDeletedV1 = eventContract({
  name: 'LoggedModelDeleted',
  schemaVersion: 1,
  meaning: 'A logged model was deleted.',
  data: z.object({ modelId, time }),
  example: { modelId: exampleModelId, time: exampleTime },
});

export const LoggedModelTagsSetV1 = eventContract({
  name: 'LoggedModelTagsSet',
  schemaVersion: 1,
  meaning: 'Tags of a logged model were set (created or overwritten).',
  data: z.object({ modelId, tags: z.array(Tag).describe('Tags set'), time }),
  example: { modelId: exampleModelId, tags: [{ key: 'stage', value: 'candidate' }], time: exampleTime },
});

export const LoggedModelTagDeletedV1 = eventContract({
  name: 'LoggedModelTagDeleted',
  schemaVersion: 1,
  meaning: 'A tag of a logged model was removed.',
  data: z.object({ modelId, key: z.string().describe('Tag name'), time }),
  example: { modelId: exampleModelId, key: 'stage', time: exampleTime },
});

export const LoggedModelParamsLoggedV1 = eventContract({
  name: 'LoggedModelParamsLogged',
  schemaVersion: 1,
  meaning: 'Params were logged to a logged model.',
  data: z.object({ modelId, params: z.array(Tag).describe('Params logged'), time }),
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
    RunDataLoggedSummaryV1,
    RunTagDeletedV1,
    RunInputsLoggedV1,
    RunOutputsLoggedV1,
  ],
};

export const TRACKING_RUN_DATA_TOPIC: TopicContract = {
  name: eventTopic(TRACKING_PRODUCER, 'run-data'),
  producer: TRACKING_PRODUCER,
  streamType: 'run',
  meaning:
    'Every batch of metrics, params and tags logged to a run, whole. Apart from the run topic, so that consumers ' +
    "of runs' lives fetch none of this volume (they read RunDataLoggedSummary there); in each run's order.",
  key: '`run-<runId>`, the stream id',
  events: [RunDataLoggedV1],
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

export const TRACKING_TOPICS = [
  TRACKING_EXPERIMENT_TOPIC,
  TRACKING_RUN_TOPIC,
  TRACKING_RUN_DATA_TOPIC,
  TRACKING_LOGGED_MODEL_TOPIC,
];
