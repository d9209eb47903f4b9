import { Decider } from '@logbook/eventstore';
import { CommandMetadata, invalidParameter, notFound } from '@logbook/platform';
import { posix } from 'node:path';
import { ArtifactEvent } from './artifact.events';
import { ModelSummary } from './mlmodel';

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
      data: {
        owner: OwnerFact;
        path: string;
        size: number;
        sha256: string;
        contentType: string | null;
        model?: ModelSummary;
      };
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
  evolve: (state, event) => {
    if (event.type === 'ModelDescribed') return state;
    return { storedPaths: state.storedPaths + (event.type === 'ArtifactStored' ? 1 : -1) };
  },
  decide(command) {
    const time = command.metadata.now;
    switch (command.type) {
      case 'RecordArtifactStored': {
        const { owner, path, size, sha256, contentType, model } = command.data;
        checkWritable(owner, path);
        const runId = owner.kind === 'run' ? owner.ownerId : null;
        const modelId = owner.kind === 'logged-model' ? owner.ownerId : null;
        const described: ArtifactEvent[] = model
          ? [
              {
                type: 'ModelDescribed',
                data: { root: owner.root, runId, modelId, modelPath: posix.dirname(path), summary: model, time },
              },
            ]
          : [];
        return [
          {
            type: 'ArtifactStored',
            data: {
              root: owner.root,
              runId,
              modelId,
              path,
              size,
              sha256,
              contentType,
              time,
            },
          },
          ...described,
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

/** Raise with any change to the state's shape or to `evolve`: heads of another version are folded again. */
export const artifactStateVersion = 1;

export const artifactStream = { streamType: 'artifact', decider: artifactDecider, stateVersion: artifactStateVersion };

export const artifactStreamId = (root: string) => `artifacts-${root}`;
