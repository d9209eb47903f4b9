import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { runMain, createLogger } from '@logbook/platform';
import { loadTrackingConfig } from './config';
import { openTrackingStore, trackingProjections, trackingStreams } from './tracking.runtime';

/**
 * `npm run rebuild [-- <projection>...] [--heads]`: empties the named tracking projections (all when
 * none are named) and replays the event log into them. `--heads` folds every stream head again from
 * the log instead (loading a head of an old state version does that for one stream). Uses the same
 * configuration as the service; in the embedded shape, stop the server first.
 */
async function main(): Promise<void> {
  const { values, positionals: names } = parseArgs({ options: { heads: { type: 'boolean' } }, allowPositionals: true });
  const logger = createLogger('tracking-rebuild');
  const unknown = names.filter((name) => !trackingProjections.some((p) => p.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `Unknown projection(s): ${unknown.join(', ')}. Known: ${trackingProjections.map((p) => p.name).join(', ')}`,
    );
  }
  if (values.heads && names.length > 0) throw new Error('--heads rebuilds stream heads; name no projection with it');
  const { store, close } = await openTrackingStore(loadTrackingConfig(), logger);
  try {
    if (values.heads) {
      const started = Date.now();
      const heads = await store.rebuildHeads(trackingStreams);
      logger.info({ heads, ms: Date.now() - started }, 'stream heads rebuilt');
      return;
    }
    for (const projection of trackingProjections.filter((p) => names.length === 0 || names.includes(p.name))) {
      const started = Date.now();
      const events = await store.rebuild(projection);
      logger.info({ projection: projection.name, events, ms: Date.now() - started }, 'projection rebuilt');
    }
  } finally {
    await close();
  }
}

runMain(main);
