import { resolve } from 'node:path';
import { ARTIFACTS_PRODUCER } from '@logbook/contracts';
import { EventEnvelope, EventStore } from '@logbook/eventstore';
import {
  EventPublisher,
  InProcessEventBus,
  KafkaEventConsumer,
  KafkaEventPublisher,
  OutboxRelay,
} from '@logbook/messaging';
import {
  Database,
  PostgresDatabase,
  Logger,
  databaseReadiness,
  ReadinessCheck,
  statusReadiness,
  waitForDatabase,
  migrate,
} from '@logbook/platform';
import { ARTIFACTS_SCHEMA, artifactsMigrations } from '../migrations/001_initial';
import { artifactsToContract } from './artifacts.contracts';
import { ArtifactsService } from './artifacts.service';
import { artifactsProjection } from './artifacts.projection';
import { ArtifactsConfig } from './config';
import { ArtifactStorage } from './storage/artifact-storage';
import { LocalArtifactStorage } from './storage/local-storage';
import { S3ArtifactStorage } from './storage/s3-storage';
import { TRACKING_EVENTS_CONSUMER, TRACKING_TOPICS, trackingEventsConsumer } from './tracking-events.consumer';

export interface ArtifactsRuntime {
  config: ArtifactsConfig;
  db: Database;
  store: EventStore;
  storage: ArtifactStorage;
  service: ArtifactsService;
  /** What /health/ready checks: the database, the relay and the feed of tracking's events. */
  readinessChecks: ReadinessCheck[];
  close(): Promise<void>;
}

/**
 * Where the artifacts service learns of runs and logged models: Kafka, or the tracking log itself when
 * embedded, read through tracking's contract mapping as Kafka would carry it.
 */
export type TrackingFeed =
  | { kind: 'kafka' }
  | { kind: 'in-process'; trackingStore: EventStore; toContract: (event: EventEnvelope) => EventEnvelope };

export async function createStorage(config: ArtifactsConfig): Promise<ArtifactStorage> {
  return config.backend === 's3'
    ? new S3ArtifactStorage(config.s3)
    : LocalArtifactStorage.open(resolve(config.localRoot));
}

/** The service over its migrated schema and its store, without the relay or the tracking feed (commands use this). */
export async function openArtifactsStore(config: ArtifactsConfig, db: Database, logger: Logger) {
  const applied = await migrate(db, ARTIFACTS_SCHEMA, artifactsMigrations);
  if (applied.length > 0) logger.info({ applied }, 'artifacts migrations applied');
  const store = new EventStore(db, {
    schema: ARTIFACTS_SCHEMA,
    producer: ARTIFACTS_PRODUCER,
    projections: [artifactsProjection],
  });
  const storage = await createStorage(config);
  const service = new ArtifactsService(store, db, storage, {
    maxUploadBytes: config.maxUploadBytes,
    ownerWaitMs: config.ownerWaitMs,
    transferOffload: config.transferOffload,
  });
  return { store, storage, service };
}

export async function startArtifactsRuntime(
  config: ArtifactsConfig,
  logger: Logger,
  feed: TrackingFeed,
  sharedDb?: Database,
): Promise<ArtifactsRuntime> {
  const db =
    sharedDb ??
    new PostgresDatabase(config.databaseUrl as string, config.dbPoolSize, config.dbIdleInTransactionTimeoutMs);
  await waitForDatabase(db, logger);
  const { store, storage, service } = await openArtifactsStore(config, db, logger);
  // Kafka is not waited for: the relay and the consumer connect, and reconnect, in the background.
  const publisher: EventPublisher =
    config.mode === 'distributed'
      ? new KafkaEventPublisher({
          brokers: config.kafkaBrokers,
          service: ARTIFACTS_PRODUCER,
          streamTypes: ['artifact'],
          clientId: 'logbook-artifacts',
          logger,
        })
      : new InProcessEventBus(db, { logger });
  const relay = new OutboxRelay(store, publisher, { logger, toContract: artifactsToContract });
  relay.start();

  const readinessChecks = [databaseReadiness(db), statusReadiness('event-relay', () => relay.status(), 'degrades')];
  let stopFeed: () => Promise<void>;
  if (feed.kind === 'kafka') {
    const consumer = new KafkaEventConsumer(db, trackingEventsConsumer({ store, storage, logger }), {
      brokers: config.kafkaBrokers,
      topics: TRACKING_TOPICS,
      clientId: 'logbook-artifacts',
      logger,
    });
    const joining = consumer.start();
    readinessChecks.push(statusReadiness('tracking-events', () => consumer.status()));
    stopFeed = async () => {
      await consumer.stop();
      await joining;
    };
  } else {
    // Embedded: a relay of its own over tracking's log, with its own checkpoint, delivers to this consumer.
    const bus = new InProcessEventBus(db, { logger });
    bus.subscribe(trackingEventsConsumer({ store, storage, logger }));
    const feedRelay = new OutboxRelay(feed.trackingStore, bus, {
      name: TRACKING_EVENTS_CONSUMER,
      logger,
      toContract: feed.toContract,
    });
    feedRelay.start();
    readinessChecks.push(statusReadiness('tracking-events', () => feedRelay.status()));
    stopFeed = () => feedRelay.stop();
  }

  return {
    config,
    db,
    store,
    storage,
    service,
    readinessChecks,
    async close() {
      await stopFeed();
      await relay.stop();
      await publisher.close();
      if (!sharedDb) await db.close();
    },
  };
}
