import { loadConfig, ServiceConfig, serviceConfig, ServiceEnvironment } from '@logbook/platform';

/** The environment the registry reads, validated at start: the shared service settings. */
export class RegistryEnvironment extends ServiceEnvironment {}

export type RegistryConfig = ServiceConfig;

export function loadRegistryConfig(env: NodeJS.ProcessEnv = process.env): RegistryConfig {
  return serviceConfig(loadConfig('registry', RegistryEnvironment, env), 'registry');
}
