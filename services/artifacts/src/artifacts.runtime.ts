import { resolve } from 'node:path';
import { EventStore } from '../../../libs/eventstore/src/event-store';
import { Database } from '../../../libs/platform/src/database';
import { Logger } from '../../../libs/platform/src/logger';
import {
  ServiceDefinition,
  ServiceRuntime,
  startServiceRuntime,
  SubscriptionDefinition,
} from '../../../libs/runtime/src';
import { ARTIFACTS_SCHEMA, artifactsMigrations } from '../migrations/001_initial';
import { artifactStream } from './artifact.decider';
import { ArtifactsService } from './artifacts.service';
import { artifactsProjection } from './artifacts.projection';
import { ArtifactsConfig } from './config';
import { ArtifactStorage } from './storage/artifact-storage';
import { LocalArtifactStorage } from './storage/local-storage';
import { S3ArtifactStorage } from './storage/s3-storage';
import { TRACKING_TOPICS, trackingEventsConsumer } from './tracking-events.consumer';

export const ARTIFACTS_PRODUCER = 'artifacts';

export const artifactsService: ServiceDefinition = {
  name: ARTIFACTS_PRODUCER,
  schema: ARTIFACTS_SCHEMA,
  migrations: artifactsMigrations,
  store: { projections: [artifactsProjection] },
  streamTypes: [artifactStream.streamType],
};

export interface ArtifactsRuntime extends ServiceRuntime {
  config: ArtifactsConfig;
  storage: ArtifactStorage;
  service: ArtifactsService;
}

/** Where the artifacts service learns of runs and logged models: Kafka, or the tracking log itself when embedded. */
export type TrackingFeed = { kind: 'kafka' } | { kind: 'in-process'; trackingStore: EventStore };

export async function createStorage(config: ArtifactsConfig): Promise<ArtifactStorage> {
  return config.backend === 's3'
    ? new S3ArtifactStorage(config.s3)
    : LocalArtifactStorage.open(resolve(config.localRoot));
}

function artifactsServiceOver(runtime: ServiceRuntime, storage: ArtifactStorage, config: ArtifactsConfig) {
  return new ArtifactsService(runtime.store, runtime.db, storage, {
    maxUploadBytes: config.maxUploadBytes,
    ownerWaitMs: config.ownerWaitMs,
    transferOffload: config.transferOffload,
  });
}

/** The service over its migrated schema and its store, with nothing running (commands use this). */
export async function openArtifactsStore(config: ArtifactsConfig, logger: Logger): Promise<ArtifactsRuntime> {
  const storage = await createStorage(config);
  const runtime = await startServiceRuntime({ service: artifactsService, config, logger, role: 'command' });
  return { ...runtime, config, storage, service: artifactsServiceOver(runtime, storage, config) };
}

/** `sharedDb`: the embedded shape's one database, which the caller opened and closes. */
export async function startArtifactsRuntime(
  config: ArtifactsConfig,
  logger: Logger,
  feed: TrackingFeed,
  sharedDb?: Database,
): Promise<ArtifactsRuntime> {
  const storage = await createStorage(config);
  const trackingEvents = (store: EventStore): SubscriptionDefinition => {
    const consumer = trackingEventsConsumer({ store, storage, logger });
    return feed.kind === 'kafka'
      ? { kind: 'kafka', consumer, topics: TRACKING_TOPICS }
      : { kind: 'in-process', consumer, source: feed.trackingStore };
  };
  const runtime = await startServiceRuntime({
    service: artifactsService,
    config,
    logger,
    db: sharedDb,
    subscriptions: ({ store }) => [trackingEvents(store)],
  });
  return { ...runtime, config, storage, service: artifactsServiceOver(runtime, storage, config) };
}
