import { DomainEvent } from '../../../libs/eventstore/src/envelope';

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
export type ArtifactDeleted = DomainEvent<'ArtifactDeleted', { root: string; path: string; time: number }>;

export type ArtifactEvent = ArtifactStored | ArtifactDeleted;
