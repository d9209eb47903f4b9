import { Transform } from 'class-transformer';
import { IsInt, IsIP, Max, Min } from 'class-validator';
import { loadConfig } from '../config';

const toInt = Transform(({ value }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value));

/** Where a service listens and how large a request body it takes. */
export class ServerEnvironment {
  @IsIP()
  HOST = '127.0.0.1';

  @toInt
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 5000;

  @toInt
  @IsInt()
  @Min(1)
  @Max(1024)
  LOGBOOK_BODY_LIMIT_MB = 16;
}

export interface ServerConfig {
  host: string;
  port: number;
  bodyLimitBytes: number;
}

export function loadServerConfig(
  service: string,
  defaultPort: number,
  env: NodeJS.ProcessEnv = process.env,
): ServerConfig {
  const raw = loadConfig(service, ServerEnvironment, { PORT: String(defaultPort), ...env });
  return { host: raw.HOST, port: raw.PORT, bodyLimitBytes: raw.LOGBOOK_BODY_LIMIT_MB * 1024 * 1024 };
}
