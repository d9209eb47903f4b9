import { REGISTRY_PRODUCER, REGISTRY_TOPICS } from '@logbook/contracts';
import { Database, Logger } from '@logbook/platform';
import { ServiceDefinition, ServiceRuntime, startServiceRuntime } from '@logbook/runtime';
import { REGISTRY_SCHEMA, registryMigrations } from '../migrations/001_initial';
import { RegistryConfig } from './config';
import { modelVersionStream } from './model-versions/model-version.decider';
import { registeredModelStream } from './registered-models/registered-model.decider';
import { registryToContract } from './registry.contracts';
import { registryProjection } from './registry.projection';

export const registryProjections = [registryProjection];
export const registryStreams = [registeredModelStream, modelVersionStream];

export const registryService: ServiceDefinition = {
  name: REGISTRY_PRODUCER,
  schema: REGISTRY_SCHEMA,
  migrations: registryMigrations,
  store: { projections: registryProjections },
  streamTypes: REGISTRY_TOPICS.map((topic) => topic.streamType),
  toContract: registryToContract,
};

/** Everything the registry module runs on: its database, its event log, and the relay that publishes it. */
export interface RegistryRuntime extends ServiceRuntime {
  config: RegistryConfig;
  /** How the log's events are published (what an in-process subscriber over the log must apply too). */
  toContract: typeof registryToContract;
}

/** `db`: a database the caller opened and closes (the embedded shape's shared one); the service's own otherwise. */
export async function startRegistryRuntime(
  config: RegistryConfig,
  logger: Logger,
  db?: Database,
): Promise<RegistryRuntime> {
  const runtime = await startServiceRuntime({ service: registryService, config, logger, db });
  return { ...runtime, config, toContract: registryToContract };
}
