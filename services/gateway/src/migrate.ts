import 'reflect-metadata';
import { createLogger, loadConfig, runMain, serviceConfig, ServiceEnvironment } from '@logbook/platform';
import { runMigrateCommand } from '@logbook/runtime';
import { artifactsService } from '../../artifacts/src/index';
import { identityService } from '../../identity/src/index';
import { registryService } from '../../registry/src/index';
import { trackingService } from '../../tracking/src/index';

/**
 * `npm run migrate` (the Helm chart's pre-install and pre-upgrade Job): brings every service's schema up
 * to date and exits; non-zero when any migration fails. It reads only what opening the database takes
 * (LOGBOOK_MODE, DATABASE_URL or LOGBOOK_DATA_DIR, ...), so the Job needs no service's other settings.
 */
async function main(): Promise<void> {
  const config = serviceConfig(loadConfig('migrate', ServiceEnvironment), 'migrate');
  await runMigrateCommand(
    [trackingService, artifactsService, registryService, identityService].map((service) => ({ service, config })),
    createLogger('migrate'),
  );
}

runMain(main);
