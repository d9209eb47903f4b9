import { IsNotEmpty, IsString } from 'class-validator';
import { loadConfig, ServiceConfig, serviceConfig, ServiceEnvironment } from '@logbook/platform';

/** The environment the tracking module reads, validated at start. */
export class TrackingEnvironment extends ServiceEnvironment {
  @IsString()
  @IsNotEmpty()
  LOGBOOK_DEFAULT_ARTIFACT_ROOT = 'mlflow-artifacts:';
}

export interface TrackingConfig extends ServiceConfig {
  defaultArtifactRoot: string;
}

export function loadTrackingConfig(env: NodeJS.ProcessEnv = process.env): TrackingConfig {
  const raw = loadConfig('tracking', TrackingEnvironment, env);
  return {
    ...serviceConfig(raw, 'tracking'),
    defaultArtifactRoot: raw.LOGBOOK_DEFAULT_ARTIFACT_ROOT.replace(/\/+$/, ''),
  };
}
