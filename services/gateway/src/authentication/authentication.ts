import { DynamicModule } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyRequest } from 'fastify';
import {
  Authentication as SignInOutcome,
  Database,
  Logger,
  OpenApiFragment,
  ReadinessCheck,
  requireCredentials,
  ServerConfig,
} from '@logbook/platform';
import {
  IdentityAuthenticator,
  IdentityModule,
  isTokenSecret,
  TokensService,
  identityOpenApi,
  loadIdentityConfig,
  requireSomeoneToSignIn,
  startIdentityRuntime,
} from '../../../identity/src/index';
import { BASIC_CHALLENGE, basicAuthentication } from './basic-authentication';
import { InternalAccessModule } from './internal-access.controller';
import { bearerToken, isBearer } from './bearer-token';
import { BEARER_CHALLENGE, oidcAuthentication } from './oidc-authentication';
import { OidcSettings, OidcVerifier } from './oidc-verifier';
import { tokenAuthentication } from './token-authentication';

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
 * they live where requests arrive. Basic credentials go to the users' passwords, bearer tokens to the
 * OpenID Connect provider, each when LOGBOOK_AUTH names it. `db`: the embedded shape's shared database; the distributed shape's
 * gateway opens its own connection to Postgres (the identity schema).
 */
export async function startAuthentication(
  server: ServerConfig,
  oidc: OidcSettings | undefined,
  logger: Logger,
  db?: Database,
): Promise<Authentication> {
  const { methods } = server.auth;
  if (methods.length === 0) return OFF;
  const identity = await startIdentityRuntime(loadIdentityConfig(), logger, db);
  try {
    await requireSomeoneToSignIn(identity);
  } catch (error) {
    await identity.close();
    throw error;
  }
  const verifier = methods.includes('oidc') && oidc ? new OidcVerifier(oidc, logger) : undefined;
  return {
    // The services behind a distributed gateway read their callers' grants from it.
    modules: [IdentityModule.with(identity), ...(server.auth.gatewayKey ? [InternalAccessModule.with()] : [])],
    openApi: [identityOpenApi()],
    readinessChecks: identity.readinessChecks,
    install: (app) => {
      const users = app.get(IdentityAuthenticator);
      const basic = methods.includes('basic') ? basicAuthentication(users) : undefined;
      const jwt = verifier && oidc ? oidcAuthentication(oidc, verifier, users, logger) : undefined;
      const token = methods.includes('token') ? tokenAuthentication(app.get(TokensService)) : undefined;
      const signIn = async (request: FastifyRequest): Promise<SignInOutcome> => {
        const header = request.headers.authorization;
        if (!isBearer(header)) return basic ? basic(request) : { refused: 'credentials' };
        const bearer = bearerToken(header) ?? '';
        if (token && isTokenSecret(bearer)) return token(request);
        return jwt ? jwt(request) : { refused: 'credentials' };
      };
      requireCredentials(
        app.getHttpAdapter().getInstance(),
        async (request) => {
          // Read before signing in: a change to the grants meanwhile gives the next request a newer version.
          const grantsVersion = identity.grantsVersion.current();
          const outcome = await signIn(request);
          return 'principal' in outcome ? { principal: { ...outcome.principal, grantsVersion } } : outcome;
        },
        [...(basic ? [BASIC_CHALLENGE] : []), ...(jwt || token ? [BEARER_CHALLENGE] : [])],
        server.auth.gatewayKey,
      );
    },
    close: () => identity.close(),
  };
}
