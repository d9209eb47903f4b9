import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { PostgresDatabase, runMain, createLogger, SYSTEM_METADATA } from '@logbook/platform';
// The one known break of the boundaries: this command still opens tracking's store; the artifacts rework
// of issue 8 takes it off tracking's internals.
// eslint-disable-next-line boundaries/dependencies
import { loadTrackingConfig } from '../../tracking/src/config';
// eslint-disable-next-line boundaries/dependencies
import { openTrackingStore } from '../../tracking/src/tracking.runtime';
import { openArtifactsStore } from './artifacts.runtime';
import { loadArtifactsConfig } from './config';

/**
 * `npm run reconcile [-- --dry-run] [--root <experiment>/<run>/artifacts]`: makes the index of recorded
 * artifacts agree with the store (ArtifactsService.reconcile), for every run and logged model, or one.
 * The events it records are published by the running service. In the embedded shape, stop the server
 * first: the embedded database takes one process at a time.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'dry-run': { type: 'boolean' }, root: { type: 'string' } } });
  const logger = createLogger('artifacts-reconcile');
  const config = loadArtifactsConfig();
  // Embedded, the artifacts schema lives in the one embedded database, which the tracking runtime opens.
  const db =
    config.mode === 'distributed'
      ? new PostgresDatabase(config.databaseUrl as string, 1)
      : (await openTrackingStore(loadTrackingConfig(), logger)).db;
  try {
    const { service } = await openArtifactsStore(config, db, logger);
    const roots = values.root ? [values.root] : await service.ownedRoots();
    for (const root of roots) {
      const report = await service.reconcile(root, SYSTEM_METADATA(), { dryRun: values['dry-run'] });
      if (report.recorded.length + report.deleted.length + report.unrecordable.length > 0) {
        logger.info({ ...report, dryRun: Boolean(values['dry-run']) }, 'store and index disagreed');
      }
    }
    logger.info({ roots: roots.length, dryRun: Boolean(values['dry-run']) }, 'reconciled');
  } finally {
    await db.close();
  }
}

if (require.main === module) runMain(main);
