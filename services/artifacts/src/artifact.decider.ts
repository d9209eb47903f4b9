import { Decider } from '../../../libs/eventstore/src/decider';
import { CommandMetadata } from '../../../libs/eventstore/src/envelope';
import { invalidParameter, notFound } from '../../../libs/platform/src/errors';
import { ArtifactEvent } from './artifact.events';

/** The run or logged model an artifact path belongs to, as the artifacts service learned it from tracking's events. */
export interface OwnerFact {
  root: string;
  kind: 'run' | 'logged-model';
  ownerId: string;
  active: boolean;
}

export interface ArtifactRootState {
  storedPaths: number;
}

export type ArtifactCommand = { metadata: CommandMetadata } & (
  | {
      type: 'RecordArtifactStored';
      data: { owner: OwnerFact; path: string; size: number; sha256: string; contentType: string | null };
    }
  | { type: 'RecordArtifactsDeleted'; data: { root: string; paths: string[] } }
);

/** Refuses what may not be written: nothing outside a known run or logged model, nothing into a deleted one. */
export function checkWritable(owner: OwnerFact | undefined, path: string): OwnerFact {
  if (!owner) throw notFound(`No run or logged model owns the artifact path '${path}'`);
  if (!owner.active) {
    const what = owner.kind === 'run' ? `run ${owner.ownerId}` : `logged model ${owner.ownerId}`;
    throw invalidParameter(`Cannot write artifacts of the ${what}: it is deleted.`);
  }
  return owner;
}

export const artifactDecider: Decider<ArtifactRootState, ArtifactCommand, ArtifactEvent> = {
  initialState: () => ({ storedPaths: 0 }),
  evolve: (state, event) => ({
    storedPaths: state.storedPaths + (event.type === 'ArtifactStored' ? 1 : -1),
  }),
  decide(command) {
    const time = command.metadata.now;
    switch (command.type) {
      case 'RecordArtifactStored': {
        const { owner, path, size, sha256, contentType } = command.data;
        checkWritable(owner, path);
        return [
          {
            type: 'ArtifactStored',
            data: {
              root: owner.root,
              runId: owner.kind === 'run' ? owner.ownerId : null,
              modelId: owner.kind === 'logged-model' ? owner.ownerId : null,
              path,
              size,
              sha256,
              contentType,
              time,
            },
          },
        ];
      }
      case 'RecordArtifactsDeleted':
        return command.data.paths.map((path) => ({
          type: 'ArtifactDeleted' as const,
          data: { root: command.data.root, path, time },
        }));
    }
  },
};

export const artifactStream = { streamType: 'artifact', decider: artifactDecider };

export const artifactStreamId = (root: string) => `artifacts-${root}`;
