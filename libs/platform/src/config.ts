import { readFileSync } from 'node:fs';
import { applyDecorators } from '@nestjs/common';
import { plainToInstance, Transform } from 'class-transformer';
import {
  getMetadataStorage,
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
import { EMBEDDED_DATABASES, EmbeddedDatabaseChoice } from './embedded-postgres';

const toInteger = Transform(({ value }) =>
  typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value,
);

/** A whole-number setting within [minimum, maximum], given as decimal digits in the environment. */
export const IntegerSetting = (minimum: number, maximum: number) =>
  applyDecorators(toInteger, IsInt(), Min(minimum), Max(maximum));

const distributed = (env: ServiceEnvironment) => env.LOGBOOK_MODE === 'distributed';

const PEM = /-----BEGIN [A-Z0-9 ]+-----[\s\S]+-----END [A-Z0-9 ]+-----/;

export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

/** How the topics Logbook creates are laid out; unset replication settings are chosen from the cluster's size. */
export interface TopicSettings {
  partitions: number;
  replicationFactor?: number;
  minInsyncReplicas?: number;
}

/** A Kafka cluster as the services reach it: where, how securely, and how the topics they create are laid out. */
export interface KafkaCluster {
  brokers: string[];
  /** PEM contents; `{}` is TLS trusting the system's certificate authorities. */
  tls?: { ca?: string; cert?: string; key?: string };
  sasl?: { mechanism: (typeof KAFKA_SASL_MECHANISMS)[number]; username: string; password: string };
  topics: TopicSettings;
  consumerSessionTimeoutMs: number;
}

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

  @IsIn(EMBEDDED_DATABASES)
  LOGBOOK_EMBEDDED_DATABASE = 'auto';

  @IsIn(EMBEDDED_DURABILITIES)
  LOGBOOK_EMBEDDED_DURABILITY = 'full';

  /** The embedded database's shared_buffers, in MiB (PGlite's are resident in the embedded process for as long as it runs). */
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

  /** TLS to the brokers; implied by a CA or a client certificate. */
  @IsIn(['true', 'false'])
  KAFKA_TLS = 'false';

  /** PEM certificates trusted for the brokers (usually given as KAFKA_TLS_CA_FILE); unset: the system's. */
  @IsOptional()
  @Matches(PEM, { message: 'KAFKA_TLS_CA must hold PEM certificates' })
  KAFKA_TLS_CA?: string;

  /** A client certificate (PEM) for brokers that authenticate clients by TLS; needs KAFKA_TLS_KEY. */
  @ValidateIf((env: ServiceEnvironment) => env.KAFKA_TLS_KEY !== undefined || env.KAFKA_TLS_CERT !== undefined)
  @Matches(PEM, { message: 'KAFKA_TLS_CERT must hold a PEM certificate when KAFKA_TLS_KEY is set' })
  KAFKA_TLS_CERT?: string;

  @ValidateIf((env: ServiceEnvironment) => env.KAFKA_TLS_CERT !== undefined || env.KAFKA_TLS_KEY !== undefined)
  @Matches(PEM, { message: 'KAFKA_TLS_KEY must hold a PEM private key when KAFKA_TLS_CERT is set' })
  KAFKA_TLS_KEY?: string;

  @IsOptional()
  @IsIn(KAFKA_SASL_MECHANISMS, { message: `KAFKA_SASL_MECHANISM must be one of ${KAFKA_SASL_MECHANISMS.join(', ')}` })
  KAFKA_SASL_MECHANISM?: string;

  @ValidateIf((env: ServiceEnvironment) => env.KAFKA_SASL_MECHANISM !== undefined)
  @IsString()
  @IsNotEmpty({ message: 'KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM' })
  KAFKA_SASL_USERNAME?: string;

  @ValidateIf((env: ServiceEnvironment) => env.KAFKA_SASL_MECHANISM !== undefined)
  @IsString()
  @IsNotEmpty({ message: 'KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM' })
  KAFKA_SASL_PASSWORD?: string;

  /** Partitions of the event topics Logbook creates: the most consumers of one group that share the work. */
  @IntegerSetting(1, 1000)
  LOGBOOK_KAFKA_PARTITIONS = 3;

  /** Replicas of each topic Logbook creates; unset: 3, or as many as the cluster has brokers if fewer. */
  @IsOptional()
  @IntegerSetting(1, 32)
  LOGBOOK_KAFKA_REPLICATION_FACTOR?: number;

  /** In-sync replicas a write needs; unset: 2 when topics have 3 replicas or more, else 1. */
  @IsOptional()
  @IntegerSetting(1, 32)
  LOGBOOK_KAFKA_MIN_INSYNC_REPLICAS?: number;

  /**
   * How long a consumer may go unheard before its group gives its partitions to the others: the most
   * a killed replica's share of the events waits. Brokers accept 6 s to 5 min by default.
   */
  @IntegerSetting(1000, 3_600_000)
  LOGBOOK_KAFKA_SESSION_TIMEOUT_MS = 10_000;
}

