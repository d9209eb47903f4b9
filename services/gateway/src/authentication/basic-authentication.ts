import { Authenticate } from '@logbook/platform';
import { IdentityAuthenticator } from '../../../identity/src/index';
import { basicCredentials } from './basic-credentials';

/** What a 401 asks for, as MLflow's basic-auth app does: browsers then prompt for a username and password. */
export const BASIC_CHALLENGE = 'Basic realm="mlflow"';

/** Requests authenticated by their HTTP Basic credentials against Logbook's users. */
export function basicAuthentication(authenticator: IdentityAuthenticator): Authenticate {
  return async (request) => {
    const credentials = basicCredentials(request.headers.authorization);
    if (!credentials) return null;
    const user = await authenticator.verifyBasic(credentials.username, credentials.password);
    if (!user) return null;
    return {
      actor: { id: String(user.id), kind: 'user', name: user.username, authMethod: 'basic' },
      isAdmin: user.isAdmin,
    };
  };
}
