import { FastifyRequest } from 'fastify';
import { JWTPayload } from 'jose';
import { Authentication, Logger } from '@logbook/platform';
import { IdentityAuthenticator } from '../../../identity/src/index';
import { bearerToken } from './bearer-token';
import { OidcSettings, OidcVerifier, ProviderUnreachableError } from './oidc-verifier';

/** What a 401 asks for when bearer tokens are taken (RFC 6750). */
export const BEARER_CHALLENGE = 'Bearer realm="mlflow"';

function groupsOf(claims: JWTPayload, claim: string): string[] {
  const value = claims[claim];
  if (Array.isArray(value)) return value.filter((group): group is string => typeof group === 'string');
  return typeof value === 'string' ? [value] : [];
}

/**
 * Requests authenticated by a bearer JWT of the OpenID Connect provider: the user it names is provisioned
 * on first sight, an admin when Logbook made them one or when a group of theirs is an admin group.
 */
export function oidcAuthentication(
  settings: OidcSettings,
  verifier: OidcVerifier,
  authenticator: IdentityAuthenticator,
  logger: Logger,
) {
  return async (request: FastifyRequest): Promise<Authentication> => {
    const token = bearerToken(request.headers.authorization);
    if (!token) return { refused: 'credentials' };
    let claims: JWTPayload | null;
    try {
      claims = await verifier.verify(token);
    } catch (error) {
      if (!(error instanceof ProviderUnreachableError)) throw error;
      logger.warn({ err: error }, 'identity provider unreachable');
      return { refused: 'unavailable', message: 'The identity provider cannot be reached; try again' };
    }
    const username = claims?.[settings.usernameClaim];
    if (typeof username !== 'string' || username === '') {
      if (claims) logger.info({ claim: settings.usernameClaim }, 'bearer token without a username claim refused');
      return { refused: 'credentials' };
    }
    const user = await authenticator.signInVouched(username);
    const groups = groupsOf(claims as JWTPayload, settings.groupsClaim);
    return {
      principal: {
        actor: { id: String(user.id), kind: 'user', name: user.username, authMethod: 'oidc' },
        isAdmin: user.isAdmin || groups.some((group) => settings.adminGroups.includes(group)),
        groups,
      },
    };
  };
}
