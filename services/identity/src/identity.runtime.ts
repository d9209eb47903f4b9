import { Database, Logger } from '@logbook/platform';
import { ServiceDefinition, ServiceRuntime, startServiceRuntime } from '@logbook/runtime';
import { IDENTITY_SCHEMA, identityMigrations } from '../migrations/001_initial';
import { IdentityConfig } from './config';
import { usersProjection } from './users/users.projection';
import { userStream } from './users/user.decider';

export const IDENTITY_PRODUCER = 'identity';
export const identityProjections = [usersProjection];
export const identityStreams = [userStream];

/**
 * Its events publish no contract yet, and leave the service not at all: nothing outside it needs to learn
 * of users, and the events carry password hashes.
 */
export const identityService: ServiceDefinition = {
  name: IDENTITY_PRODUCER,
  schema: IDENTITY_SCHEMA,
  migrations: identityMigrations,
  store: { projections: identityProjections },
  streamTypes: identityStreams.map((stream) => stream.streamType),
  publishes: false,
};

/** Everything the identity module runs on: its database and its event log. */
export interface IdentityRuntime extends ServiceRuntime {
  config: IdentityConfig;
}

/** `db`: a database the caller opened and closes (the embedded shape's shared one). */
export async function startIdentityRuntime(
  config: IdentityConfig,
  logger: Logger,
  db?: Database,
): Promise<IdentityRuntime> {
  const runtime = await startServiceRuntime({ service: identityService, config, logger, db });
  return { ...runtime, config };
}
