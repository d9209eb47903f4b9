import { CommandMetadata, invalidParameter, notFound } from '@logbook/platform';
import { Decider } from '@logbook/eventstore';
import { Tag } from '../experiments/experiment.events';
import {
  checkLength,
  LIMITS,
  validateBatchLimits,
  validateMetric,
  validateParam,
  validateRunTag,
  validateUniqueParamKeys,
} from '../shared/limits';
import { DatasetInput, MetricPoint, RUN_NAME_TAG, RunEvent, RunStatus, toWireDouble } from './run.events';

export interface RunState {
  exists: boolean;
  runId: string;
  experimentId: string;
  lifecycleStage: 'active' | 'deleted';
  status: RunStatus;
  runName: string;
  params: Record<string, string>;
  tagKeys: string[];
}

/** The experiment as the service found it in the projection; runs follow their experiment's lifecycle. */
export interface ExperimentFact {
  experimentId: string;
  found: boolean;
  lifecycleStage: 'active' | 'deleted';
}

export interface MetricInput {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  modelId?: string;
  datasetName?: string;
  datasetDigest?: string;
}

export type RunCommand = { metadata: CommandMetadata } & (
  | {
      type: 'CreateRun';
      data: {
        runId: string;
        experiment: ExperimentFact;
        userId: string;
        runName?: string;
        generatedName: string;
        startTime?: number;
        tags: Tag[];
        artifactUri: string;
      };
    }
  | {
      type: 'UpdateRun';
      data: { runId: string; experiment: ExperimentFact; status?: RunStatus; endTime?: number; runName?: string };
    }
  | { type: 'DeleteRun'; data: { runId: string } }
  | { type: 'RestoreRun'; data: { runId: string } }
  | { type: 'PurgeRun'; data: { runId: string; experiment: ExperimentFact } }
  | {
      type: 'LogRunData';
      data: { runId: string; experiment: ExperimentFact; metrics: MetricInput[]; params: Tag[]; tags: Tag[] };
    }
  | { type: 'DeleteRunTag'; data: { runId: string; experiment: ExperimentFact; key: string } }
  | {
      type: 'LogRunInputs';
      data: { runId: string; experiment: ExperimentFact; datasets: DatasetInput[]; modelIds: string[] };
    }
  | {
      type: 'LogRunOutputs';
      data: { runId: string; experiment: ExperimentFact; models: { modelId: string; step: number }[] };
    }
);

const initialState = (): RunState => ({
  exists: false,
  runId: '',
  experimentId: '',
  lifecycleStage: 'active',
  status: 'RUNNING',
  runName: '',
  params: {},
  tagKeys: [],
});

function requireRun(state: RunState, runId: string): void {
  if (!state.exists) throw notFound(`Run with id=${runId} not found`);
}

function requireActiveRun(state: RunState, runId: string, experiment: ExperimentFact): void {
  requireRun(state, runId);
  if (state.lifecycleStage !== 'active' || experiment.lifecycleStage !== 'active') {
    throw invalidParameter(`The run ${runId} must be in the 'active' state. Current state is deleted.`);
  }
}

function decideCreate(command: Extract<RunCommand, { type: 'CreateRun' }>, state: RunState): RunEvent[] {
  const { runId, experiment, userId, startTime, artifactUri } = command.data;
  if (state.exists) throw invalidParameter(`Run with id=${runId} already exists`);
  if (!experiment.found) throw notFound(`No Experiment with id=${experiment.experimentId} exists`);
  if (experiment.lifecycleStage !== 'active') {
    throw invalidParameter(
      `The experiment ${experiment.experimentId} must be in the 'active' state. Current state is ${experiment.lifecycleStage}.`,
    );
  }
  const tags = command.data.tags.map((tag) => validateRunTag(tag.key, tag.value));
  const taggedName = tags.find((tag) => tag.key === RUN_NAME_TAG)?.value;
  if (command.data.runName && taggedName && command.data.runName !== taggedName) {
    throw invalidParameter(
      `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${command.data.runName}', mlflow.runName='${taggedName}').`,
    );
  }
  const runName = checkLength(
    'Run name',
    LIMITS.runName,
    command.data.runName || taggedName || command.data.generatedName,
  );
  const otherTags = tags.filter((tag) => tag.key !== RUN_NAME_TAG);
  return [
    {
      type: 'RunCreated',
      data: {
        runId,
        experimentId: experiment.experimentId,
        userId,
        runName,
        startTime: startTime ?? command.metadata.now,
        artifactUri,
        tags: [...otherTags, { key: RUN_NAME_TAG, value: runName }],
      },
    },
  ];
}

