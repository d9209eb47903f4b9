import { TRACKING_PRODUCER, TRACKING_TOPICS } from '@logbook/contracts';
import { Database, Logger } from '@logbook/platform';
import { ServiceDefinition, ServiceRuntime, startServiceRuntime } from '@logbook/runtime';
import { TRACKING_SCHEMA, trackingMigrations } from '../migrations/001_initial';
import { TrackingConfig } from './config';
import { trackingToContract, trackingTopicOf } from './tracking.contracts';
import { experimentStream } from './experiments/experiment.decider';
import { experimentsProjection } from './experiments/experiments.projection';
import { loggedModelStream } from './logged-models/logged-model.decider';
import { loggedModelsProjection } from './logged-models/logged-models.projection';
import { runStream } from './runs/run.decider';
import { runsProjection } from './runs/runs.projection';

export const trackingProjections = [experimentsProjection, runsProjection, loggedModelsProjection];
export const trackingStreams = [experimentStream, runStream, loggedModelStream];
export const TRACKING_STREAM_TYPES = [...new Set(TRACKING_TOPICS.map((topic) => topic.streamType))];

export const trackingService: ServiceDefinition = {
  name: TRACKING_PRODUCER,
  schema: TRACKING_SCHEMA,
  migrations: trackingMigrations,
  store: { projections: trackingProjections },
  streamTypes: TRACKING_STREAM_TYPES,
  toContract: trackingToContract,
  topicOf: trackingTopicOf,
  topics: TRACKING_TOPICS.map((topic) => topic.name),
};

/** Everything the tracking module runs on: its database, its event log, and the relay that publishes it. */
export interface TrackingRuntime extends ServiceRuntime {
  config: TrackingConfig;
  /** How the log's events are published (what an in-process subscriber over the log must apply too). */
  toContract: typeof trackingToContract;
}

/** `db`: a database the caller opened and closes; the service's own is opened otherwise. */
export async function startTrackingRuntime(
  config: TrackingConfig,
  logger: Logger,
  db?: Database,
): Promise<TrackingRuntime> {
  const runtime = await startServiceRuntime({ service: trackingService, config, logger, db });
  return { ...runtime, config, toContract: trackingToContract };
}

/** The tracking database, migrated, and its event store, with nothing running: what its commands (rebuild, gc) use. */
export async function openTrackingStore(config: TrackingConfig, logger: Logger): Promise<TrackingRuntime> {
  const runtime = await startServiceRuntime({ service: trackingService, config, logger, role: 'command' });
  return { ...runtime, config, toContract: trackingToContract };
}
