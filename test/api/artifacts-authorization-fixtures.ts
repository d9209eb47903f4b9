import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import Fastify, { FastifyInstance } from 'fastify';
import pino from 'pino';
import { AccessModule } from '@logbook/access';
import {
  createHttpApp,
  PRINCIPAL_HEADER,
  Principal,
  replyNotAuthenticated,
  signPrincipal,
  verifyPrincipal,
} from '@logbook/platform';
import { createTestDatabase, testInfra } from '@logbook/testing';
import { loadArtifactsConfig } from '../../services/artifacts/src/config';
import { startEmbeddedServices } from '../../services/gateway/src/embedded-services';
import { registerRoutes, routingTable } from '../../services/gateway/src/routing';
import { upstreamPools } from '../../services/gateway/src/upstream-pool';
import { loadIdentityConfig } from '../../services/identity/src/config';
import { IdentityModule } from '../../services/identity/src/identity.module';
import { IdentityRuntime, startIdentityRuntime } from '../../services/identity/src/identity.runtime';
import { loadRegistryConfig } from '../../services/registry/src/config';
import { loadTrackingConfig } from '../../services/tracking/src/config';

const silent = pino({ level: process.env.LOG_LEVEL ?? 'silent' });

/** The key the gateway signs principals with and the services verify them with. */
const GATEWAY_KEY = 'a gateway key of at least 32 characters, for specs';

/** The header a spec names its caller in, at the gateway (which stands for its authentication). */
const USER_HEADER = 'x-test-user';

/** A user as a spec signs in as: their name (the header), or none for a request the system makes. */
export type As = string | undefined;

export interface Answer {
  status: number;
  text: string;
  json: Record<string, any>;
  headers: Headers;
  bytes: Buffer;
}

export interface AuthorizedArtifacts {
  embedded: Awaited<ReturnType<typeof startEmbeddedServices>>;
  identity: IdentityRuntime;
  /**
   * A request to the services as the gateway forwards it: `as` signed in (its principal signed with the
   * gateway key), or without any principal (the system, which the spec sets things up as).
   */
  direct(
    as: As,
    method: string,
    path: string,
    init?: { body?: NonNullable<RequestInit['body']>; headers?: Record<string, string> },
  ): Promise<Answer>;
  /** A request to the gateway, which authenticates `as` and forwards (or carries an upload, TRANSFER_OFFLOAD). */
  viaGateway(
    as: As,
    method: string,
    path: string,
    init?: { body?: NonNullable<RequestInit['body']>; headers?: Record<string, string> },
  ): Promise<Answer>;
  /** A user of the identity service with the default permission only, whom `direct` and `viaGateway` sign in as. */
  createUser(name: string): Promise<void>;
  /** A direct grant to a user, through the identity API as its admin. */
  grant(name: string, resourceType: string, resourceId: string, permission: string): Promise<void>;
  /** The admin's name: an admin passes every rule. */
  admin: string;
  close(): Promise<void>;
}

async function answerOf(response: Response): Promise<Answer> {
  const bytes = Buffer.from(await response.arrayBuffer());
  const text = bytes.toString('utf8');
  let json: Record<string, any> = {};
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: the assertion on status or bytes says what came
  }
  return { status: response.status, text, json, headers: response.headers, bytes };
}

/**
 * Tracking, artifacts (S3) and the registry wired as in the embedded shape, with the identity service's
 * grants (default permission NO_PERMISSIONS) and the access guard, on one real database; in front of
 * them, the distributed shape's gateway, which signs each request's principal with the key the services
 * verify it with. The services take a request without a principal too: the spec's own setup, standing
 * for what the system does, since the other services' routes have no access rules on this branch.
 */
