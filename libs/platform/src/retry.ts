import { setTimeout as delay } from 'node:timers/promises';
import { Database } from './database';
import { Logger } from './logger';

/** Wait before attempt `failures + 1`: doubles from `initialMs` per failure, capped at `maxMs`. */
export function backoffDelay(failures: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, failures - 1));
}

/** Whether a dependency answers, as the last attempt to use it found. */
export interface DependencyStatus {
  /** False until a first attempt succeeded, and while attempts fail. */
  up: boolean;
  /** Why it is down. */
  error?: string;
  /** Failed attempts since it last answered. */
  failures: number;
}

/**
 * The state of one dependency (a broker, a database) seen through attempts to use it. It logs the
 * first failure of an outage and the recovery, never each retry, so a dependency that is down for
 * an hour costs two log lines, not thousands.
 */
export class Outage {
  private failures = 0;
  private since = 0;
  private lastError?: string;
  private answered = false;

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
  ) {}

  /** `retryInMs`: when the next attempt is due, if the caller schedules it. */
  failed(error: unknown, retryInMs?: number): void {
    this.failures++;
    this.lastError = error instanceof Error ? error.message : String(error);
    if (this.failures > 1) return;
    this.since = Date.now();
    this.logger.warn({ err: error, retryInMs }, `${this.what}: failing; retrying with backoff until it recovers`);
  }

  recovered(): void {
    this.answered = true;
    if (this.failures === 0) return;
    this.logger.info({ failedAttempts: this.failures, downForMs: Date.now() - this.since }, `${this.what}: recovered`);
    this.failures = 0;
    this.lastError = undefined;
  }

  status(): DependencyStatus {
    const up = this.answered && this.failures === 0;
    return { up, error: up ? undefined : (this.lastError ?? 'not connected yet'), failures: this.failures };
  }
}

export interface RetryOptions {
  /** Errors worth another attempt; any other is thrown at once. */
  isTransient: (error: unknown) => boolean;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/** Runs `work` until it succeeds, waiting with backoff after each transient failure; logs the outage once. */
export async function retryTransient<T>(outage: Outage, work: () => Promise<T>, options: RetryOptions): Promise<T> {
  const initialMs = options.initialDelayMs ?? 250;
  const maxMs = options.maxDelayMs ?? 10_000;
  for (let failures = 1; ; failures++) {
    try {
      const result = await work();
      outage.recovered();
      return result;
    } catch (error) {
      if (!options.isTransient(error)) throw error;
      const retryInMs = backoffDelay(failures, initialMs, maxMs);
      outage.failed(error, retryInMs);
      await delay(retryInMs);
    }
  }
}

/** Network failures, and Postgres' connection, shutdown and overload states: the server may answer later. */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EPIPE',
]);
const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** True when a database error says "not now" rather than "never" (wrong password, no such database). */
export function isTransientDatabaseError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  // Node reports a refused connection to every address of a host name as one AggregateError.
  if (error instanceof AggregateError && error.errors.some(isTransientDatabaseError)) return true;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (TRANSIENT_NETWORK_CODES.has(code) || TRANSIENT_SQLSTATES.has(code))) return true;
  if (typeof code === 'string' && code.startsWith('08')) return true;
  return typeof message === 'string' && /Connection terminated|timeout exceeded when trying to connect/.test(message);
}

/** Waits until the database answers, so a service started before its database comes up instead of exiting. */
export async function waitForDatabase(db: Database, logger: Logger): Promise<void> {
  await retryTransient(new Outage(logger, 'database'), () => db.query('SELECT 1'), {
    isTransient: isTransientDatabaseError,
  });
}
