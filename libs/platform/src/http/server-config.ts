import { IsIP, IsOptional, Matches } from 'class-validator';
import { IntegerSetting, loadConfig } from '../config';
import { ConnectionLimits } from './connection-guard';
import { defaultAllowedHosts } from './host-check';

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
}

export function loadServerConfig(
  service: string,
  defaultPort: number,
  role: ServerRole,
  env: NodeJS.ProcessEnv = process.env,
): ServerConfig {
  const raw = loadConfig(service, ServerEnvironment, { PORT: String(defaultPort), ...env });
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
  };
}