function decideLogData(command: Extract<RunCommand, { type: 'LogRunData' }>, state: RunState): RunEvent[] {
  const { runId, experiment } = command.data;
  validateBatchLimits(command.data.metrics.length, command.data.params.length, command.data.tags.length);
  validateUniqueParamKeys(command.data.params.map((p) => p.key));
  const params = command.data.params.map((p) => validateParam(p.key, p.value));
  const metrics: MetricPoint[] = command.data.metrics.map((m) => {
    validateMetric(m.key, m.value, m.timestamp, m.step);
    return { ...m, value: toWireDouble(m.value) };
  });
  const tags = command.data.tags.map((t) => validateRunTag(t.key, t.value));
  requireActiveRun(state, runId, experiment);
  const newParams = params.filter((param) => {
    const logged = state.params[param.key];
    if (logged === undefined) return true;
    if (logged === param.value) return false;
    throw invalidParameter(
      `Changing param values is not allowed. Param with key='${param.key}' was already logged with value='${logged}' for run ID='${runId}'. Attempted logging new value '${param.value}'.`,
    );
  });
  if (metrics.length === 0 && newParams.length === 0 && tags.length === 0) return [];
  const events: RunEvent[] = [{ type: 'RunDataLogged', data: { runId, metrics, params: newParams, tags } }];
  const renamed = tags.filter((t) => t.key === RUN_NAME_TAG).pop();
  if (renamed && renamed.value !== '' && renamed.value !== state.runName)
    events.push({ type: 'RunRenamed', data: { runId, runName: renamed.value } });
  return events;
}

function validateDataset(dataset: DatasetInput): void {
  const required: Array<[string, string | undefined]> = [
    ['name', dataset.name],
    ['digest', dataset.digest],
    ['source_type', dataset.sourceType],
    ['source', dataset.source],
  ];
  for (const [field, value] of required) {
    if (!value) throw invalidParameter(`Dataset ${field} is required.`);
  }
  checkLength('Dataset name', LIMITS.datasetName, dataset.name);
  checkLength('Dataset digest', LIMITS.datasetDigest, dataset.digest);
  checkLength('Dataset source', LIMITS.datasetSource, dataset.source);
  if (dataset.schema) checkLength('Dataset schema', LIMITS.datasetSchema, dataset.schema);
  if (dataset.profile) checkLength('Dataset profile', LIMITS.datasetProfile, dataset.profile);
  for (const tag of dataset.tags) {
    checkLength('Input tag key', LIMITS.inputTagKey, tag.key);
    checkLength('Input tag value', LIMITS.inputTagValue, tag.value);
  }
}

