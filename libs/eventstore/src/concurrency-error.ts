import { MlflowError } from '@logbook/platform';

/**
 * Raised by the event store when another writer appended to the stream first. The store retries it;
 * once retries run out the caller is told to retry later (503), as MLflow answers an overloaded server.
 */
export class ConcurrencyError extends MlflowError {
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
  ) {
    super('TEMPORARILY_UNAVAILABLE', 'Too many concurrent writes to the same entity; retry the request');
    this.name = 'ConcurrencyError';
  }
}