export async function startAuthorizedArtifacts(databaseName: string, ownerWaitMs = 1500): Promise<AuthorizedArtifacts> {
  const infra = testInfra();
  const database = await createTestDatabase(databaseName);
  const env = {
    LOGBOOK_MODE: 'distributed',
    DATABASE_URL: database.url,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
  };
  const admin = 'root';
  const identity = await startIdentityRuntime(
    loadIdentityConfig({
      ...env,
      LOGBOOK_ADMIN_USERNAME: admin,
      LOGBOOK_ADMIN_PASSWORD: 'root password 12',
      LOGBOOK_DEFAULT_PERMISSION: 'NO_PERMISSIONS',
    }),
    silent,
  );
  const embedded = await startEmbeddedServices(
    {
      tracking: loadTrackingConfig(env),
      artifacts: loadArtifactsConfig({
        ...process.env,
        ...env,
        LOGBOOK_ARTIFACTS_BACKEND: 's3',
        S3_PREFIX: `artifacts-authz-test-${randomUUID()}/`,
        LOGBOOK_ARTIFACT_OWNER_WAIT_MS: String(ownerWaitMs),
      }),
      registry: loadRegistryConfig(env),
    },
    silent,
  );

  @Module({ imports: [...embedded.modules, IdentityModule.with(identity), AccessModule.with()] })
  class ServicesModule {}
  const app: NestFastifyApplication = await createHttpApp(ServicesModule, {
    logger: silent,
    bodyLimitBytes: 8 * 1024 * 1024,
  });
  // As requireGatewayPrincipal does, except that a request without a principal passes (the spec's setup).
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', async (request, reply) => {
      const signed = request.headers[PRINCIPAL_HEADER];
      if (signed === undefined) return;
      const principal = typeof signed === 'string' ? verifyPrincipal(signed, GATEWAY_KEY) : null;
      if (!principal) return replyNotAuthenticated(reply, []);
      request.principal = principal;
    });
  await app.listen(0, '127.0.0.1');
  const services = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;

  const principals = new Map<string, Principal>();
  const gateway: FastifyInstance = Fastify();
  gateway.decorateRequest('principal', undefined);
  gateway.addHook('onRequest', async (request) => {
    const name = request.headers[USER_HEADER];
    if (typeof name === 'string') request.principal = principals.get(name);
  });
  await registerRoutes(
    gateway,
    routingTable(upstreamPools({ tracking: services, artifacts: services, registry: services }), GATEWAY_KEY),
    silent,
  );
  const gatewayBase = await gateway.listen({ port: 0, host: '127.0.0.1' });

  const direct: AuthorizedArtifacts['direct'] = async (as, method, path, init = {}) => {
    const principal = as === undefined ? undefined : principals.get(as);
    assert.ok(as === undefined || principal, `no user ${as}`);
    const headers = {
      ...init.headers,
      ...(principal ? { [PRINCIPAL_HEADER]: signPrincipal(principal, GATEWAY_KEY) } : {}),
    };
    return answerOf(await fetch(`${services}${path}`, { method, headers, body: init.body }));
  };
  const viaGateway: AuthorizedArtifacts['viaGateway'] = async (as, method, path, init = {}) => {
    const headers = { ...init.headers, ...(as === undefined ? {} : { [USER_HEADER]: as }) };
    return answerOf(await fetch(`${gatewayBase}${path}`, { method, headers, body: init.body }));
  };
  const adminPrincipal: Principal = {
    actor: { id: '1', kind: 'user', name: admin, authMethod: 'basic' },
    isAdmin: true,
  };
  principals.set(admin, adminPrincipal);
  const asJson = (body: unknown) => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

  return {
    embedded,
    identity,
    direct,
    viaGateway,
    admin,
    async createUser(name) {
      const created = await direct(
        admin,
        'POST',
        '/api/2.0/mlflow/users/create',
        asJson({ username: name, password: 'a password of 20 chars' }),
      );
      assert.equal(created.status, 200, created.text);
      const id = String(created.json.user.id);
      principals.set(name, { actor: { id, kind: 'user', name, authMethod: 'basic' }, isAdmin: false });
    },
    async grant(name, resourceType, resourceId, permission) {
      const granted = await direct(
        admin,
        'POST',
        '/api/3.0/mlflow/users/permissions/grant',
        asJson({ username: name, resource_type: resourceType, resource_id: resourceId, permission }),
      );
      assert.equal(granted.status, 200, granted.text);
    },
    async close() {
      await gateway.close();
      await app.close();
      await embedded.close();
      await identity.close();
      await database.drop();
    },
  };
}
