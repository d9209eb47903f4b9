import { ANONYMOUS } from '../../../libs/eventstore/src/envelope';
import { Database } from '../../../libs/platform/src/database';
import { Logger } from '../../../libs/platform/src/logger';
import { ServiceDefinition, ServiceRuntime, startServiceRuntime } from '../../../libs/runtime/src';
import { TRACKING_SCHEMA, trackingMigrations } from '../migrations/001_initial';
import { TrackingConfig } from './config';
import { experimentStream } from './experiments/experiment.decider';
import { experimentsProjection } from './experiments/experiments.projection';
import { loggedModelStream } from './logged-models/logged-model.decider';
import { loggedModelsProjection } from './logged-models/logged-models.projection';
import { runStream } from './runs/run.decider';
import { runsProjection } from './runs/runs.projection';

export const TRACKING_PRODUCER = 'tracking';
export const trackingProjections = [experimentsProjection, runsProjection, loggedModelsProjection];
export const trackingStreams = [experimentStream, runStream, loggedModelStream];
export const TRACKING_STREAM_TYPES = trackingStreams.map((stream) => stream.streamType);

export const trackingService: ServiceDefinition = {
  name: TRACKING_PRODUCER,
  schema: TRACKING_SCHEMA,
  migrations: trackingMigrations,
  store: { projections: trackingProjections },
  streamTypes: TRACKING_STREAM_TYPES,
};

/** Everything the tracking module runs on: its database, its event log, and the relay that publishes it. */
export interface TrackingRuntime extends ServiceRuntime {
  config: TrackingConfig;
}

/** `db`: a database the caller opened and closes; the service's own is opened otherwise. */
export async function startTrackingRuntime(
  config: TrackingConfig,
  logger: Logger,
  db?: Database,
): Promise<TrackingRuntime> {
  return { config, ...(await startServiceRuntime({ service: trackingService, config, logger, db })) };
}

/** The tracking database, migrated, and its event store, with nothing running: what its commands (rebuild, gc) use. */
export async function openTrackingStore(config: TrackingConfig, logger: Logger): Promise<TrackingRuntime> {
  return {
    config,
    ...(await startServiceRuntime({ service: trackingService, config, logger, role: 'command' })),
  };
}

export const SYSTEM_METADATA = () => ({
  now: Date.now(),
  actor: { ...ANONYMOUS, id: 'system', kind: 'service' as const },
  requestId: 'startup',
});
