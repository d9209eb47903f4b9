import { DomainEvent } from '@logbook/eventstore';

export interface Tag {
  key: string;
  value: string;
}

export type ExperimentCreated = DomainEvent<
  'ExperimentCreated',
  { experimentId: string; name: string; artifactLocation: string; tags: Tag[]; creationTime: number }
>;
export type ExperimentRenamed = DomainEvent<'ExperimentRenamed', { experimentId: string; name: string; time: number }>;
export type ExperimentDeleted = DomainEvent<'ExperimentDeleted', { experimentId: string; time: number }>;
export type ExperimentRestored = DomainEvent<'ExperimentRestored', { experimentId: string; time: number }>;
export type ExperimentTagSet = DomainEvent<
  'ExperimentTagSet',
  { experimentId: string; key: string; value: string; time: number }
>;
export type ExperimentTagDeleted = DomainEvent<
  'ExperimentTagDeleted',
  { experimentId: string; key: string; time: number }
>;

export type ExperimentEvent =
  | ExperimentCreated
  | ExperimentRenamed
  | ExperimentDeleted
  | ExperimentRestored
  | ExperimentTagSet
  | ExperimentTagDeleted;
