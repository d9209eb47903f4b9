import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { MlflowError, SYSTEM_METADATA } from '@logbook/platform';
import { IdentityConfig } from '../config';
import { IDENTITY_CONFIG } from '../shared/tokens';
import { verifyPassword } from '../users/password-hash';
import { UsersQueries } from '../users/users.queries';
import { UsersService } from '../users/users.service';
import { AuthenticatedUser, CredentialCache } from './credential-cache';

export { AuthenticatedUser } from './credential-cache';

/** The default admin password MLflow once shipped: an admin still using it is refused, as MLflow refuses it. */
export const LEGACY_ADMIN_PASSWORD = 'password1234';

/** Checks Basic credentials against the users, and makes sure the configured admin exists at start. */
@Injectable()
export class IdentityAuthenticator implements OnApplicationBootstrap {
  constructor(
    private readonly queries: UsersQueries,
    private readonly users: UsersService,
    private readonly credentials: CredentialCache,
    @Inject(IDENTITY_CONFIG) private readonly config: Pick<IdentityConfig, 'admin'>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.admin) await this.ensureAdmin(this.config.admin.username, this.config.admin.password);
  }

  /** The user these credentials belong to, or null; failures are not remembered, so a fix takes effect at once. */
  async verifyBasic(username: string, password: string): Promise<AuthenticatedUser | null> {
    const remembered = this.credentials.get(username, password);
    if (remembered) return remembered;
    const user = await this.queries.findByUsername(username);
    if (!user || !(await verifyPassword(user.passwordHash, password))) return null;
    if (user.isAdmin && password === LEGACY_ADMIN_PASSWORD) return null;
    const authenticated = { id: user.id, username: user.username, isAdmin: user.isAdmin };
    this.credentials.remember(username, password, authenticated);
    return authenticated;
  }

  /**
   * The user an identity provider vouched for (OIDC), created on first sight; remembered for a minute
   * like verified credentials, and forgotten on the same changes.
   */
  async signInVouched(username: string): Promise<AuthenticatedUser> {
    const remembered = this.credentials.getVouched(username);
    if (remembered) return remembered;
    const user = await this.users.provision(username, SYSTEM_METADATA());
    const signedIn = { id: user.id, username: user.username, isAdmin: user.isAdmin };
    this.credentials.rememberVouched(signedIn);
    return signedIn;
  }

  /** Drops what is remembered of a user's credentials (the users service does after every change to one). */
  forget(username: string): void {
    this.credentials.forget(username);
  }

  /**
   * The configured admin: created with the configured password when no user has its name, made an admin
   * when one does and is not. An existing user's password is never overwritten.
   */
  async ensureAdmin(username: string, password: string): Promise<void> {
    const existing = await this.queries.findByUsername(username);
    if (!existing) {
      try {
        await this.users.create({ username, password, isAdmin: true }, SYSTEM_METADATA());
        return;
      } catch (error) {
        // Another replica starting at the same time created it first.
        if (!(error instanceof MlflowError && error.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw error;
      }
    } else if (existing.isAdmin) {
      return;
    }
    await this.users.changeAdmin(username, true, SYSTEM_METADATA());
  }
}
