import { IsIn, IsNotEmpty, IsOptional, IsString, Matches, MinLength, NotEquals, ValidateIf } from 'class-validator';
import { DEFAULT_PERMISSION_NAMES, PermissionName } from '@logbook/access';
import { AuditedServiceEnvironment, auditSettings, AuditSettings } from '@logbook/audit';
import { loadConfig, ServiceConfig, serviceConfig } from '@logbook/platform';

const LEGACY_ADMIN_PASSWORD = 'password1234';

/** The environment the identity service reads, validated at start: the shared service settings and its own. */
// class-validator checks a field's decorators from the bottom up, and reports the first that fails.
export class IdentityEnvironment extends AuditedServiceEnvironment {
  /** The admin made sure of at start (MLflow's MLFLOW_AUTH_ADMIN_USERNAME); set with its password or not at all. */
  @ValidateIf((env: IdentityEnvironment) => env.LOGBOOK_ADMIN_PASSWORD !== undefined)
  @IsNotEmpty({ message: 'LOGBOOK_ADMIN_USERNAME must not be empty' })
  @IsString({ message: 'LOGBOOK_ADMIN_USERNAME must be set when LOGBOOK_ADMIN_PASSWORD is' })
  LOGBOOK_ADMIN_USERNAME?: string;

  /** Used only to create that admin: an existing user's password is never overwritten. */
  @ValidateIf((env: IdentityEnvironment) => env.LOGBOOK_ADMIN_USERNAME !== undefined)
  @NotEquals(LEGACY_ADMIN_PASSWORD, { message: 'LOGBOOK_ADMIN_PASSWORD must not be the insecure default password' })
  @MinLength(12, { message: 'LOGBOOK_ADMIN_PASSWORD must be at least 12 characters' })
  @IsString({ message: 'LOGBOOK_ADMIN_PASSWORD must be set when LOGBOOK_ADMIN_USERNAME is' })
  LOGBOOK_ADMIN_PASSWORD?: string;

  /**
   * What a user may do to a resource no grant of theirs names, and the floor under every positive grant
   * (MLflow's default_permission; READ, as its shipped basic_auth.ini says).
   */
  @IsOptional()
  @IsIn(DEFAULT_PERMISSION_NAMES, {
    message: `LOGBOOK_DEFAULT_PERMISSION must be one of ${DEFAULT_PERMISSION_NAMES.join(', ')}`,
  })
  LOGBOOK_DEFAULT_PERMISSION?: string;

  /**
   * Which roles an identity provider's groups give their members (OIDC): `group=role` pairs, comma
   * separated, each role named in the default workspace. Membership is the provider's to manage.
   */
  @IsOptional()
  @Matches(/^\s*[^\s,=]+\s*=\s*[^,=]+?\s*(,\s*[^\s,=]+\s*=\s*[^,=]+?\s*)*$/, {
    message: 'LOGBOOK_OIDC_GROUP_ROLES must be comma-separated group=role pairs',
  })
  LOGBOOK_OIDC_GROUP_ROLES?: string;
}

export const DEFAULT_PERMISSION: PermissionName = 'READ';

export interface IdentityConfig extends ServiceConfig {
  admin: { username: string; password: string } | null;
  defaultPermission: PermissionName;
  /** The roles each identity-provider group gives its members. */
  groupRoles: Map<string, string[]>;
  audit: AuditSettings;
}

function groupRoles(setting: string | undefined): Map<string, string[]> {
  const roles = new Map<string, string[]>();
  for (const pair of setting?.split(',') ?? []) {
    const [group, role] = pair.split('=').map((part) => part.trim());
    roles.set(group, [...(roles.get(group) ?? []), role]);
  }
  return roles;
}

export function loadIdentityConfig(env: NodeJS.ProcessEnv = process.env): IdentityConfig {
  const raw = loadConfig('identity', IdentityEnvironment, env);
  const { LOGBOOK_ADMIN_USERNAME: username, LOGBOOK_ADMIN_PASSWORD: password } = raw;
  return {
    ...serviceConfig(raw, 'identity'),
    admin: username !== undefined && password !== undefined ? { username, password } : null,
    defaultPermission: (raw.LOGBOOK_DEFAULT_PERMISSION as PermissionName | undefined) ?? DEFAULT_PERMISSION,
    groupRoles: groupRoles(raw.LOGBOOK_OIDC_GROUP_ROLES),
    audit: auditSettings('identity', raw),
  };
}
