import { FastifyRequest } from 'fastify';
import { Authenticate, Authentication } from '@logbook/platform';
import { IdentityAuthenticator } from '../../../identity/src/index';
import { basicCredentials } from './basic-credentials';
import { SignInThrottle } from './sign-in-throttle';

/** What a 401 asks for, as MLflow's basic-auth app does: browsers then prompt for a username and password. */
export const BASIC_CHALLENGE = 'Basic realm="mlflow"';

/**
 * Failed sign-ins slow a username after 5 (waits up to a minute) and a client address after 50 (up to five
 * minutes: several people may share one address behind a NAT).
 */
const perUser = () => new SignInThrottle({ freeFailures: 5, maxWaitMs: 60_000, capacity: 10_000 });
const perAddress = () => new SignInThrottle({ freeFailures: 50, maxWaitMs: 300_000, capacity: 10_000 });

/** Requests authenticated by their HTTP Basic credentials against Logbook's users, brute force slowed. */
export function basicAuthentication(
  authenticator: IdentityAuthenticator,
  throttles = { user: perUser(), address: perAddress() },
  clock: () => number = Date.now,
): Authenticate {
  return async (request: FastifyRequest): Promise<Authentication> => {
    const credentials = basicCredentials(request.headers.authorization);
    if (!credentials) return { refused: 'credentials' };
    const now = clock();
    const { username, password } = credentials;
    const waitMs = Math.max(throttles.user.waitMs(username, now), throttles.address.waitMs(request.ip, now));
    if (waitMs > 0) return { refused: 'throttled', retryAfterSeconds: Math.ceil(waitMs / 1000) };
    const user = await authenticator.verifyBasic(username, password);
    if (!user) {
      throttles.user.failed(username, now);
      throttles.address.failed(request.ip, now);
      return { refused: 'credentials' };
    }
    throttles.user.succeeded(username);
    return {
      principal: {
        actor: { id: String(user.id), kind: 'user', name: user.username, authMethod: 'basic' },
        isAdmin: user.isAdmin,
      },
    };
  };
}
