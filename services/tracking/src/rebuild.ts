import 'reflect-metadata';
import { runMain, createLogger } from '@logbook/platform';
import { runRebuildCommand } from '@logbook/runtime';
import { loadTrackingConfig } from './config';
import { openTrackingStore, trackingProjections, trackingStreams } from './tracking.runtime';

/**
 * `npm run rebuild [-- <projection>...] [--heads]`: empties the named tracking projections (all when
 * none are named) and replays the event log into them. `--heads` folds every stream head again from
 * the log instead. Uses the same configuration as the service; in the embedded shape, stop the server first.
 */
async function main(): Promise<void> {
  const logger = createLogger('tracking-rebuild');
  const target = {
    projections: trackingProjections,
    streams: trackingStreams,
    open: () => openTrackingStore(loadTrackingConfig(), logger),
  };
  await runRebuildCommand(target, logger, process.argv.slice(2));
}

runMain(main);
