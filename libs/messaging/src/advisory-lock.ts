import { setTimeout as delay } from 'node:timers/promises';
import { Database, DatabaseSession, Logger } from '@logbook/platform';

export interface AdvisoryLockOptions {
  /** How often a replica that does not hold the lock tries again (default 1 s). */
  retryMs?: number;
  /** How often the holder checks that its session still answers (default 2 s). */
  heartbeatMs?: number;
  logger: Logger;
}

/** The lock as held: `lost` resolves when the session holding it is gone. */
export interface HeldLock {
  readonly lost: Promise<void>;
  release(): Promise<void>;
}

const NEVER = new Promise<void>(() => undefined);

/**
 * A Postgres session-level advisory lock held on a connection of its own, so that exactly one of the
 * replicas sharing a database does something. The server releases it the moment the holder's session
 * ends (process killed, connection cut, session terminated), and the next replica's attempt takes it.
 * A database owned by one process (PGlite) has no rival: the lock is held at once.
 */
export class AdvisoryLock {
  private readonly retryMs: number;
  private readonly heartbeatMs: number;

  constructor(
    private readonly db: Database,
    private readonly key: string,
    private readonly options: AdvisoryLockOptions,
  ) {
    this.retryMs = options.retryMs ?? 1000;
    this.heartbeatMs = options.heartbeatMs ?? 2000;
  }

  /**
   * Resolves with the lock once this process holds it, or undefined once `cancelled` resolves first.
   * While another replica holds it, one session of this process waits, trying again every `retryMs`.
   */
  async acquire(cancelled: Promise<void>): Promise<HeldLock | undefined> {
    if (!this.db.openSession) return { lost: NEVER, release: async () => undefined };
    let isCancelled = false;
    void cancelled.then(() => (isCancelled = true));
    let waiting: { session: DatabaseSession; alive: boolean } | undefined;
    while (!isCancelled) {
      try {
        if (!waiting?.alive) waiting = await this.openWaitingSession();
        const { rows } = await waiting.session.query<{ held: boolean }>(
          `SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS held`,
          [this.key],
        );
        if (rows[0].held) {
          if (isCancelled) break;
          return this.held(waiting.session);
        }
      } catch (error) {
        this.options.logger.debug({ err: error, lock: this.key }, 'advisory lock attempt failed');
        await waiting?.session.close();
        waiting = undefined;
      }
      await Promise.race([delay(this.retryMs), cancelled]);
    }
    await waiting?.session.close();
    return undefined;
  }

  private async openWaitingSession(): Promise<{ session: DatabaseSession; alive: boolean }> {
    const session = await (this.db.openSession as () => Promise<DatabaseSession>)();
    const waiting = { session, alive: true };
    void session.ended.then(() => (waiting.alive = false));
    return waiting;
  }

  private held(session: DatabaseSession): HeldLock {
    let released = false;
    const heartbeat = setInterval(() => {
      // A session whose peer vanished silently fails its next query; closing it resolves `ended`.
      session.query('SELECT 1').catch(() => session.close());
    }, this.heartbeatMs);
    void session.ended.then(() => clearInterval(heartbeat));
    return {
      lost: session.ended.then(() => {
        if (!released) this.options.logger.warn({ lock: this.key }, 'advisory lock lost with its session');
      }),
      release: async () => {
        released = true;
        clearInterval(heartbeat);
        // Ending the session releases the lock.
        await session.close();
      },
    };
  }
}
