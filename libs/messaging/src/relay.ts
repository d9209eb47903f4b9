import { setImmediate as nextTurnOfEventLoop } from 'node:timers/promises';
import { EventEnvelope, EventStore } from '@logbook/eventstore';
import {
  Logger,
  RelayLag,
  reportRelayLag,
  backoffDelay,
  DependencyStatus,
  Outage,
  relayPublishFailures,
} from '@logbook/platform';
import { defaultLogger } from './consumer';
import { LOG_START, LogPosition, readEvents } from './event-log';
import { EventPublisher } from './publisher';

/** Appended events a relay keeps in memory until published: a log-batch's event holds about 200 kB of objects. */
const MAX_HELD_EVENTS = 128;

/** What leaves a service for one stored event: the events of its public contracts (usually one). */
export type ContractMapper = (event: EventEnvelope) => EventEnvelope[];

export interface OutboxRelayOptions {
  /** Checkpoint row in `<schema>.checkpoints` (default `relay`). */
  name?: string;
  /** Events per read and publish (default 500). */
  batchSize?: number;
  /** Polling fallback when no append wakes the relay (default 200 ms). */
  pollIntervalMs?: number;
  /** Ceiling of the retry backoff after a failure (default 10 s). */
  maxBackoffMs?: number;
  /** Export the lag gauges while started (default true); a RelaySubscription exports them itself. */
  reportLag?: boolean;
  logger?: Logger;
  /** What leaves the service for a stored event: its public contracts (the service's publisher mapping). */
  toContract?: ContractMapper;
}

/**
 * Publishes the service's committed events in commit order, at least once. It reads `<schema>.events`
 * after its checkpoint with readEvents, which never skips an event whose transaction commits late.
 * After the publisher accepted a batch the checkpoint moves; dying in between publishes the batch
 * again, which consumers' inboxes absorb.
 */
export class OutboxRelay {
  private readonly name: string;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly maxBackoffMs: number;
  /** `<schema>.<name>`: the relay's label in logs and metrics. */
  readonly label: string;
  private readonly reportLag: boolean;
  private readonly toContract: ContractMapper;
  private readonly outage: Outage;
  private checkpoint?: LogPosition;
  /** Events this process appended and the relay has not published yet, by id (see readEvents' `held`). */
  private readonly held = new Map<string, EventEnvelope>();
  private stopReportingLag?: () => void;
  private exclusiveTail: Promise<unknown> = Promise.resolve();
  private running = false;
  private loop?: Promise<void>;
  private woken = false;
  private interruptible = false;
  private interrupt?: () => void;

  constructor(
    private readonly store: EventStore,
    private readonly publisher: EventPublisher,
    options: OutboxRelayOptions = {},
  ) {
    this.name = options.name ?? 'relay';
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 200;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.toContract = options.toContract ?? ((event) => [event]);
    this.label = `${store.schema}.${this.name}`;
    this.reportLag = options.reportLag ?? true;
    const logger = (options.logger ?? defaultLogger()).child({ relay: this.label });
    this.outage = new Outage(logger, 'outbox relay');
    store.onAppended((events) => {
      this.hold(events);
      this.wake();
    });
  }

  /**
   * Publishes in the background until stop(): at once after each append, else every poll interval.
   * While the transport or the database fails, it retries with backoff; writes keep being
   * acknowledged meanwhile, since they only need the database, and are published once it recovers.
   */
  start(): void {
    if (this.running) return;
    this.running = true;
    // Another replica may have published since this one last ran: the stored checkpoint is the truth.
    this.checkpoint = undefined;
    if (this.reportLag) this.stopReportingLag = reportRelayLag(this.label, () => this.lagDetails());
    this.loop = this.run();
  }

  /** Down while the last attempt to publish failed. */
  status(): DependencyStatus {
    return this.outage.status();
  }

  /** Ends the loop after the batch in flight, if any, is published and checkpointed. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopReportingLag?.();
    this.interrupt?.();
    await this.loop;
    await this.exclusiveTail;
  }

  /**
   * Keeps what was just appended for the next read. Bounded: another replica may be the one publishing,
   * a rolled-back transaction's events never commit, and an unreachable transport holds up publishing;
   * what no longer fits is read back from the log with its payload.
   */
  private hold(events: readonly EventEnvelope[]): void {
    for (const event of events) this.held.set(event.eventId, event);
    for (const eventId of this.held.keys()) {
      if (this.held.size <= MAX_HELD_EVENTS) break;
      this.held.delete(eventId);
    }
  }

