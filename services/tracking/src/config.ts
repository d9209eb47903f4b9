import { IsIn, IsNotEmpty, IsOptional, IsString, Matches, ValidateIf } from 'class-validator';
import {
  IntegerSetting,
  loadConfig,
  DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  EMBEDDED_DURABILITIES,
  EmbeddedDurability,
} from '@logbook/platform';

/** The environment the tracking module reads, validated at start. */
export class TrackingEnvironment {
  @IsIn(['embedded', 'distributed'])
  LOGBOOK_MODE = 'embedded';

  @ValidateIf((env: TrackingEnvironment) => env.LOGBOOK_MODE === 'distributed')
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// connection string' })
  DATABASE_URL?: string;

  @ValidateIf((env: TrackingEnvironment) => env.LOGBOOK_MODE === 'distributed')
  @Matches(/^[\w.-]+:\d+(,[\w.-]+:\d+)*$/, { message: 'KAFKA_BROKERS must be host:port[,host:port...]' })
  KAFKA_BROKERS?: string;

  @IsString()
  @IsNotEmpty()
  LOGBOOK_DATA_DIR = './.logbook';

  @IsIn(EMBEDDED_DURABILITIES)
  LOGBOOK_EMBEDDED_DURABILITY = 'full';

  @IsString()
  @IsNotEmpty()
  LOGBOOK_DEFAULT_ARTIFACT_ROOT = 'mlflow-artifacts:';

  @IntegerSetting(1, 64)
  LOGBOOK_DB_POOL_SIZE = 10;

  /** Postgres ends a Logbook session idle inside a transaction after this long (0: the server's setting). */
  @IntegerSetting(0, 24 * 3600 * 1000)
  LOGBOOK_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS = DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS;

  @IsOptional()
  @IsString()
  LOGBOOK_KAFKA_CLIENT_ID?: string;
}

export interface TrackingConfig {
  mode: 'embedded' | 'distributed';
  databaseUrl?: string;
  kafkaBrokers: string[];
  dataDir: string;
  embeddedDurability: EmbeddedDurability;
  defaultArtifactRoot: string;
  dbPoolSize: number;
  dbIdleInTransactionTimeoutMs: number;
  kafkaClientId: string;
}

export function loadTrackingConfig(env: NodeJS.ProcessEnv = process.env): TrackingConfig {
  const raw = loadConfig('tracking', TrackingEnvironment, env);
  return {
    mode: raw.LOGBOOK_MODE as TrackingConfig['mode'],
    databaseUrl: raw.DATABASE_URL,
    kafkaBrokers: raw.KAFKA_BROKERS ? raw.KAFKA_BROKERS.split(',') : [],
    dataDir: raw.LOGBOOK_DATA_DIR,
    embeddedDurability: raw.LOGBOOK_EMBEDDED_DURABILITY as EmbeddedDurability,
    defaultArtifactRoot: raw.LOGBOOK_DEFAULT_ARTIFACT_ROOT.replace(/\/+$/, ''),
    dbPoolSize: raw.LOGBOOK_DB_POOL_SIZE,
    dbIdleInTransactionTimeoutMs: raw.LOGBOOK_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    kafkaClientId: raw.LOGBOOK_KAFKA_CLIENT_ID ?? 'logbook-tracking',
  };
}