function decide(command: RunCommand, state: RunState): RunEvent[] {
  switch (command.type) {
    case 'CreateRun':
      return decideCreate(command, state);
    case 'UpdateRun': {
      const { runId, experiment, status, endTime, runName } = command.data;
      requireActiveRun(state, runId, experiment);
      const events: RunEvent[] = [];
      if (status !== undefined || endTime !== undefined) {
        events.push({
          type: 'RunStatusChanged',
          data: { runId, status: status ?? state.status, endTime: endTime ?? null },
        });
      }
      if (runName && runName !== state.runName) {
        events.push({ type: 'RunRenamed', data: { runId, runName: checkLength('Run name', LIMITS.runName, runName) } });
      }
      return events;
    }
    case 'DeleteRun': {
      requireRun(state, command.data.runId);
      if (state.lifecycleStage === 'deleted') return [];
      return [
        {
          type: 'RunDeleted',
          data: { runId: state.runId, experimentId: state.experimentId, time: command.metadata.now },
        },
      ];
    }
    case 'RestoreRun': {
      requireRun(state, command.data.runId);
      if (state.lifecycleStage === 'active') return [];
      return [
        {
          type: 'RunRestored',
          data: { runId: state.runId, experimentId: state.experimentId, time: command.metadata.now },
        },
      ];
    }
    case 'PurgeRun': {
      const { runId, experiment } = command.data;
      requireRun(state, runId);
      if (state.lifecycleStage !== 'deleted' && experiment.lifecycleStage !== 'deleted') {
        throw invalidParameter(`Run ${runId} is not in the deleted lifecycle stage; only deleted runs can be purged.`);
      }
      return [{ type: 'RunPurged', data: { runId, experimentId: state.experimentId, time: command.metadata.now } }];
    }
    case 'LogRunData':
      return decideLogData(command, state);
    case 'DeleteRunTag': {
      const { runId, experiment, key } = command.data;
      requireActiveRun(state, runId, experiment);
      if (!state.tagKeys.includes(key)) throw notFound(`No tag with name: ${key} in run with id ${runId}`);
      return [{ type: 'RunTagDeleted', data: { runId, key } }];
    }
    case 'LogRunInputs': {
      const { runId, experiment, datasets, modelIds } = command.data;
      datasets.forEach(validateDataset);
      requireActiveRun(state, runId, experiment);
      if (datasets.length === 0 && modelIds.length === 0) return [];
      return [{ type: 'RunInputsLogged', data: { runId, experimentId: state.experimentId, datasets, modelIds } }];
    }
    case 'LogRunOutputs': {
      const { runId, experiment, models } = command.data;
      requireActiveRun(state, runId, experiment);
      if (models.length === 0) return [];
      return [{ type: 'RunOutputsLogged', data: { runId, models } }];
    }
  }
}

function evolve(state: RunState, event: RunEvent): RunState {
  switch (event.type) {
    case 'RunCreated':
      return {
        exists: true,
        runId: event.data.runId,
        experimentId: event.data.experimentId,
        lifecycleStage: 'active',
        status: 'RUNNING',
        runName: event.data.runName,
        params: {},
        tagKeys: event.data.tags.map((t) => t.key),
      };
    case 'RunStatusChanged':
      return { ...state, status: event.data.status };
    case 'RunRenamed':
      return {
        ...state,
        runName: event.data.runName,
        tagKeys: state.tagKeys.includes(RUN_NAME_TAG) ? state.tagKeys : [...state.tagKeys, RUN_NAME_TAG],
      };
    case 'RunDeleted':
      return { ...state, lifecycleStage: 'deleted' };
    case 'RunRestored':
      return { ...state, lifecycleStage: 'active' };
    case 'RunPurged':
      return initialState();
    case 'RunDataLogged': {
      const params = { ...state.params };
      for (const p of event.data.params) params[p.key] = p.value;
      const tagKeys = [...new Set([...state.tagKeys, ...event.data.tags.map((t) => t.key)])];
      return { ...state, params, tagKeys };
    }
    case 'RunTagDeleted':
      return { ...state, tagKeys: state.tagKeys.filter((k) => k !== event.data.key) };
    case 'RunInputsLogged':
    case 'RunOutputsLogged':
      return state;
  }
}

export const runDecider: Decider<RunState, RunCommand, RunEvent> = { initialState, evolve, decide };

/** Raise with any change to the state's shape or to `evolve`: heads of another version are folded again. */
export const runStateVersion = 1;

export const runStream = { streamType: 'run', decider: runDecider, stateVersion: runStateVersion };

export const runStreamId = (runId: string) => `run-${runId}`;