  /** Asks the loop to look for new events now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    if (this.interruptible) this.interrupt?.();
  }

  /**
   * Publishes until nothing publishable is left. Events of transactions still running (and of
   * transactions that started after one still running) wait for the next call. Throws on failure.
   */
  async drain(): Promise<void> {
    while ((await this.publishNext()) > 0);
  }

  /** Publishes one batch; returns how many events it published. */
  publishNext(): Promise<number> {
    const result = this.exclusiveTail.then(() => this.publishBatch());
    this.exclusiveTail = result.catch(() => undefined);
    return result;
  }

  /** Committed events not yet published. */
  async lag(): Promise<number> {
    return (await this.lagDetails()).pendingEvents;
  }

  /**
   * Committed events not yet published, and the age of the oldest (exported as gauges while running).
   * Measured from the stored checkpoint, which whichever replica publishes moves.
   */
  async lagDetails(): Promise<RelayLag> {
    const { rows } = await this.store.db.query<{ pending: number; oldest: number | null }>(
      `SELECT count(*)::int AS pending, extract(epoch FROM clock_timestamp() - min(occurred_at))::float8 AS oldest
       FROM ${this.store.schema}.events
       WHERE (transaction_id, global_position) > (
         coalesce((SELECT transaction_id FROM ${this.store.schema}.checkpoints WHERE name = $1), '0'::xid8),
         coalesce((SELECT global_position FROM ${this.store.schema}.checkpoints WHERE name = $1), 0))`,
      [this.name],
    );
    return { pendingEvents: rows[0].pending, oldestPendingSeconds: Math.max(0, rows[0].oldest ?? 0) };
  }

  private async publishBatch(): Promise<number> {
    const { db, schema } = this.store;
    const batch = await readEvents(this.store, await this.currentCheckpoint(), this.batchSize, this.held);
    if (batch.length === 0) return 0;
    await this.publisher.publish(batch.flatMap(({ event }) => this.toContract(event)));
    for (const { event } of batch) this.held.delete(event.eventId);
    const next = batch[batch.length - 1].position;
    await db.query(
      `INSERT INTO ${schema}.checkpoints (name, transaction_id, global_position) VALUES ($1, $2::xid8, $3)
       ON CONFLICT (name) DO UPDATE SET transaction_id = EXCLUDED.transaction_id, global_position = EXCLUDED.global_position`,
      [this.name, next.transactionId, next.globalPosition],
    );
    this.checkpoint = next;
    return batch.length;
  }

  private async currentCheckpoint(): Promise<LogPosition> {
    if (this.checkpoint) return this.checkpoint;
    const { rows } = await this.store.db.query<{ transaction_id: string; global_position: number }>(
      `SELECT transaction_id::text AS transaction_id, global_position FROM ${this.store.schema}.checkpoints WHERE name = $1`,
      [this.name],
    );
    this.checkpoint =
      rows.length === 0
        ? LOG_START
        : { transactionId: rows[0].transaction_id, globalPosition: Number(rows[0].global_position) };
    return this.checkpoint;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        // Connecting before there is anything to publish makes an unreachable transport show at once.
        await this.publisher.connect?.();
        const published = await this.publishNext();
        failures = 0;
        this.outage.recovered();
        if (published < this.batchSize) await this.sleep(this.pollIntervalMs, true);
        // PGlite answers without I/O, so a catch-up over it would be promise continuations only, holding off
        // HTTP and timers until the whole backlog is delivered: one turn of the event loop per full batch.
        else await nextTurnOfEventLoop();
      } catch (error) {
        failures++;
        relayPublishFailures.inc({ relay: this.label });
        const retryInMs = backoffDelay(failures + 1, this.pollIntervalMs, this.maxBackoffMs);
        this.outage.failed(error, retryInMs);
        await this.sleep(retryInMs, false);
      }
    }
  }

  /** Waits `ms`; stop() always cuts it short, wake() only when `interruptible` (not during a backoff). */
  private async sleep(ms: number, interruptible: boolean): Promise<void> {
    if (!this.running || (interruptible && this.woken)) {
      this.woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      this.interruptible = interruptible;
      this.interrupt = done;
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
    this.interrupt = undefined;
    this.interruptible = false;
    if (interruptible) this.woken = false;
  }
}
