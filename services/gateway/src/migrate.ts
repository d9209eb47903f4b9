import 'reflect-metadata';
import { createLogger, runMain } from '@logbook/platform';
import { runMigrateCommand } from '@logbook/runtime';
import { artifactsService, loadArtifactsConfig } from '../../artifacts/src/index';
import { identityService, loadIdentityConfig } from '../../identity/src/index';
import { loadRegistryConfig, registryService } from '../../registry/src/index';
import { loadTrackingConfig, trackingService } from '../../tracking/src/index';

/**
 * `npm run migrate` (the Helm chart's pre-install and pre-upgrade Job): brings every service's schema up
 * to date, with each service's own configuration, and exits; non-zero when any migration fails.
 */
async function main(): Promise<void> {
  await runMigrateCommand(
    [
      { service: trackingService, config: loadTrackingConfig() },
      { service: artifactsService, config: loadArtifactsConfig() },
      { service: registryService, config: loadRegistryConfig() },
      { service: identityService, config: loadIdentityConfig() },
    ],
    createLogger('migrate'),
  );
}

runMain(main);
