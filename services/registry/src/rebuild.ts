import 'reflect-metadata';
import { createLogger, runMain } from '@logbook/platform';
import { runRebuildCommand } from '@logbook/runtime';
import { loadRegistryConfig } from './config';
import { openRegistryStore, registryProjections, registryStreams } from './registry.runtime';

/**
 * `npm run rebuild:registry [-- <projection>...] [--heads]`: empties the registry's read models (models,
 * versions, tags, aliases: `registry`; versions' activity lists: `activities`) and replays its event log into it; `--heads` folds every stream head again
 * instead. The lineage tables are not in it: they are what the registry heard of tracking's events, not
 * its own log. Uses the service's configuration; in the embedded shape, stop the server first.
 */
async function main(): Promise<void> {
  const logger = createLogger('registry-rebuild');
  const target = {
    projections: registryProjections,
    streams: registryStreams,
    open: () => openRegistryStore(loadRegistryConfig(), logger),
  };
  await runRebuildCommand(target, logger, process.argv.slice(2));
}

runMain(main);
