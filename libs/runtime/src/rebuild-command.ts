import { parseArgs } from 'node:util';
import { DomainEvent, EventStore, InlineProjection, StreamDefinition } from '@logbook/eventstore';
import { Logger } from '@logbook/platform';

/** What a service's rebuild command works on: its projections, its stream types, and how to open its log. */
export interface RebuildTarget {
  projections: InlineProjection[];
  streams: StreamDefinition<unknown, never, DomainEvent>[];
  open(): Promise<{ store: EventStore; close(): Promise<void> }>;
}

/**
 * `[<projection>...] [--heads]` (from `args`): empties the named projections (all when none are named)
 * and replays the event log into them; `--heads` folds every stream head again from the log instead
 * (loading a head of an old state version does that for one stream).
 */
export async function runRebuildCommand(target: RebuildTarget, logger: Logger, args: string[]): Promise<void> {
  const { values, positionals: names } = parseArgs({
    args,
    options: { heads: { type: 'boolean' } },
    allowPositionals: true,
  });
  const known = target.projections.map((p) => p.name);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new Error(`Unknown projection(s): ${unknown.join(', ')}. Known: ${known.join(', ')}`);
  if (values.heads && names.length > 0) throw new Error('--heads rebuilds stream heads; name no projection with it');
  const { store, close } = await target.open();
  try {
    if (values.heads) {
      const started = Date.now();
      const heads = await store.rebuildHeads(target.streams);
      logger.info({ heads, ms: Date.now() - started }, 'stream heads rebuilt');
      return;
    }
    for (const projection of target.projections.filter((p) => names.length === 0 || names.includes(p.name))) {
      const started = Date.now();
      const events = await store.rebuild(projection);
      logger.info({ projection: projection.name, events, ms: Date.now() - started }, 'projection rebuilt');
    }
  } finally {
    await close();
  }
}
