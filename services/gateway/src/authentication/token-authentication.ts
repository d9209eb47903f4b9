import { FastifyRequest } from 'fastify';
import { Authentication } from '@logbook/platform';
import { TokensService } from '../../../identity/src/index';
import { bearerToken } from './bearer-token';

/**
 * Requests authenticated by a Logbook API token: they act as the service the token names, for the user
 * who holds it, within the token's scope. A token is never an admin.
 */
export function tokenAuthentication(tokens: TokensService) {
  return async (request: FastifyRequest): Promise<Authentication> => {
    const secret = bearerToken(request.headers.authorization);
    const verified = secret ? await tokens.verify(secret) : null;
    if (!verified) return { refused: 'credentials' };
    const { token, owner } = verified;
    return {
      principal: {
        actor: { id: `token-${token.id}`, kind: 'service', name: token.name, authMethod: 'token' },
        isAdmin: false,
        token: { ownerId: String(owner.id), ownerName: owner.username, scope: token.scope },
      },
    };
  };
}
