import { DynamicModule, Global, Module } from '@nestjs/common';
import { GRANT_SOURCE } from '@logbook/access';
import { IdentityAuditController } from './audit/identity-audit.controller';
import { IdentityAuditQueries } from './audit/identity-audit.queries';
import { IdentityAuthenticator } from './authentication/authenticator';
import { CredentialCache } from './authentication/credential-cache';
import { IdentityRuntime } from './identity.runtime';
import { AccessGuard } from './shared/access';
import { DATABASE, EVENT_STORE, IDENTITY_CONFIG } from './shared/tokens';
import { TokensController } from './tokens/tokens.controller';
import { TokensQueries } from './tokens/tokens.queries';
import { TokensService } from './tokens/tokens.service';
import { GrantsQueries } from './permissions/grants.queries';
import { IdentityGrantSource } from './permissions/identity-grant-source';
import { UserPermissions } from './permissions/user-permissions';
import { UserPermissionsController } from './permissions/user-permissions.controller';
import { RolesController } from './roles/roles.controller';
import { RolesQueries } from './roles/roles.queries';
import { RolesService } from './roles/roles.service';
import { UsersController } from './users/users.controller';
import { UsersQueries } from './users/users.queries';
import { UsersService } from './users/users.service';

/** What the module serves from: a running service's runtime, or a command's (identity:admin). */
type IdentityModuleRuntime = Pick<IdentityRuntime, 'db' | 'store' | 'config'>;

@Global()
@Module({})
class IdentityInfrastructureModule {
  static with(runtime: IdentityModuleRuntime): DynamicModule {
    return {
      module: IdentityInfrastructureModule,
      providers: [
        { provide: DATABASE, useValue: runtime.db },
        { provide: EVENT_STORE, useValue: runtime.store },
        { provide: IDENTITY_CONFIG, useValue: runtime.config },
      ],
      exports: [DATABASE, EVENT_STORE, IDENTITY_CONFIG],
    };
  }
}

export const IDENTITY_CONTROLLERS = [
  UsersController,
  RolesController,
  UserPermissionsController,
  TokensController,
  IdentityAuditController,
];

/**
 * MLflow's basic-auth users, roles and permissions APIs, the authenticator the gateway checks Basic
 * credentials with, and the grants every service's authorization reads (GRANT_SOURCE, for all modules).
 */
@Global()
@Module({})
export class IdentityModule {
  static with(runtime: IdentityModuleRuntime): DynamicModule {
    return {
      module: IdentityModule,
      imports: [IdentityInfrastructureModule.with(runtime)],
      controllers: IDENTITY_CONTROLLERS,
      providers: [
        UsersService,
        UsersQueries,
        RolesService,
        RolesQueries,
        GrantsQueries,
        UserPermissions,
        AccessGuard,
        { provide: CredentialCache, useValue: new CredentialCache() },
        IdentityAuthenticator,
        TokensService,
        TokensQueries,
        IdentityGrantSource,
        IdentityAuditQueries,
        { provide: GRANT_SOURCE, useExisting: IdentityGrantSource },
      ],
      exports: [IdentityAuthenticator, TokensService, GRANT_SOURCE],
    };
  }
}
