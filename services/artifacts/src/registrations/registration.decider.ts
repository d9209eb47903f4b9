import { createHash } from 'node:crypto';
import { Decider } from '@logbook/eventstore';
import { CommandMetadata } from '@logbook/platform';
import { ModelSummary } from '../mlmodel';
import { RegisteredFile, RegistrationEvent } from './registration.events';

export interface RegistrationState {
  outcome: 'none' | 'verified' | 'failed';
}

interface RegistrationKey {
  registeredModelId: string;
  name: string;
  version: number;
  source: string;
}

export type RegistrationCommand = { metadata: CommandMetadata } & (
  | {
      type: 'RecordVerified';
      data: RegistrationKey & { storageLocation: string; files: RegisteredFile[]; summary: ModelSummary };
    }
  | { type: 'RecordVerificationFailed'; data: RegistrationKey & { message: string } }
);

const byPath = (a: RegisteredFile, b: RegisteredFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** `sha256:` and the SHA-256 of one line `<path> <sha256>` per file, sorted by path: the same files give the same digest. */
export function contentDigest(files: RegisteredFile[]): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort(byPath)) hash.update(`${file.path} ${file.sha256}\n`);
  return `sha256:${hash.digest('hex')}`;
}

const keyOf = ({ registeredModelId, name, version, source }: RegistrationKey): RegistrationKey => ({
  registeredModelId,
  name,
  version,
  source,
});

/** A version is verified or refused once: a copy redone after a redelivery or a restart records nothing more. */
export const registrationDecider: Decider<RegistrationState, RegistrationCommand, RegistrationEvent> = {
  initialState: () => ({ outcome: 'none' }),
  evolve: (_state, event) => ({ outcome: event.type === 'ModelVersionVerified' ? 'verified' : 'failed' }),
  decide(command, state) {
    if (state.outcome !== 'none') return [];
    const time = command.metadata.now;
    if (command.type === 'RecordVerificationFailed') {
      return [
        {
          type: 'ModelVersionVerificationFailed',
          data: { ...keyOf(command.data), message: command.data.message, time },
        },
      ];
    }
    const { files, storageLocation, summary } = command.data;
    const sorted = [...files].sort(byPath);
    return [
      {
        type: 'ModelVersionVerified',
        data: {
          ...keyOf(command.data),
          digest: contentDigest(sorted),
          storageLocation,
          fileCount: sorted.length,
          totalSize: sorted.reduce((total, file) => total + file.size, 0),
          files: sorted,
          summary,
          time,
        },
      },
    ];
  },
};

/** Raise with any change to the state's shape or to `evolve`: heads of another version are folded again. */
export const registrationStateVersion = 1;

export const registrationStream = {
  streamType: 'registration',
  decider: registrationDecider,
  stateVersion: registrationStateVersion,
};

export const registrationStreamId = (registeredModelId: string, version: number) =>
  `registration-${registeredModelId}-${version}`;
