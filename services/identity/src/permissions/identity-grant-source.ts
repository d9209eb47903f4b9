import { Inject, Injectable } from '@nestjs/common';
import { GrantSource, KnownUser, Subject, UserGrants } from '@logbook/access';
import { MlflowError, systemActor } from '@logbook/platform';
import { IdentityConfig } from '../config';
import { DEFAULT_WORKSPACE, RolesService } from '../roles/roles.service';
import { IDENTITY_CONFIG } from '../shared/tokens';
import { UsersQueries } from '../users/users.queries';
import { GrantsQueries } from './grants.queries';

/** Grants Logbook changes on its own account, after what a request did to the resource they name. */
const systemMetadata = (requestId: string) => ({ now: Date.now(), actor: systemActor('identity'), requestId });

/**
 * The grants the services decide with: those of every role a user holds in the default workspace and of
 * every role their identity-provider groups map to, with the default permission.
 */
@Injectable()
export class IdentityGrantSource implements GrantSource {
  constructor(
    private readonly grants: GrantsQueries,
    private readonly roles: RolesService,
    private readonly users: UsersQueries,
    @Inject(IDENTITY_CONFIG) private readonly config: Pick<IdentityConfig, 'defaultPermission' | 'groupRoles'>,
  ) {}

  async grantsOf(subject: Subject): Promise<UserGrants> {
    const userId = Number(subject.userId);
    const roleNames = subject.groups.flatMap((group) => this.config.groupRoles.get(group) ?? []);
    const knownUserId = Number.isSafeInteger(userId) ? userId : 0;
    const [grants, assigned] = await Promise.all([
      this.grants.ofUserAndRoles(knownUserId, DEFAULT_WORKSPACE, roleNames),
      this.grants.roleNamesOf(knownUserId, DEFAULT_WORKSPACE),
    ]);
    return {
      grants,
      defaultPermission: this.config.defaultPermission,
      roles: [...new Set([...assigned, ...roleNames])].sort(),
    };
  }

  async userNamed(username: string): Promise<KnownUser | null> {
    const user = await this.users.findByUsername(username);
    return user ? { userId: String(user.id), username: user.username, isAdmin: user.isAdmin } : null;
  }

  async resourceRenamed(resourceType: string, from: string, to: string): Promise<void> {
    await this.roles.retargetGrants(resourceType, from, to, systemMetadata('resource-renamed'));
  }

  async resourceDeleted(resourceType: string, resourceId: string): Promise<void> {
    await this.roles.removeGrantsOn(resourceType, resourceId, systemMetadata('resource-deleted'));
  }

  async grantCreator(subject: Subject, resourceType: string, resourceId: string): Promise<void> {
    const metadata = systemMetadata('creator-grant');
    try {
      await this.roles.grantToUser(subject.username, { resourceType, resourceId, permission: 'MANAGE' }, metadata);
    } catch (error) {
      if (!(error instanceof MlflowError && error.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw error;
    }
  }
}
