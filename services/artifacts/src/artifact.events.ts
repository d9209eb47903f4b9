import { DomainEvent } from '@logbook/eventstore';
import { ModelSummary } from './mlmodel';

/** The bytes are in storage before this is recorded; events carry facts about them, never the bytes. */
export type ArtifactStored = DomainEvent<
  'ArtifactStored',
  {
    root: string;
    runId: string | null;
    modelId: string | null;
    path: string;
    size: number;
    sha256: string;
    contentType: string | null;
    time: number;
  }
>;
/** A stored MLmodel file, summarised for the registry: which flavors, which signature, which input example. */
export type ModelDescribed = DomainEvent<
  'ModelDescribed',
  { root: string; runId: string | null; modelId: string | null; modelPath: string; summary: ModelSummary; time: number }
>;
export type ArtifactDeleted = DomainEvent<'ArtifactDeleted', { root: string; path: string; time: number }>;

export type ArtifactEvent = ArtifactStored | ModelDescribed | ArtifactDeleted;
