import { DomainEvent } from '@logbook/eventstore';
import { Tag } from '../registered-models/registered-model.events';

export const REGISTRATION_STATUSES = ['PENDING_REGISTRATION', 'FAILED_REGISTRATION', 'READY'] as const;
export type RegistrationStatus = (typeof REGISTRATION_STATUSES)[number];

interface VersionKey {
  registeredModelId: string;
  name: string;
  version: number;
}

export type ModelVersionCreated = DomainEvent<
  'ModelVersionCreated',
  VersionKey & {
    source: string;
    runId: string | null;
    /** The client named no run: runId is the source logged model's. */
    runIdInferred?: true;
    runLink: string | null;
    description: string | null;
    /** The MLflow 3 logged model the version promotes, if any. */
    modelId: string | null;
    tags: Tag[];
    time: number;
  }
>;
export type ModelVersionRegistrationCompleted = DomainEvent<
  'ModelVersionRegistrationCompleted',
  VersionKey & { digest: string; storageLocation: string | null; time: number }
>;
export type ModelVersionRegistrationFailed = DomainEvent<
  'ModelVersionRegistrationFailed',
  VersionKey & { statusMessage: string; time: number }
>;
export type ModelVersionDescriptionUpdated = DomainEvent<
  'ModelVersionDescriptionUpdated',
  VersionKey & { description: string | null; time: number }
>;
export type ModelVersionTagSet = DomainEvent<
  'ModelVersionTagSet',
  VersionKey & { key: string; value: string; time: number }
>;
export type ModelVersionTagDeleted = DomainEvent<'ModelVersionTagDeleted', VersionKey & { key: string; time: number }>;
export type ModelVersionDeleted = DomainEvent<'ModelVersionDeleted', VersionKey & { time: number }>;

export type ModelVersionEvent =
  | ModelVersionCreated
  | ModelVersionRegistrationCompleted
  | ModelVersionRegistrationFailed
  | ModelVersionDescriptionUpdated
  | ModelVersionTagSet
  | ModelVersionTagDeleted
  | ModelVersionDeleted;