/** What ServiceEnvironment holds, typed: what the service runtime needs to open the database and reach Kafka. */
export interface ServiceConfig {
  mode: 'embedded' | 'distributed';
  databaseUrl?: string;
  kafka: KafkaCluster;
  dataDir: string;
  embeddedDatabase: EmbeddedDatabaseChoice;
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
    kafka: kafkaCluster(raw),
    dataDir: raw.LOGBOOK_DATA_DIR,
    embeddedDatabase: raw.LOGBOOK_EMBEDDED_DATABASE as EmbeddedDatabaseChoice,
    embeddedDurability: raw.LOGBOOK_EMBEDDED_DURABILITY as EmbeddedDurability,
    embeddedSharedBuffersMb: raw.LOGBOOK_EMBEDDED_SHARED_BUFFERS_MB,
    dbPoolSize: raw.LOGBOOK_DB_POOL_SIZE,
    dbIdleInTransactionTimeoutMs: raw.LOGBOOK_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    kafkaClientId: raw.LOGBOOK_KAFKA_CLIENT_ID ?? `logbook-${service}`,
    kafkaNamespace: raw.LOGBOOK_KAFKA_NAMESPACE,
  };
}

function kafkaCluster(raw: ServiceEnvironment): KafkaCluster {
  const { KAFKA_TLS_CA: ca, KAFKA_TLS_CERT: cert, KAFKA_TLS_KEY: key } = raw;
  const tls = raw.KAFKA_TLS === 'true' || ca !== undefined || cert !== undefined;
  return {
    brokers: raw.KAFKA_BROKERS ? raw.KAFKA_BROKERS.split(',') : [],
    ...(tls ? { tls: { ...(ca ? { ca } : {}), ...(cert && key ? { cert, key } : {}) } } : {}),
    ...(raw.KAFKA_SASL_MECHANISM
      ? {
          sasl: {
            mechanism: raw.KAFKA_SASL_MECHANISM as (typeof KAFKA_SASL_MECHANISMS)[number],
            username: raw.KAFKA_SASL_USERNAME as string,
            password: raw.KAFKA_SASL_PASSWORD as string,
          },
        }
      : {}),
    topics: {
      partitions: raw.LOGBOOK_KAFKA_PARTITIONS,
      ...(raw.LOGBOOK_KAFKA_REPLICATION_FACTOR ? { replicationFactor: raw.LOGBOOK_KAFKA_REPLICATION_FACTOR } : {}),
      ...(raw.LOGBOOK_KAFKA_MIN_INSYNC_REPLICAS ? { minInsyncReplicas: raw.LOGBOOK_KAFKA_MIN_INSYNC_REPLICAS } : {}),
    },
    consumerSessionTimeoutMs: raw.LOGBOOK_KAFKA_SESSION_TIMEOUT_MS,
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
  const { values, problems } = withFileSettings(schema, env);
  const config = plainToInstance(schema, values, { enableImplicitConversion: false, exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: false, skipMissingProperties: false, stopAtFirstError: true });
  problems.push(...errors.flatMap(describe));
  if (problems.length > 0) throw new ConfigError(service, problems);
  return config;
}

/**
 * Any setting NAME may be given as NAME_FILE, the path of a file holding its value (one trailing newline
 * dropped): how orchestrators hand over secrets. Only settings the schema declares are read this way, so
 * settings that are themselves paths (LOGBOOK_POLICIES_FILE) keep their meaning.
 */
function withFileSettings(schema: new () => object, env: NodeJS.ProcessEnv) {
  const values: Record<string, string | undefined> = { ...env };
  const problems: string[] = [];
  const declared = new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(schema, '', true, false)
      .map((metadata) => metadata.propertyName),
  );
  for (const name of declared) {
    const path = env[`${name}_FILE`];
    if (path === undefined || declared.has(`${name}_FILE`)) continue;
    if (env[name] !== undefined) {
      problems.push(`${name}: set ${name} or ${name}_FILE, not both`);
      continue;
    }
    try {
      values[name] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      problems.push(`${name}_FILE: cannot read ${path}: ${(error as Error).message}`);
    }
  }
  return { values, problems };
}

function describe(error: ValidationError): string[] {
  const own = Object.values(error.constraints ?? {}).map((text) => `${error.property}: ${text}`);
  return [...own, ...(error.children ?? []).flatMap(describe)];
}
