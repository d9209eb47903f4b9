import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { runMain, createLogger, SYSTEM_METADATA } from '@logbook/platform';
import { ArtifactRecords } from './artifact-records';
import { openArtifactsStore } from './artifacts.runtime';
import { loadArtifactsConfig } from './config';
import { Owners } from './owners/owners';
import { ReconciliationService } from './reconciliation/reconciliation.service';

/**
 * `npm run reconcile [-- --dry-run] [--root <experiment>/<run>/artifacts]`: makes the index of recorded
 * artifacts agree with the store (ReconciliationService.reconcile), for every run and logged model, or one.
 * The events it records are published by the running service. In the embedded shape, stop the server
 * first: the embedded database takes one process at a time.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'dry-run': { type: 'boolean' }, root: { type: 'string' } } });
  const logger = createLogger('artifacts-reconcile');
  const { db, store, storage, config, ownerAnnouncements, close } = await openArtifactsStore(
    loadArtifactsConfig(),
    logger,
  );
  const service = new ReconciliationService(
    storage,
    new Owners(db, config, ownerAnnouncements),
    new ArtifactRecords(db, store, storage),
  );
  try {
    const roots = values.root ? [values.root] : await service.ownedRoots();
    for (const root of roots) {
      const report = await service.reconcile(root, SYSTEM_METADATA(), { dryRun: values['dry-run'] });
      if (report.recorded.length + report.deleted.length + report.unrecordable.length > 0) {
        logger.info({ ...report, dryRun: Boolean(values['dry-run']) }, 'store and index disagreed');
      }
    }
    logger.info({ roots: roots.length, dryRun: Boolean(values['dry-run']) }, 'reconciled');
  } finally {
    await close();
  }
}

if (require.main === module) runMain(main);
