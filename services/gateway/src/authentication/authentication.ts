import { DynamicModule } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Database, Logger, OpenApiFragment, ReadinessCheck, requireCredentials, ServerConfig } from '@logbook/platform';
import {
  IdentityAuthenticator,
  IdentityModule,
  identityOpenApi,
  loadIdentityConfig,
  requireSomeoneToSignIn,
  startIdentityRuntime,
} from '../../../identity/src/index';
import { BASIC_CHALLENGE, basicAuthentication } from './basic-authentication';

/** What the gateway hosts to authenticate requests: the identity service, and the check every request passes. */
export interface Authentication {
  modules: DynamicModule[];
  openApi: OpenApiFragment[];
  readinessChecks: ReadinessCheck[];
  /** Makes every request but those to open paths authenticate (a hook on the app, before routing). */
  install(app: NestFastifyApplication): void;
  close(): Promise<void>;
}

const OFF: Authentication = {
  modules: [],
  openApi: [],
  readinessChecks: [],
  install: () => undefined,
  close: async () => undefined,
};

/**
 * The identity service in the gateway's process when auth is on: users are checked on every request, so
 * they live where requests arrive. `db`: the embedded shape's shared database; the distributed shape's
 * gateway opens its own connection to Postgres (the identity schema).
 */
export async function startAuthentication(
  server: ServerConfig,
  logger: Logger,
  db?: Database,
): Promise<Authentication> {
  if (server.auth.mode === 'off') return OFF;
  const identity = await startIdentityRuntime(loadIdentityConfig(), logger, db);
  try {
    await requireSomeoneToSignIn(identity);
  } catch (error) {
    await identity.close();
    throw error;
  }
  return {
    modules: [IdentityModule.with(identity)],
    openApi: [identityOpenApi()],
    readinessChecks: identity.readinessChecks,
    install: (app) =>
      requireCredentials(app.getHttpAdapter().getInstance(), basicAuthentication(app.get(IdentityAuthenticator)), [
        BASIC_CHALLENGE,
      ]),
    close: () => identity.close(),
  };
}
