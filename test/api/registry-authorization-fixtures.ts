import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { AccessModule } from '@logbook/access';
import { createHttpApp, Principal } from '@logbook/platform';
import { createTestDatabase, testInfra } from '@logbook/testing';
import { loadIdentityConfig } from '../../services/identity/src/config';
import { IdentityModule } from '../../services/identity/src/identity.module';
import { IdentityRuntime, startIdentityRuntime } from '../../services/identity/src/identity.runtime';
import { loadRegistryConfig } from '../../services/registry/src/config';
import { RegistryModule } from '../../services/registry/src/registry.module';
import { RegistryRuntime, startRegistryRuntime } from '../../services/registry/src/registry.runtime';
import { Answer, injectAnswer, Method, PRINCIPAL_HEADER } from './identity-fixtures';

export interface AuthorizedRegistryApi {
  app: NestFastifyApplication;
  identity: IdentityRuntime;
  registry: RegistryRuntime;
  /**
   * A request as `as` to `url`, answered with its status, JSON (or {}), text and where it redirects to
   * (get-artifact). `as`: `name` for a user, `name:admin` for an admin, `name:token:SCOPE` for an API
   * token of that user; none: no authentication.
   */
  call(method: Method, url: string, options?: { as?: string; body?: unknown }): Promise<Answer>;
  close(): Promise<void>;
}

/**
 * The registry and the identity service in one process on one database, as the embedded shape runs them,
 * with authorization on (AccessModule on identity's grants). Each request's principal is the one the
 * gateway's authentication would leave for the user the spec names, found by name in identity's users.
 */
export async function startAuthorizedRegistry(
  databaseName: string,
  admin: [string, string],
  defaultPermission: string,
  /** Set: the registry consumes Kafka (and publishes) inside this namespace, as the distributed shape does. */
  kafkaNamespace?: string,
  /** Further registry settings (the webhook settings, say). */
  registryEnv: Record<string, string> = {},
): Promise<AuthorizedRegistryApi> {
  const database = await createTestDatabase(databaseName);
  const kafka = testInfra().kafkaBrokers.join(',');
  const identity = await startIdentityRuntime(
    loadIdentityConfig({
      LOGBOOK_MODE: 'distributed',
      DATABASE_URL: database.url,
      KAFKA_BROKERS: kafka,
      LOGBOOK_ADMIN_USERNAME: admin[0],
      LOGBOOK_ADMIN_PASSWORD: admin[1],
      LOGBOOK_DEFAULT_PERMISSION: defaultPermission,
    }),
    pino({ level: 'silent' }),
  );
  const registry = await startRegistryRuntime(
    loadRegistryConfig({
      LOGBOOK_MODE: 'distributed',
      DATABASE_URL: database.url,
      KAFKA_BROKERS: kafka,
      ...(kafkaNamespace ? { LOGBOOK_KAFKA_NAMESPACE: kafkaNamespace, LOGBOOK_REGISTRATION_WAIT_MS: '0' } : {}),
      ...registryEnv,
    }),
    pino({ level: 'silent' }),
    kafkaNamespace ? { kind: 'kafka' } : undefined,
    identity.db,
  );
  @Module({ imports: [IdentityModule.with(identity), RegistryModule.with(registry), AccessModule.with()] })
  class TestModule {}
  const app = await createHttpApp(TestModule, { logger: pino({ level: 'silent' }), bodyLimitBytes: 1024 * 1024 });
  const fastify = app.getHttpAdapter().getInstance();

  const principalFrom = async (header: string | string[] | undefined): Promise<Principal | undefined> => {
    if (typeof header !== 'string') return undefined;
    const [name, role, scope] = header.split(':');
    const { rows } = await identity.db.query<{ id: number }>(`SELECT id FROM identity.users WHERE username = $1`, [
      name,
    ]);
    const id = String(rows[0]?.id ?? 0);
    if (role === 'token') {
      return {
        actor: { id, kind: 'user', name, authMethod: 'token' },
        isAdmin: false,
        token: { ownerId: id, ownerName: name, scope },
      };
    }
    return { actor: { id, kind: 'user', name, authMethod: 'basic' }, isAdmin: role === 'admin' };
  };
  fastify.addHook('onRequest', async (request) => {
    request.principal = await principalFrom(request.headers[PRINCIPAL_HEADER]);
  });
  await app.init();
  await fastify.ready();
  return {
    app,
    identity,
    registry,
    call: (method, url, options) => injectAnswer(app, method, url, options),
    async close() {
      await app.close();
      await registry.close();
      await identity.close();
      await database.drop();
    },
  };
}
