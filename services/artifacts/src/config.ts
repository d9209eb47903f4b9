import { IsIn, IsNotEmpty, IsOptional, IsString, Matches, ValidateIf } from 'class-validator';
import { IntegerSetting, loadConfig, ServiceConfig, serviceConfig, ServiceEnvironment } from '@logbook/platform';

const usesS3 = (env: ArtifactsEnvironment) => env.LOGBOOK_ARTIFACTS_BACKEND === 's3';

/** The environment the artifacts module reads, validated at start. */
export class ArtifactsEnvironment extends ServiceEnvironment {
  @IsOptional()
  @IsIn(['local', 's3'])
  LOGBOOK_ARTIFACTS_BACKEND?: string;

  @IsOptional()
  @IsString()
  LOGBOOK_ARTIFACTS_DIR?: string;

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

  @IntegerSetting(100, 3_600_000)
  LOGBOOK_REGISTRATION_LEASE_MS = 30_000;
}

export interface ArtifactsConfig extends ServiceConfig {
  backend: 'local' | 's3';
  localRoot: string;
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
  /** How long a replica's claim on a model version's copy lasts unless renewed (another replica takes over after). */
  registrationLeaseMs: number;
}

export function loadArtifactsConfig(env: NodeJS.ProcessEnv = process.env): ArtifactsConfig {
  const raw = loadConfig('artifacts', ArtifactsEnvironment, env);
  const base = serviceConfig(raw, 'artifacts');
  return {
    ...base,
    backend: (raw.LOGBOOK_ARTIFACTS_BACKEND ??
      (base.mode === 'distributed' ? 's3' : 'local')) as ArtifactsConfig['backend'],
    localRoot: raw.LOGBOOK_ARTIFACTS_DIR ?? `${raw.LOGBOOK_DATA_DIR.replace(/\/+$/, '')}/artifacts`,
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
    registrationLeaseMs: raw.LOGBOOK_REGISTRATION_LEASE_MS,
  };
}
