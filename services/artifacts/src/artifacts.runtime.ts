import { resolve } from 'node:path';
import { ARTIFACTS_PRODUCER, ARTIFACTS_TOPICS } from '@logbook/contracts';
import { EventEnvelope, EventStore } from '@logbook/eventstore';
import { Database, Logger } from '@logbook/platform';
import { ServiceDefinition, ServiceRuntime, startServiceRuntime, SubscriptionDefinition } from '@logbook/runtime';
import { ARTIFACTS_SCHEMA, artifactsMigrations } from '../migrations/001_initial';
import { artifactsToContract } from './artifacts.contracts';
import { artifactsProjection } from './artifacts.projection';
import { ArtifactsConfig } from './config';
import { OwnerAnnouncements } from './owners/owner-announcements';
import { ArtifactStorage } from './storage/artifact-storage';
import { LocalArtifactStorage } from './storage/local-storage';
import { S3ArtifactStorage } from './storage/s3-storage';
import { TRACKING_TOPICS, trackingEventsConsumer } from './tracking-events.consumer';

export const artifactsService: ServiceDefinition = {
  name: ARTIFACTS_PRODUCER,
  schema: ARTIFACTS_SCHEMA,
  migrations: artifactsMigrations,
  store: { projections: [artifactsProjection] },
  streamTypes: ARTIFACTS_TOPICS.map((topic) => topic.streamType),
  toContract: artifactsToContract,
};

export interface ArtifactsRuntime extends ServiceRuntime {
  config: ArtifactsConfig;
  storage: ArtifactStorage;
  /** Told by the consumer of tracking's events of each one it handled: what a wait for an owner listens to. */
  ownerAnnouncements: OwnerAnnouncements;
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

/** The service's migrated schema, its store and its storage, with nothing running (commands use this). */
export async function openArtifactsStore(config: ArtifactsConfig, logger: Logger): Promise<ArtifactsRuntime> {
  const storage = await createStorage(config);
  const runtime = await startServiceRuntime({ service: artifactsService, config, logger, role: 'command' });
  return { ...runtime, config, storage, ownerAnnouncements: new OwnerAnnouncements() };
}

/** `sharedDb`: the embedded shape's one database, which the caller opened and closes. */
export async function startArtifactsRuntime(
  config: ArtifactsConfig,
  logger: Logger,
  feed: TrackingFeed,
  sharedDb?: Database,
): Promise<ArtifactsRuntime> {
  const storage = await createStorage(config);
  const ownerAnnouncements = new OwnerAnnouncements();
  const trackingEvents = (store: EventStore): SubscriptionDefinition => {
    const consumer = trackingEventsConsumer({ store, storage, logger, onHandled: () => ownerAnnouncements.handled() });
    return feed.kind === 'kafka'
      ? { kind: 'kafka', consumer, topics: TRACKING_TOPICS }
      : { kind: 'in-process', consumer, source: feed.trackingStore, toContract: feed.toContract };
  };
  const runtime = await startServiceRuntime({
    service: artifactsService,
    config,
    logger,
    db: sharedDb,
    subscriptions: ({ store }) => [trackingEvents(store)],
  });
  return { ...runtime, config, storage, ownerAnnouncements };
}
