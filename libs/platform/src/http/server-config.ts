import { IsIn, IsIP, IsOptional, IsUrl, Matches, MinLength, ValidateBy, ValidateIf } from 'class-validator';
import { IntegerSetting, loadConfig } from '../config';
import { ConnectionLimits } from './connection-guard';
import { defaultAllowedHosts } from './host-check';

/**
 * How callers prove who they are: basic, HTTP Basic credentials of Logbook's users (MLflow's basic-auth
 * app); oidc, bearer JWTs of an OpenID Connect provider; token, Logbook's API tokens, which users sign
 * in to issue, so only beside basic or oidc. LOGBOOK_AUTH lists them (`basic,token`), or says off.
 */
export const SIGN_IN_METHODS = ['basic', 'oidc', 'token'] as const;
export type SignInMethod = (typeof SIGN_IN_METHODS)[number];
const AUTH_SETTING = /^(off|(basic|oidc|token)(,(basic|oidc|token)){0,2})$/;

function isAuthSetting(setting: unknown): boolean {
  if (typeof setting !== 'string' || !AUTH_SETTING.test(setting)) return false;
  const methods = setting.split(',');
  return (
    setting === 'off' || (new Set(methods).size === methods.length && !(methods.length === 1 && methods[0] === 'token'))
  );
}
const authOn = (setting: string | undefined) => setting !== undefined && setting !== 'off';

/** Where a service listens, how large a request body it takes, and how it treats its clients. */
export class ServerEnvironment {
  @IsIP()
  HOST = '127.0.0.1';

  @IntegerSetting(0, 65535)
  PORT = 5000;

  @IntegerSetting(1, 1024)
  LOGBOOK_BODY_LIMIT_MB = 16;

  @IntegerSetting(1, 3600)
  LOGBOOK_HTTP_IDLE_TIMEOUT_S = 60;

  @IntegerSetting(1, 600)
  LOGBOOK_HTTP_HEADERS_TIMEOUT_S = 30;

  @IntegerSetting(1, 3600)
  LOGBOOK_HTTP_KEEPALIVE_TIMEOUT_S = 72;

  @IsOptional()
  @IntegerSetting(0, 1_000_000)
  LOGBOOK_MAX_CONNECTIONS_PER_ADDRESS?: number;

  @IsOptional()
  @Matches(/^\s*[^\s,]+\s*(,\s*[^\s,]+\s*)*$/, {
    message: 'LOGBOOK_ALLOWED_HOSTS must be a comma-separated list of host names or patterns, or *',
  })
  LOGBOOK_ALLOWED_HOSTS?: string;

  @IsIn(['embedded', 'distributed'])
  LOGBOOK_MODE = 'embedded';

  /** Embedded: off unless set. Distributed: must be said, so no deployment is left open by omission. */
  @ValidateIf((env: ServerEnvironment) => env.LOGBOOK_MODE === 'distributed' || env.LOGBOOK_AUTH !== undefined)
  @ValidateBy({
    name: 'isAuthSetting',
    validator: {
      validate: isAuthSetting,
      defaultMessage: () =>
        'LOGBOOK_AUTH must be off, or basic and/or oidc, each optionally with token (basic,token); the distributed shape needs it said: sign-in methods to require credentials, off to serve anyone who reaches it',
    },
  })
  LOGBOOK_AUTH?: string;

  @ValidateIf((env: ServerEnvironment) => env.LOGBOOK_MODE === 'distributed' && authOn(env.LOGBOOK_AUTH))
  @MinLength(32, {
    message:
      'LOGBOOK_GATEWAY_KEY must be a secret of at least 32 characters, the same for the gateway and every service, when auth is on in the distributed shape',
  })
  LOGBOOK_GATEWAY_KEY?: string;

  /** Where a service behind the gateway reads its callers' grants (distributed shape, auth on). */
  @IsOptional()
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'LOGBOOK_GATEWAY_URL must be an http(s) URL' },
  )
  LOGBOOK_GATEWAY_URL?: string;
}

/** Whether requests are authenticated, and the key that signs the principal the gateway hands to the services. */
export interface AuthConfig {
  /** None: authentication is off, and every request is anonymous. */
  methods: SignInMethod[];
  /** Distributed shape with auth on: the gateway signs each forwarded request's principal with it; services verify. */
  gatewayKey?: string;
  /** A service behind the gateway with auth on: the gateway, whose identity service holds the grants. */
  gatewayUrl?: string;
}

/**
 * The gateway is the public entry: it checks Host headers and caps connections per address. A service
 * behind it sees every request come from the gateway, with the gateway's Host, so by default it does
 * neither; each is still configurable per process.
 */
export type ServerRole = 'public' | 'internal';

const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS: Record<ServerRole, number> = { public: 256, internal: 0 };

export interface ServerConfig {
  host: string;
  port: number;
  bodyLimitBytes: number;
  connections: ConnectionLimits;
  /** Host header patterns (MLflow's --allowed-hosts syntax); `*` allows every host. */
  allowedHosts: string[];
  /** Only an internal server checks the gateway's principal; the gateway itself authenticates. */
  role: ServerRole;
  auth: AuthConfig;
}

export function loadServerConfig(
  service: string,
  defaultPort: number,
  role: ServerRole,
  env: NodeJS.ProcessEnv = process.env,
): ServerConfig {
  const raw = loadConfig(service, ServerEnvironment, { PORT: String(defaultPort), ...env });
  const gatewayKey =
    raw.LOGBOOK_MODE === 'distributed' && authOn(raw.LOGBOOK_AUTH) ? raw.LOGBOOK_GATEWAY_KEY : undefined;
  if (gatewayKey && role === 'internal' && !raw.LOGBOOK_GATEWAY_URL) {
    throw new Error(
      `${service}: invalid configuration: LOGBOOK_GATEWAY_URL must name the gateway (http://host:port) when auth is on in the distributed shape: the services read their callers' permissions there`,
    );
  }
  return {
    host: raw.HOST,
    port: raw.PORT,
    bodyLimitBytes: raw.LOGBOOK_BODY_LIMIT_MB * 1024 * 1024,
    connections: {
      idleTimeoutMs: raw.LOGBOOK_HTTP_IDLE_TIMEOUT_S * 1000,
      headersTimeoutMs: raw.LOGBOOK_HTTP_HEADERS_TIMEOUT_S * 1000,
      keepAliveTimeoutMs: raw.LOGBOOK_HTTP_KEEPALIVE_TIMEOUT_S * 1000,
      maxConnectionsPerAddress: raw.LOGBOOK_MAX_CONNECTIONS_PER_ADDRESS ?? DEFAULT_MAX_CONNECTIONS_PER_ADDRESS[role],
    },
    allowedHosts:
      raw.LOGBOOK_ALLOWED_HOSTS?.split(',').map((host) => host.trim()) ??
      (role === 'public' ? defaultAllowedHosts(raw.HOST) : ['*']),
    role,
    auth: {
      methods: authOn(raw.LOGBOOK_AUTH) ? [...new Set((raw.LOGBOOK_AUTH as string).split(',') as SignInMethod[])] : [],
      ...(gatewayKey ? { gatewayKey } : {}),
      ...(gatewayKey && role === 'internal' ? { gatewayUrl: raw.LOGBOOK_GATEWAY_URL?.replace(/\/+$/, '') } : {}),
    },
  };
}
