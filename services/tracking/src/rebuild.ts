import 'reflect-metadata';
import { Database } from '../../../libs/platform/src/database';
import { createLogger } from '../../../libs/platform/src/logger';
import { migrate } from '../../../libs/platform/src/migrations';
import { EventStore } from '../../../libs/eventstore/src/event-store';
import { TRACKING_SCHEMA, trackingMigrations } from '../migrations/001_initial';
import { loadTrackingConfig } from './config';
import { openTrackingDatabase, TRACKING_PRODUCER, trackingProjections } from './tracking.runtime';

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
  const db: Database = await openTrackingDatabase(loadTrackingConfig());
  try {
    await migrate(db, TRACKING_SCHEMA, trackingMigrations);
    const store = new EventStore(db, {
      schema: TRACKING_SCHEMA,
      producer: TRACKING_PRODUCER,
      projections: trackingProjections,
    });
    for (const projection of trackingProjections.filter((p) => names.length === 0 || names.includes(p.name))) {
      const started = Date.now();
      const events = await store.rebuild(projection);
      logger.info({ projection: projection.name, events, ms: Date.now() - started }, 'projection rebuilt');
    }
  } finally {
    await db.close();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
