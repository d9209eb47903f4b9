import { applyDecorators } from '@nestjs/common';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateIf,
  validateSync,
  ValidationError,
} from 'class-validator';
import {
  DEFAULT_EMBEDDED_SHARED_BUFFERS_MB,
  DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  EMBEDDED_DURABILITIES,
  EmbeddedDurability,
} from './database';

const toInteger = Transform(({ value }) =>
  typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value,
);

/** A whole-number setting within [minimum, maximum], given as decimal digits in the environment. */
export const IntegerSetting = (minimum: number, maximum: number) =>
  applyDecorators(toInteger, IsInt(), Min(minimum), Max(maximum));

const distributed = (env: ServiceEnvironment) => env.LOGBOOK_MODE === 'distributed';

/** The variables every service reads (its shape, database and broker); a service's environment extends it. */
export class ServiceEnvironment {
  @IsIn(['embedded', 'distributed'])
  LOGBOOK_MODE = 'embedded';

  @ValidateIf(distributed)
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// connection string' })
  DATABASE_URL?: string;

  @ValidateIf(distributed)
  @Matches(/^[\w.-]+:\d+(,[\w.-]+:\d+)*$/, { message: 'KAFKA_BROKERS must be host:port[,host:port...]' })
  KAFKA_BROKERS?: string;

  @IsString()
  @IsNotEmpty()
  LOGBOOK_DATA_DIR = './.logbook';

  @IsIn(EMBEDDED_DURABILITIES)
  LOGBOOK_EMBEDDED_DURABILITY = 'full';

  /** PGlite's shared_buffers, in MiB: resident in the embedded process for as long as it runs. */
  @IntegerSetting(1, 1024)
  LOGBOOK_EMBEDDED_SHARED_BUFFERS_MB = DEFAULT_EMBEDDED_SHARED_BUFFERS_MB;

  @IntegerSetting(1, 64)
  LOGBOOK_DB_POOL_SIZE = 10;

  /** Postgres ends a Logbook session idle inside a transaction after this long (0: the server's setting). */
  @IntegerSetting(0, 24 * 3600 * 1000)
  LOGBOOK_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS = DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS;

  @IsOptional()
  @IsString()
  LOGBOOK_KAFKA_CLIENT_ID?: string;

  /** Prefix of every topic and consumer group: several installations can share one Kafka cluster. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, {
    message: 'LOGBOOK_KAFKA_NAMESPACE must be 1 to 64 letters, digits, underscores or dashes',
  })
  LOGBOOK_KAFKA_NAMESPACE?: string;
}

/** What ServiceEnvironment holds, typed: what the service runtime needs to open the database and reach Kafka. */
export interface ServiceConfig {
  mode: 'embedded' | 'distributed';
  databaseUrl?: string;
  kafkaBrokers: string[];
  dataDir: string;
  embeddedDurability: EmbeddedDurability;
  embeddedSharedBuffersMb: number;
  dbPoolSize: number;
  dbIdleInTransactionTimeoutMs: number;
  kafkaClientId: string;
  kafkaNamespace?: string;
}

export function serviceConfig(raw: ServiceEnvironment, service: string): ServiceConfig {
  return {
    mode: raw.LOGBOOK_MODE as ServiceConfig['mode'],
    databaseUrl: raw.DATABASE_URL,
    kafkaBrokers: raw.KAFKA_BROKERS ? raw.KAFKA_BROKERS.split(',') : [],
    dataDir: raw.LOGBOOK_DATA_DIR,
    embeddedDurability: raw.LOGBOOK_EMBEDDED_DURABILITY as EmbeddedDurability,
    embeddedSharedBuffersMb: raw.LOGBOOK_EMBEDDED_SHARED_BUFFERS_MB,
    dbPoolSize: raw.LOGBOOK_DB_POOL_SIZE,
    dbIdleInTransactionTimeoutMs: raw.LOGBOOK_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    kafkaClientId: raw.LOGBOOK_KAFKA_CLIENT_ID ?? `logbook-${service}`,
    kafkaNamespace: raw.LOGBOOK_KAFKA_NAMESPACE,
  };
}

export class ConfigError extends Error {
  constructor(service: string, problems: string[]) {
    super(`Invalid configuration for ${service}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Turns the environment into a typed, validated config object, or throws one error naming every
 * variable that is wrong, so a service fails at start rather than on the first request.
 */
export function loadConfig<T extends object>(
  service: string,
  schema: new () => T,
  env: NodeJS.ProcessEnv = process.env,
): T {
  const config = plainToInstance(schema, { ...env }, { enableImplicitConversion: false, exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: false, skipMissingProperties: false, stopAtFirstError: true });
  if (errors.length > 0) throw new ConfigError(service, errors.flatMap(describe));
  return config;
}

function describe(error: ValidationError): string[] {
  const own = Object.values(error.constraints ?? {}).map((text) => `${error.property}: ${text}`);
  return [...own, ...(error.children ?? []).flatMap(describe)];
}
