import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { TRACKING_PRODUCER, TRACKING_TOPICS } from '@logbook/contracts';
import {
  Database,
  PgliteDatabase,
  PostgresDatabase,
  Logger,
  databaseReadiness,
  ReadinessCheck,
  statusReadiness,
  waitForDatabase,
  migrate,
} from '@logbook/platform';
import { EventStore } from '@logbook/eventstore';
import { EventPublisher, InProcessEventBus, KafkaEventPublisher, OutboxRelay } from '@logbook/messaging';
import { TRACKING_SCHEMA, trackingMigrations } from '../migrations/001_initial';
import { TrackingConfig } from './config';
import { trackingToContract } from './tracking.contracts';
import { experimentsProjection } from './experiments/experiments.projection';
import { loggedModelsProjection } from './logged-models/logged-models.projection';
import { runsProjection } from './runs/runs.projection';

export const TRACKING_STREAM_TYPES = TRACKING_TOPICS.map((topic) => topic.streamType);
export const trackingProjections = [experimentsProjection, runsProjection, loggedModelsProjection];

/** Everything the tracking module runs on: its database, its event log, and the relay that publishes it. */
export interface TrackingRuntime {
  config: TrackingConfig;
  db: Database;
  store: EventStore;
  relay: OutboxRelay;
  publisher: EventPublisher;
  /** How the log's events are published (what an in-process subscriber over the log must apply too). */
  toContract: typeof trackingToContract;
  /** What /health/ready checks: the database, and whether the relay can publish. */
  readinessChecks: ReadinessCheck[];
  close(): Promise<void>;
}

export async function openTrackingDatabase(config: TrackingConfig): Promise<Database> {
  if (config.mode === 'distributed')
    return new PostgresDatabase(config.databaseUrl as string, config.dbPoolSize, config.dbIdleInTransactionTimeoutMs);
  const directory = resolve(config.dataDir, 'pg');
  mkdirSync(directory, { recursive: true });
  return PgliteDatabase.open(directory, config.embeddedDurability);
}

/** The tracking database, migrated, and its event store: what the service and its commands (rebuild, gc) run on. */
export async function openTrackingStore(
  config: TrackingConfig,
  logger: Logger,
  db?: Database,
): Promise<{ db: Database; store: EventStore }> {
  const database = db ?? (await openTrackingDatabase(config));
  if (!db && config.mode === 'embedded')
    logger.info({ durability: config.embeddedDurability }, 'embedded database opened');
  const applied = await migrate(database, TRACKING_SCHEMA, trackingMigrations);
  if (applied.length > 0) logger.info({ applied }, 'tracking migrations applied');
  const store = new EventStore(database, {
    schema: TRACKING_SCHEMA,
    producer: TRACKING_PRODUCER,
    projections: trackingProjections,
  });
  return { db: database, store };
}

export async function startTrackingRuntime(
  config: TrackingConfig,
  logger: Logger,
  db?: Database,
): Promise<TrackingRuntime> {
  const database = db ?? (await openTrackingDatabase(config));
  await waitForDatabase(database, logger);
  const { store } = await openTrackingStore(config, logger, database);
  // Kafka is not waited for: writes only need the database, and the relay publishes once Kafka answers.
  const publisher: EventPublisher =
    config.mode === 'distributed'
      ? new KafkaEventPublisher({
          brokers: config.kafkaBrokers,
          service: TRACKING_PRODUCER,
          streamTypes: TRACKING_STREAM_TYPES,
          clientId: config.kafkaClientId,
          logger,
        })
      : new InProcessEventBus(database, { logger });
  const relay = new OutboxRelay(store, publisher, { logger, toContract: trackingToContract });
  relay.start();
  return {
    config,
    db: database,
    store,
    relay,
    publisher,
    toContract: trackingToContract,
    readinessChecks: [databaseReadiness(database), statusReadiness('event-relay', () => relay.status(), 'degrades')],
    async close() {
      await relay.stop();
      await publisher.close();
      await database.close();
    },
  };
}
