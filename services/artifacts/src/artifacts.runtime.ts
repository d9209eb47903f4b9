import { resolve } from 'node:path';
import { ARTIFACTS_PRODUCER, ARTIFACTS_TOPICS } from '@logbook/contracts';
import { EventStore } from '@logbook/eventstore';
import { Database, Logger, statusReadiness } from '@logbook/platform';
import { Announcements, ContractMapper, RelaySubscription } from '@logbook/messaging';
import { ServiceDefinition, ServiceRuntime, startServiceRuntime, SubscriptionDefinition } from '@logbook/runtime';
import { ARTIFACTS_SCHEMA, artifactsMigrations } from '../migrations/001_initial';
import { artifactsToContract } from './artifacts.contracts';
import { artifactsProjection } from './artifacts.projection';
import { ArtifactsConfig } from './config';
import { RegistrationCopier } from './registrations/registration-copier';
import { registrationsProjection } from './registrations/registrations.projection';
import {
  REGISTRY_EVENTS_CONSUMER,
  REGISTRY_TOPICS,
  registryEventsConsumer,
} from './registrations/registry-events.consumer';
import { ArtifactStorage } from './storage/artifact-storage';
import { LocalArtifactStorage } from './storage/local-storage';
import { S3ArtifactStorage } from './storage/s3-storage';
import { TRACKING_TOPICS, trackingEventsConsumer } from './tracking-events.consumer';

export const artifactsService: ServiceDefinition = {
  name: ARTIFACTS_PRODUCER,
  schema: ARTIFACTS_SCHEMA,
  migrations: artifactsMigrations,
  store: { projections: [artifactsProjection, registrationsProjection] },
  streamTypes: ARTIFACTS_TOPICS.map((topic) => topic.streamType),
  toContract: artifactsToContract,
};

export interface ArtifactsRuntime extends ServiceRuntime {
  config: ArtifactsConfig;
  storage: ArtifactStorage;
  /** Told by the consumer of tracking's events of each one it handled: what a wait for an owner listens to. */
  ownerAnnouncements: Announcements;
  /** How the log's events are published (what an in-process subscriber over the log must apply too). */
  toContract: typeof artifactsToContract;
  /**
   * In process: the registry appended to its log. The feed reads it through a store of its own (opened
   * before the registry runtime existed), which the registry's appends do not wake.
   */
  registryAppended(): void;
}

/**
 * Where the artifacts service learns of runs and logged models, and of the registry's new versions:
 * Kafka, or their logs themselves when embedded, read through their contract mappings as Kafka would
 * carry them (without `registry`, no version is verified).
 */
export type ServiceFeeds =
  | { kind: 'kafka' }
  | {
      kind: 'in-process';
      trackingStore: EventStore;
      toContract: ContractMapper;
      registry?: { store: EventStore; toContract: ContractMapper };
    };

export async function createStorage(config: ArtifactsConfig): Promise<ArtifactStorage> {
  return config.backend === 's3'
    ? new S3ArtifactStorage(config.s3)
    : LocalArtifactStorage.open(resolve(config.localRoot));
}

/** The service's migrated schema, its store and its storage, with nothing running (commands use this). */
export async function openArtifactsStore(config: ArtifactsConfig, logger: Logger): Promise<ArtifactsRuntime> {
  const storage = await createStorage(config);
  const runtime = await startServiceRuntime({ service: artifactsService, config, logger, role: 'command' });
  return {
    ...runtime,
    config,
    storage,
    ownerAnnouncements: new Announcements(),
    toContract: artifactsToContract,
    registryAppended: () => undefined,
  };
}

/** `sharedDb`: the embedded shape's one database, which the caller opened and closes. */
export async function startArtifactsRuntime(
  config: ArtifactsConfig,
  logger: Logger,
  feed: ServiceFeeds,
  sharedDb?: Database,
): Promise<ArtifactsRuntime> {
  const storage = await createStorage(config);
  const ownerAnnouncements = new Announcements();
  let copier: RegistrationCopier | undefined;
  const trackingEvents = (store: EventStore): SubscriptionDefinition => {
    const consumer = trackingEventsConsumer({ store, storage, logger, onHandled: () => ownerAnnouncements.handled() });
    return feed.kind === 'kafka'
      ? { kind: 'kafka', consumer, topics: TRACKING_TOPICS }
      : { kind: 'in-process', consumer, source: feed.trackingStore, toContract: feed.toContract };
  };
  const registryEvents = (db: Database, store: EventStore): SubscriptionDefinition[] => {
    const registry = feed.kind === 'in-process' ? feed.registry : undefined;
    if (feed.kind === 'in-process' && !registry) return [];
    copier = new RegistrationCopier({
      db,
      store,
      storage,
      storeIdentity: { backend: config.backend, bucket: config.s3.bucket, prefix: config.s3.prefix },
      announcements: ownerAnnouncements,
      ownerWaitMs: config.ownerWaitMs,
      logger,
      leaseMs: config.registrationLeaseMs,
    });
    const consumer = registryEventsConsumer(() => copier?.notify());
    return [
      registry
        ? { kind: 'in-process', consumer, source: registry.store, toContract: registry.toContract }
        : { kind: 'kafka', consumer, topics: REGISTRY_TOPICS },
    ];
  };
  const runtime = await startServiceRuntime({
    service: artifactsService,
    config,
    logger,
    db: sharedDb,
    subscriptions: ({ db, store }) => [trackingEvents(store), ...registryEvents(db, store)],
  });
  const toContract = artifactsToContract;
  const registryFeed = runtime.subscriptions.find((s) => s.name === REGISTRY_EVENTS_CONSUMER);
  const registryAppended = () => {
    if (registryFeed instanceof RelaySubscription) registryFeed.relay.wake();
  };
  if (!copier) return { ...runtime, config, storage, ownerAnnouncements, toContract, registryAppended };
  const registrations = copier;
  registrations.start();
  return {
    ...runtime,
    config,
    storage,
    ownerAnnouncements,
    toContract,
    registryAppended,
    readinessChecks: [
      ...runtime.readinessChecks,
      statusReadiness('registration-copier', () => registrations.status(), 'degrades'),
    ],
    async close() {
      await registrations.stop();
      await runtime.close();
    },
  };
}
