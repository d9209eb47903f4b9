import 'reflect-metadata';
import { runMain, createLogger } from '@logbook/platform';
import { loadTrackingConfig } from './config';
import { openTrackingStore, trackingProjections } from './tracking.runtime';

/**
 * `npm run rebuild [-- <projection>...]`: empties the named tracking projections (all when none are
 * named) and replays the event log into them. Uses the same configuration as the service.
 */
async function main(): Promise<void> {
  const logger = createLogger('tracking-rebuild');
  const names = process.argv.slice(2);
  const unknown = names.filter((name) => !trackingProjections.some((p) => p.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `Unknown projection(s): ${unknown.join(', ')}. Known: ${trackingProjections.map((p) => p.name).join(', ')}`,
    );
  }
  const { db, store } = await openTrackingStore(loadTrackingConfig(), logger);
  try {
    for (const projection of trackingProjections.filter((p) => names.length === 0 || names.includes(p.name))) {
      const started = Date.now();
      const events = await store.rebuild(projection);
      logger.info({ projection: projection.name, events, ms: Date.now() - started }, 'projection rebuilt');
    }
  } finally {
    await db.close();
  }
}

runMain(main);
