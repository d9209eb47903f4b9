import { DomainEvent } from '@logbook/eventstore';
import { Tag } from '../experiments/experiment.events';

export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** A metric value as JSON can carry it: non-finite doubles travel as protobuf JSON's strings. */
export type WireDouble = number | 'NaN' | 'Infinity' | '-Infinity';

export interface MetricPoint {
  key: string;
  value: WireDouble;
  timestamp: number;
  step: number;
  modelId?: string;
  datasetName?: string;
  datasetDigest?: string;
}

export interface DatasetInput {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema?: string;
  profile?: string;
  tags: Tag[];
}

export type RunCreated = DomainEvent<
  'RunCreated',
  {
    runId: string;
    experimentId: string;
    userId: string;
    runName: string;
    startTime: number;
    artifactUri: string;
    tags: Tag[];
  }
>;
export type RunStatusChanged = DomainEvent<
  'RunStatusChanged',
  { runId: string; status: RunStatus; endTime: number | null }
>;
export type RunRenamed = DomainEvent<'RunRenamed', { runId: string; runName: string }>;
export type RunDeleted = DomainEvent<'RunDeleted', { runId: string; experimentId: string; time: number }>;
export type RunRestored = DomainEvent<'RunRestored', { runId: string; experimentId: string; time: number }>;
/** One per log-batch (and per log-metric, log-parameter and set-tag): the volume path's single event. */
export type RunDataLogged = DomainEvent<
  'RunDataLogged',
  { runId: string; metrics: MetricPoint[]; params: Tag[]; tags: Tag[] }
>;
/** Permanent: the run and everything logged to it are gone (MLflow's `gc`); its artifacts are removed too. */
export type RunPurged = DomainEvent<'RunPurged', { runId: string; experimentId: string; time: number }>;
export type RunTagDeleted = DomainEvent<'RunTagDeleted', { runId: string; key: string }>;
export type RunInputsLogged = DomainEvent<
  'RunInputsLogged',
  { runId: string; experimentId: string; datasets: DatasetInput[]; modelIds: string[] }
>;
export type RunOutputsLogged = DomainEvent<
  'RunOutputsLogged',
  { runId: string; models: { modelId: string; step: number }[] }
>;

export type RunEvent =
  | RunCreated
  | RunStatusChanged
  | RunRenamed
  | RunDeleted
  | RunRestored
  | RunPurged
  | RunDataLogged
  | RunTagDeleted
  | RunInputsLogged
  | RunOutputsLogged;

export const RUN_NAME_TAG = 'mlflow.runName';

export function toWireDouble(value: number): WireDouble {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

export function fromWireDouble(value: WireDouble): number {
  return typeof value === 'number' ? value : Number(value);
}
