import 'reflect-metadata';
import { Module } from '@nestjs/common';
import pino from 'pino';
import { AccessModule, PermissionName } from '@logbook/access';
import { createHttpApp, Principal } from '@logbook/platform';
import { createTestDatabase, testInfra } from '@logbook/testing';
import { loadIdentityConfig } from '../../services/identity/src/config';
import { IdentityModule } from '../../services/identity/src/identity.module';
import { startIdentityRuntime } from '../../services/identity/src/identity.runtime';
import { loadTrackingConfig } from '../../services/tracking/src/config';
import { TrackingModule } from '../../services/tracking/src/tracking.module';
import { startTrackingRuntime } from '../../services/tracking/src/tracking.runtime';
import { Answer, injectAnswer, Method, ok, PRINCIPAL_HEADER } from './identity-fixtures';

const PASSWORD = 'a password of 20 chars';

export interface TrackingAccessApi {
  /**
   * A request to `path` (below the host, e.g. `api/2.0/mlflow/runs/get`) as `as`, with a query or a JSON
   * body. `as`: a user by name, `admin`, or `token:<user>:<scope>` for an API token of that user's (its
   * scope caps what the user may do); none: authentication off.
   */
  call(
    method: Method,
    path: string,
    options?: { as?: string; query?: Record<string, string | string[]>; body?: unknown },
  ): Promise<Answer>;
  /** A user of the identity service, who may then sign requests in by name. */
  createUser(username: string): Promise<void>;
  /** A grant to a user, made by the admin through the identity API. */
  grant(username: string, resourceType: string, resourceId: string, permission: PermissionName): Promise<void>;
  /** The user's permission on a resource as the identity API reports it. */
  permissionOf(username: string, resourceType: string, resourceId: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The tracking service with authorization (AccessModule) and the identity service that holds the grants,
 * in one app on two databases of their own, as the embedded gateway hosts them. Requests carry the
 * principal the gateway's authentication would leave (see `call`), with the user's real id.
 */
export async function startTrackingWithAccess(defaultPermission: PermissionName): Promise<TrackingAccessApi> {
  const infra = testInfra();
  const trackingDatabase = await createTestDatabase('authz_tracking');
  const identityDatabase = await createTestDatabase('authz_identity');
  const logger = pino({ level: 'silent' });
  const tracking = await startTrackingRuntime(
    loadTrackingConfig({
      LOGBOOK_MODE: 'distributed',
      DATABASE_URL: trackingDatabase.url,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    }),
    logger,
  );
  const identity = await startIdentityRuntime(
    loadIdentityConfig({
      LOGBOOK_MODE: 'distributed',
      DATABASE_URL: identityDatabase.url,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      LOGBOOK_ADMIN_USERNAME: 'admin',
      LOGBOOK_ADMIN_PASSWORD: PASSWORD,
      LOGBOOK_DEFAULT_PERMISSION: defaultPermission,
    }),
    logger,
  );

  @Module({ imports: [TrackingModule.with(tracking), IdentityModule.with(identity), AccessModule.with()] })
  class TestModule {}
  const app = await createHttpApp(TestModule, { logger, bodyLimitBytes: 2 * 1024 * 1024 });
  const userIds = new Map<string, string>();
  const principalFrom = (header: string | string[] | undefined): Principal | undefined => {
    if (typeof header !== 'string') return undefined;
    const [first, owner, scope] = header.split(':');
    if (first === 'token') {
      return {
        actor: { id: `token-of-${owner}`, kind: 'service', name: `${owner}'s token`, authMethod: 'token' },
        isAdmin: false,
        token: { ownerId: userIds.get(owner) ?? '0', ownerName: owner, scope },
      };
    }
    return {
      actor: { id: userIds.get(first) ?? '0', kind: 'user', name: first, authMethod: 'basic' },
      isAdmin: first === 'admin',
    };
  };
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request) => {
    request.principal = principalFrom(request.headers[PRINCIPAL_HEADER]);
  });
  await app.init();
  await fastify.ready();

  const call: TrackingAccessApi['call'] = async (method, path, options = {}) => {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) {
      for (const one of Array.isArray(value) ? value : [value]) query.append(key, one);
    }
    return injectAnswer(app, method, `/${path}${query.size > 0 ? `?${query}` : ''}`, options);
  };

  const admin = ok(await call('GET', 'api/2.0/mlflow/users/get', { as: 'admin', query: { username: 'admin' } })).user;
  userIds.set('admin', String(admin.id));

  return {
    call,
    async createUser(username) {
      const answer = ok(
        await call('POST', 'api/2.0/mlflow/users/create', { as: 'admin', body: { username, password: PASSWORD } }),
      );
      userIds.set(username, String(answer.user.id));
    },
    async grant(username, resourceType, resourceId, permission) {
      ok(
        await call('POST', 'api/3.0/mlflow/users/permissions/grant', {
          as: 'admin',
          body: { username, resource_type: resourceType, resource_id: resourceId, permission },
        }),
      );
    },
    async permissionOf(username, resourceType, resourceId) {
      const answer = await call('GET', 'api/3.0/mlflow/users/permissions/get', {
        as: 'admin',
        query: { username, resource_type: resourceType, resource_id: resourceId },
      });
      return ok(answer).permission as string;
    },
    async close() {
      await app.close();
      await tracking.close();
      await identity.close();
      await trackingDatabase.drop();
      await identityDatabase.drop();
    },
  };
}
