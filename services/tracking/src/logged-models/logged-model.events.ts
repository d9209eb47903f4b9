import { DomainEvent } from '@logbook/eventstore';
import { Tag } from '../experiments/experiment.events';

export const LOGGED_MODEL_STATUSES = [
  'LOGGED_MODEL_PENDING',
  'LOGGED_MODEL_READY',
  'LOGGED_MODEL_UPLOAD_FAILED',
] as const;
export type LoggedModelStatus = (typeof LOGGED_MODEL_STATUSES)[number];
/** The statuses a client may finalize a logged model with. */
export const FINAL_STATUSES = [
  'LOGGED_MODEL_READY',
  'LOGGED_MODEL_UPLOAD_FAILED',
] as const satisfies readonly LoggedModelStatus[];
export const isFinalStatus = (status: string): status is (typeof FINAL_STATUSES)[number] =>
  (FINAL_STATUSES as readonly string[]).includes(status);

export type LoggedModelCreated = DomainEvent<
  'LoggedModelCreated',
  {
    modelId: string;
    experimentId: string;
    name: string;
    artifactUri: string;
    modelType: string | null;
    sourceRunId: string | null;
    params: Tag[];
    tags: Tag[];
    time: number;
  }
>;
export type LoggedModelFinalized = DomainEvent<
  'LoggedModelFinalized',
  { modelId: string; status: LoggedModelStatus; time: number }
>;
export type LoggedModelDeleted = DomainEvent<'LoggedModelDeleted', { modelId: string; time: number }>;
export type LoggedModelTagsSet = DomainEvent<'LoggedModelTagsSet', { modelId: string; tags: Tag[]; time: number }>;
export type LoggedModelTagDeleted = DomainEvent<
  'LoggedModelTagDeleted',
  { modelId: string; key: string; time: number }
>;
export type LoggedModelParamsLogged = DomainEvent<
  'LoggedModelParamsLogged',
  { modelId: string; params: Tag[]; time: number }
>;

export type LoggedModelEvent =
  | LoggedModelCreated
  | LoggedModelFinalized
  | LoggedModelDeleted
  | LoggedModelTagsSet
  | LoggedModelTagDeleted
  | LoggedModelParamsLogged;
