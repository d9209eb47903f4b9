import { IntegerSetting, loadConfig, ServiceConfig, serviceConfig, ServiceEnvironment } from '@logbook/platform';

/** The environment the registry reads, validated at start: the shared service settings and its own. */
export class RegistryEnvironment extends ServiceEnvironment {
  @IntegerSetting(0, 60_000)
  LOGBOOK_REGISTRATION_WAIT_MS = 3000;
}

export interface RegistryConfig extends ServiceConfig {
  /**
   * How long model-versions/create waits for the artifacts service's verdict before it answers
   * PENDING_REGISTRATION. The official client polls a pending version only every 3 s, so a verdict
   * reached within that time reaches the caller sooner through the create answer.
   */
  registrationWaitMs: number;
}

export function loadRegistryConfig(env: NodeJS.ProcessEnv = process.env): RegistryConfig {
  const raw = loadConfig('registry', RegistryEnvironment, env);
  return { ...serviceConfig(raw, 'registry'), registrationWaitMs: raw.LOGBOOK_REGISTRATION_WAIT_MS };
}
