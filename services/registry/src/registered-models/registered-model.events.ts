import { DomainEvent } from '@logbook/eventstore';
import { Stage } from '../shared/limits';

export interface Tag {
  key: string;
  value: string;
}

export type RegisteredModelCreated = DomainEvent<
  'RegisteredModelCreated',
  { registeredModelId: string; name: string; description: string | null; tags: Tag[]; time: number }
>;
export type RegisteredModelRenamed = DomainEvent<
  'RegisteredModelRenamed',
  { registeredModelId: string; name: string; previousName: string; time: number }
>;
export type RegisteredModelDescriptionUpdated = DomainEvent<
  'RegisteredModelDescriptionUpdated',
  { registeredModelId: string; name: string; description: string; time: number }
>;
export type RegisteredModelDeleted = DomainEvent<
  'RegisteredModelDeleted',
  { registeredModelId: string; name: string; time: number }
>;
export type RegisteredModelTagSet = DomainEvent<
  'RegisteredModelTagSet',
  { registeredModelId: string; name: string; key: string; value: string; time: number }
>;
export type RegisteredModelTagDeleted = DomainEvent<
  'RegisteredModelTagDeleted',
  { registeredModelId: string; name: string; key: string; time: number }
>;
export type RegisteredModelAliasSet = DomainEvent<
  'RegisteredModelAliasSet',
  {
    registeredModelId: string;
    name: string;
    alias: string;
    version: number;
    /** The version the alias pointed to before it moved; null when it is new. */
    previousVersion: number | null;
    /** The approved transition request the system applied it for; absent when a user changed it directly. */
    requestId?: string;
    time: number;
  }
>;
export type RegisteredModelAliasDeleted = DomainEvent<
  'RegisteredModelAliasDeleted',
  { registeredModelId: string; name: string; alias: string; version: number; time: number }
>;
/** The model counted a new version; the version's own stream records what it is. */
export type ModelVersionNumberAssigned = DomainEvent<
  'ModelVersionNumberAssigned',
  { registeredModelId: string; name: string; version: number; time: number }
>;
export type ModelVersionStageTransitioned = DomainEvent<
  'ModelVersionStageTransitioned',
  {
    registeredModelId: string;
    name: string;
    version: number;
    stage: Stage;
    previousStage: Stage;
    /** Other versions that were in `stage` and moved to Archived (archive_existing_versions). */
    archivedVersions: number[];
    /** The approved transition request the system applied it for; absent when a user changed it directly. */
    requestId?: string;
    time: number;
  }
>;
/** A deleted version leaves the model: its stage and the aliases that pointed to it go. */
export type ModelVersionWithdrawn = DomainEvent<
  'ModelVersionWithdrawn',
  { registeredModelId: string; name: string; version: number; removedAliases: string[]; time: number }
>;

export type RegisteredModelEvent =
  | RegisteredModelCreated
  | RegisteredModelRenamed
  | RegisteredModelDescriptionUpdated
  | RegisteredModelDeleted
  | RegisteredModelTagSet
  | RegisteredModelTagDeleted
  | RegisteredModelAliasSet
  | RegisteredModelAliasDeleted
  | ModelVersionNumberAssigned
  | ModelVersionStageTransitioned
  | ModelVersionWithdrawn;
