import { EventStore } from '@logbook/eventstore';
import { Logger, reportRelayLag, DependencyStatus } from '@logbook/platform';
import { AdvisoryLock } from './advisory-lock';
import { defaultLogger, KafkaEventConsumer } from './consumer';
import { EventPublisher } from './publisher';
import { OutboxRelay, OutboxRelayOptions } from './relay';

/**
 * A named flow of events a service runs: its log relayed to a transport (Kafka, or in-process
 * delivery to a consumer), or a transport's events consumed. The name is its checkpoint or group.
 */
export interface Subscription {
  readonly name: string;
  start(): void;
  /** Down while its last attempt failed; a standby replica is up. */
  status(): DependencyStatus;
  stop(): Promise<void>;
}

export interface RelaySubscriptionOptions extends Omit<OutboxRelayOptions, 'name'> {
  /** How often a standby replica tries to take the relay over (default 1 s). */
  lockRetryMs?: number;
  /** How often the publishing replica checks its lock's session (default 2 s). */
  lockHeartbeatMs?: number;
}

/**
 * The outbox relay of `store` into `publisher`, checkpointed under `name`. Exactly one replica sharing
 * the database publishes: the one holding the advisory lock of (schema, name). The others wait and
 * take over within `lockRetryMs` of the holder's session ending. Delivery stays at least once: a batch
 * in flight when the lock is lost may be published again by the next holder.
 */
export class RelaySubscription implements Subscription {
  readonly relay: OutboxRelay;
  private readonly lock: AdvisoryLock;
  private readonly logger: Logger;
  private running = false;
  private leading = false;
  private stopped!: Promise<void>;
  private signalStop!: () => void;
  private loop?: Promise<void>;
  private stopReportingLag?: () => void;

  constructor(
    readonly name: string,
    store: EventStore,
    private readonly publisher: EventPublisher,
    options: RelaySubscriptionOptions = {},
  ) {
    this.logger = (options.logger ?? defaultLogger()).child({ subscription: `${store.schema}.${name}` });
    this.relay = new OutboxRelay(store, publisher, { ...options, name, reportLag: false, logger: options.logger });
    this.lock = new AdvisoryLock(store.db, `logbook-subscription:${store.schema}.${name}`, {
      retryMs: options.lockRetryMs,
      heartbeatMs: options.lockHeartbeatMs,
      logger: this.logger,
    });
  }

  /** Whether this replica holds the lock and publishes. */
  get isPublishing(): boolean {
    return this.leading;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopped = new Promise((resolve) => (this.signalStop = resolve));
    // Every replica exports the lag, the standby ones too: a lag that grows while no replica publishes shows.
    this.stopReportingLag = reportRelayLag(this.relay.label, () => this.relay.lagDetails());
    this.loop = this.lead();
  }

  status(): DependencyStatus {
    return this.leading ? this.relay.status() : { up: true, failures: 0 };
  }

  /** Stops publishing (after the batch in flight) and closes the publisher. */
  async stop(): Promise<void> {
    if (this.running) {
      this.running = false;
      this.stopReportingLag?.();
      this.signalStop();
      await this.loop;
    }
    await this.publisher.close();
  }

  private async lead(): Promise<void> {
    while (this.running) {
      const held = await this.lock.acquire(this.stopped);
      if (!held) return;
      this.leading = true;
      this.logger.info('publishing: this replica holds the relay lock');
      this.relay.start();
      await Promise.race([held.lost, this.stopped]);
      await this.relay.stop();
      this.leading = false;
      await held.release();
    }
  }
}

/** A Kafka consumer group as a subscription. */
export class ConsumerSubscription implements Subscription {
  private joining?: Promise<void>;

  constructor(
    readonly name: string,
    private readonly consumer: KafkaEventConsumer,
  ) {}

  start(): void {
    this.joining ??= this.consumer.start();
  }

  status(): DependencyStatus {
    return this.consumer.status();
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
    await this.joining;
  }
}
