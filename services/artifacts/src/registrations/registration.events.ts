import { DomainEvent } from '@logbook/eventstore';
import { ModelSummary } from '../mlmodel';

interface VersionKey {
  registeredModelId: string;
  name: string;
  version: number;
  source: string;
}

/** One copied file: its path under the version's folder, its size and sha256. */
export interface RegisteredFile {
  path: string;
  size: number;
  sha256: string;
}

/** The files are in registry storage before this is recorded. */
export type ModelVersionVerified = DomainEvent<
  'ModelVersionVerified',
  VersionKey & {
    digest: string;
    storageLocation: string;
    fileCount: number;
    totalSize: number;
    files: RegisteredFile[];
    summary: ModelSummary;
    time: number;
  }
>;
export type ModelVersionVerificationFailed = DomainEvent<
  'ModelVersionVerificationFailed',
  VersionKey & { message: string; time: number }
>;

export type RegistrationEvent = ModelVersionVerified | ModelVersionVerificationFailed;
