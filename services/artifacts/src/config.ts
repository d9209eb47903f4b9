import { IsIn, IsNotEmpty, IsOptional, IsString, Matches, ValidateIf } from 'class-validator';
import { IntegerSetting, loadConfig, DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS } from '@logbook/platform';

const usesS3 = (env: ArtifactsEnvironment) => env.LOGBOOK_ARTIFACTS_BACKEND === 's3';

/** The environment the artifacts module reads, validated at start. */
export class ArtifactsEnvironment {
  @IsIn(['embedded', 'distributed'])
  LOGBOOK_MODE = 'embedded';

  @IsOptional()
  @IsIn(['local', 's3'])
  LOGBOOK_ARTIFACTS_BACKEND?: string;

  @IsString()
  @IsNotEmpty()
  LOGBOOK_DATA_DIR = './.logbook';

  @IsOptional()
  @IsString()
  LOGBOOK_ARTIFACTS_DIR?: string;

  @ValidateIf((env: ArtifactsEnvironment) => env.LOGBOOK_MODE === 'distributed')
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// connection string' })
  DATABASE_URL?: string;

  @ValidateIf((env: ArtifactsEnvironment) => env.LOGBOOK_MODE === 'distributed')
  @Matches(/^[\w.-]+:\d+(,[\w.-]+:\d+)*$/, { message: 'KAFKA_BROKERS must be host:port[,host:port...]' })
  KAFKA_BROKERS?: string;

  @ValidateIf(usesS3)
  @IsString()
  @IsNotEmpty({ message: 'S3_BUCKET is required with the s3 backend' })
  S3_BUCKET?: string;

  @IsOptional()
  @Matches(/^https?:\/\//, { message: 'S3_ENDPOINT must be an http(s) URL' })
  S3_ENDPOINT?: string;

  @IsString()
  S3_REGION = 'us-east-1';

  @ValidateIf(usesS3)
  @IsString()
  @IsNotEmpty({ message: 'S3_ACCESS_KEY is required with the s3 backend' })
  S3_ACCESS_KEY?: string;

  @ValidateIf(usesS3)
  @IsString()
  @IsNotEmpty({ message: 'S3_SECRET_KEY is required with the s3 backend' })
  S3_SECRET_KEY?: string;

  @IsString()
  S3_PREFIX = '';

  @IsIn(['true', 'false'])
  S3_FORCE_PATH_STYLE = 'true';

  @IntegerSetting(1, 5 * 1024 * 1024)
  LOGBOOK_ARTIFACT_MAX_UPLOAD_MB = 5 * 1024;

  @IntegerSetting(0, 60_000)
  LOGBOOK_ARTIFACT_OWNER_WAIT_MS = 5000;

  @IsIn(['true', 'false'])
  LOGBOOK_ARTIFACT_TRANSFER_OFFLOAD = 'true';

  @IntegerSetting(1, 64)
  LOGBOOK_DB_POOL_SIZE = 10;

  /** Postgres ends a Logbook session idle inside a transaction after this long (0: the server's setting). */
  @IntegerSetting(0, 24 * 3600 * 1000)
  LOGBOOK_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS = DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS;
}

export interface ArtifactsConfig {
  mode: 'embedded' | 'distributed';
  backend: 'local' | 's3';
  localRoot: string;
  databaseUrl?: string;
  kafkaBrokers: string[];
  s3: {
    bucket: string;
    endpoint?: string;
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
    prefix: string;
    forcePathStyle: boolean;
  };
  maxUploadBytes: number;
  ownerWaitMs: number;
  /** Let the gateway read S3 downloads itself; needs the S3 endpoint reachable from the gateway. */
  transferOffload: boolean;
  dbPoolSize: number;
  dbIdleInTransactionTimeoutMs: number;
}

export function loadArtifactsConfig(env: NodeJS.ProcessEnv = process.env): ArtifactsConfig {
  const raw = loadConfig('artifacts', ArtifactsEnvironment, env);
  const mode = raw.LOGBOOK_MODE as ArtifactsConfig['mode'];
  return {
    mode,
    backend: (raw.LOGBOOK_ARTIFACTS_BACKEND ?? (mode === 'distributed' ? 's3' : 'local')) as ArtifactsConfig['backend'],
    localRoot: raw.LOGBOOK_ARTIFACTS_DIR ?? `${raw.LOGBOOK_DATA_DIR.replace(/\/+$/, '')}/artifacts`,
    databaseUrl: raw.DATABASE_URL,
    kafkaBrokers: raw.KAFKA_BROKERS ? raw.KAFKA_BROKERS.split(',') : [],
    s3: {
      bucket: raw.S3_BUCKET ?? '',
      endpoint: raw.S3_ENDPOINT,
      region: raw.S3_REGION,
      accessKeyId: raw.S3_ACCESS_KEY ?? '',
      secretAccessKey: raw.S3_SECRET_KEY ?? '',
      prefix: raw.S3_PREFIX,
      forcePathStyle: raw.S3_FORCE_PATH_STYLE === 'true',
    },
    maxUploadBytes: raw.LOGBOOK_ARTIFACT_MAX_UPLOAD_MB * 1024 * 1024,
    ownerWaitMs: raw.LOGBOOK_ARTIFACT_OWNER_WAIT_MS,
    transferOffload: raw.LOGBOOK_ARTIFACT_TRANSFER_OFFLOAD === 'true',
    dbPoolSize: raw.LOGBOOK_DB_POOL_SIZE,
    dbIdleInTransactionTimeoutMs: raw.LOGBOOK_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  };
}
