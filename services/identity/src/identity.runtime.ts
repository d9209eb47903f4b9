import { AuditTrailParts, startAuditTrail, VerificationResult, verifyAuditOf } from '@logbook/audit';
import { Database, Logger } from '@logbook/platform';
import { ServiceDefinition, ServiceRuntime, startServiceRuntime } from '@logbook/runtime';
import { IDENTITY_SCHEMA, identityMigrations } from '../migrations/001_initial';
import { recordIdentityAudit } from './audit/identity-audit';
import { IdentityConfig } from './config';
import { rolesProjection } from './roles/roles.projection';
import { roleStream } from './roles/role.decider';
import { tokenStream } from './tokens/token.decider';
import { tokensProjection } from './tokens/tokens.projection';
import { usersProjection } from './users/users.projection';
import { userStream } from './users/user.decider';

export const IDENTITY_PRODUCER = 'identity';
export const identityProjections = [usersProjection, rolesProjection, tokensProjection];
export const identityStreams = [userStream, roleStream, tokenStream];

/**
 * Its events publish no contract yet, and leave the service not at all: nothing outside it needs to learn
 * of users, and the events carry password hashes. Each change leaves its rows in the service's own audit
 * trail, in its transaction, with the hashes left out.
 */
export const identityService: ServiceDefinition = {
  name: IDENTITY_PRODUCER,
  schema: IDENTITY_SCHEMA,
  migrations: identityMigrations,
  store: { projections: identityProjections, audit: recordIdentityAudit },
  streamTypes: identityStreams.map((stream) => stream.streamType),
  publishes: false,
};

/**
 * The state of users, roles and grants as this process last changed them: a new number with every event
 * it appends, starting from the time it started, so no number repeats across restarts.
 */
export class GrantsVersion {
  private value = Date.now();

  current(): number {
    return this.value;
  }

  changed(): void {
    this.value += 1;
  }
}

/** Everything the identity module runs on: its database and its event log. */
export interface IdentityRuntime extends ServiceRuntime, AuditTrailParts {
  config: IdentityConfig;
  grantsVersion: GrantsVersion;
}

/** `db`: a database the caller opened and closes (the embedded shape's shared one). */
export async function startIdentityRuntime(
  config: IdentityConfig,
  logger: Logger,
  db?: Database,
): Promise<IdentityRuntime> {
  const runtime = await startServiceRuntime({ service: identityService, config, logger, db });
  const grantsVersion = new GrantsVersion();
  runtime.store.onAppended(() => grantsVersion.changed());
  const audit = await startAuditTrail(runtime, config, { service: IDENTITY_PRODUCER, schema: IDENTITY_SCHEMA }, logger);
  return { ...runtime, ...audit, config, grantsVersion };
}

/** The identity database, migrated, and its event store, with nothing running: what its commands (audit verify) use. */
export async function openIdentityStore(config: IdentityConfig, logger: Logger) {
  return startServiceRuntime({ service: identityService, config, logger, role: 'command' });
}

/** Recomputes the identity audit chain in its database and checks its signed checkpoints (`npm run audit:verify`). */
export async function verifyIdentityAudit(config: IdentityConfig, logger: Logger): Promise<VerificationResult> {
  return verifyAuditOf(await openIdentityStore(config, logger), IDENTITY_SCHEMA);
}

/**
 * With authentication on, someone must be able to sign in: a user exists already, or the configured
 * admin is made at start. Refuses to start otherwise, rather than serve a server nobody can use.
 */
export async function requireSomeoneToSignIn(runtime: IdentityRuntime): Promise<void> {
  if (runtime.config.admin) return;
  const { rows } = await runtime.db.query<{ present: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM ${IDENTITY_SCHEMA}.users) AS present`,
  );
  if (!rows[0].present) {
    throw new Error(
      'Authentication is on and no user exists: set LOGBOOK_ADMIN_USERNAME and LOGBOOK_ADMIN_PASSWORD to create the first admin',
    );
  }
}
