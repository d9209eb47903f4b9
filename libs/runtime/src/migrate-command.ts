import { Logger, ServiceConfig } from '@logbook/platform';
import { ServiceDefinition, startServiceRuntime } from './service-runtime';

/** A schema the migrate command brings up to date: its service, with the configuration that service runs with. */
export interface MigrationTarget {
  service: ServiceDefinition;
  config: ServiceConfig;
}

/**
 * Applies every pending migration of each target's schema, one schema after another, and returns. The
 * services migrate at start too (under the same lock, so a release's pods never race); running this
 * first lets a deployment do it once, before the new release's pods roll, and fail the release if it fails.
 */
export async function runMigrateCommand(targets: MigrationTarget[], logger: Logger): Promise<void> {
  for (const { service, config } of targets) {
    const started = Date.now();
    const runtime = await startServiceRuntime({ service, config, logger, role: 'command' });
    await runtime.close();
    logger.info({ schema: service.schema, ms: Date.now() - started }, 'schema up to date');
  }
}
