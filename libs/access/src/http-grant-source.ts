import { MlflowError, signPrincipal, systemActor } from '@logbook/platform';
import { GrantSource, KnownUser, Subject } from './access-decisions';
import { UserGrants } from './decisions';

/** The gateway's endpoints through which the services behind it read and write grants (distributed shape). */
export const INTERNAL_ACCESS_ROUTES = {
  grants: '/internal/access/grants',
  users: '/internal/access/users',
  creatorGrants: '/internal/access/creator-grants',
  renamedResources: '/internal/access/renamed-resources',
  deletedResources: '/internal/access/deleted-resources',
} as const;

const REQUEST_TIMEOUT_MS = 5_000;

/**
 * Grants read from the identity service in the gateway, over HTTP: each request signed with the key the
 * gateway and the services share, as the service it comes from.
 */
export class HttpGrantSource implements GrantSource {
  constructor(
    private readonly gatewayUrl: string,
    private readonly key: string,
    private readonly service: string,
  ) {}

  async grantsOf(subject: Subject): Promise<UserGrants> {
    const answer = (await this.post(INTERNAL_ACCESS_ROUTES.grants, { subject })) as Partial<UserGrants>;
    // The gateway answers as MLflow's protobuf JSON does, leaving an empty list out: no grants, no field.
    return {
      grants: answer.grants ?? [],
      defaultPermission: answer.defaultPermission as UserGrants['defaultPermission'],
      roles: answer.roles ?? [],
    };
  }

  async userNamed(username: string): Promise<KnownUser | null> {
    const answer = (await this.post(INTERNAL_ACCESS_ROUTES.users, { username })) as { user?: KnownUser };
    return answer.user ?? null;
  }

  async grantCreator(subject: Subject, resourceType: string, resourceId: string): Promise<void> {
    await this.post(INTERNAL_ACCESS_ROUTES.creatorGrants, { subject, resourceType, resourceId });
  }

  async resourceRenamed(resourceType: string, from: string, to: string): Promise<void> {
    await this.post(INTERNAL_ACCESS_ROUTES.renamedResources, { resourceType, from, to });
  }

  async resourceDeleted(resourceType: string, resourceId: string): Promise<void> {
    await this.post(INTERNAL_ACCESS_ROUTES.deletedResources, { resourceType, resourceId });
  }

  private async post(path: string, body: unknown): Promise<unknown> {
    const principal = signPrincipal({ actor: systemActor(this.service), isAdmin: false }, this.key);
    let response: Response;
    try {
      response = await fetch(`${this.gatewayUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-logbook-principal': principal },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch {
      throw new MlflowError('TEMPORARILY_UNAVAILABLE', 'Permissions cannot be checked: the gateway is unreachable');
    }
    if (!response.ok) {
      throw new MlflowError(
        'TEMPORARILY_UNAVAILABLE',
        `Permissions cannot be checked: the gateway answered ${response.status}`,
      );
    }
    return response.json();
  }
}
