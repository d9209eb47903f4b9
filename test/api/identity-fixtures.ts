import 'reflect-metadata';
import assert from 'node:assert/strict';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { createHttpApp, Principal } from '@logbook/platform';
import { createTestDatabase, testInfra } from '@logbook/testing';
import { loadIdentityConfig } from '../../services/identity/src/config';
import { IdentityModule } from '../../services/identity/src/identity.module';
import { IdentityRuntime, startIdentityRuntime } from '../../services/identity/src/identity.runtime';

/**
 * The header a spec names its caller in; what it holds is each fixture's to say (here: `name` for a user,
 * `name:admin` for an admin); none: no authentication.
 */
export const PRINCIPAL_HEADER = 'x-test-principal';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
/** An answer: its status, JSON (or {}), text, content type and, for a redirect, where it points. */
export type Answer = {
  status: number;
  json: Record<string, any>;
  text: string;
  contentType?: string;
  location?: string;
};

/**
 * A request to `app` as `as` (in PRINCIPAL_HEADER) to `url`, its body (if any) sent as JSON with content
 * type `contentType` (application/json unless given), answered as an Answer.
 */
export async function injectAnswer(
  app: NestFastifyApplication,
  method: Method,
  url: string,
  options: { as?: string; body?: unknown; contentType?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.as) headers[PRINCIPAL_HEADER] = options.as;
  if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const response = await app.inject({
    method,
    url,
    headers,
    ...(options.body === undefined ? {} : { payload: JSON.stringify(options.body) }),
  });
  let json: Record<string, any> = {};
  try {
    json = response.json();
  } catch {
    // not JSON (a redirect, say): the assertion on status, json or location says what came
  }
  return {
    status: response.statusCode,
    json,
    text: response.body,
    contentType: String(response.headers['content-type']),
    location: response.headers.location === undefined ? undefined : String(response.headers.location),
  };
}

/** The principal the gateway's authentication would leave on the request, as a spec names it. */
function principalFrom(header: string | string[] | undefined): Principal | undefined {
  if (typeof header !== 'string') return undefined;
  const [name, role] = header.split(':');
  return { actor: { id: name, kind: 'user', name, authMethod: 'basic' }, isAdmin: role === 'admin' };
}

export interface IdentityApi {
  app: NestFastifyApplication;
  runtime: IdentityRuntime;
  /** A request as `as` (see PRINCIPAL_HEADER) to `url`, answered with its status, JSON (or {}) and text. */
  call(method: Method, url: string, options?: { as?: string; body?: unknown; contentType?: string }): Promise<Answer>;
  close(): Promise<void>;
}

/**
 * The identity service's module over HTTP on a database of its own, its admin made at start, each
 * request's principal taken from the spec's header instead of the gateway's authentication.
 */
export async function startIdentityApi(databaseName: string, admin: [string, string]): Promise<IdentityApi> {
  const database = await createTestDatabase(databaseName);
  const config = loadIdentityConfig({
    LOGBOOK_MODE: 'distributed',
    DATABASE_URL: database.url,
    KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
    LOGBOOK_ADMIN_USERNAME: admin[0],
    LOGBOOK_ADMIN_PASSWORD: admin[1],
  });
  const runtime = await startIdentityRuntime(config, pino({ level: 'silent' }));
  @Module({ imports: [IdentityModule.with(runtime)] })
  class TestModule {}
  const app = await createHttpApp(TestModule, { logger: pino({ level: 'silent' }), bodyLimitBytes: 1024 * 1024 });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request) => {
    request.principal = principalFrom(request.headers[PRINCIPAL_HEADER]);
  });
  await app.init();
  await fastify.ready();
  return {
    app,
    runtime,
    call: (method, url, options) => injectAnswer(app, method, url, options),
    async close() {
      await app.close();
      await runtime.close();
      await database.drop();
    },
  };
}

/** Asserts an MLflow error answer: its status, code and (when given) message. */
export function fails(answer: Answer, status: number, errorCode: string, message?: string): void {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.json.error_code, errorCode, answer.text);
  if (message !== undefined) assert.equal(answer.json.message, message);
}

/** Asserts a 200 and gives its JSON. */
export function ok(answer: Answer): Record<string, any> {
  assert.equal(answer.status, 200, answer.text);
  return answer.json;
}
