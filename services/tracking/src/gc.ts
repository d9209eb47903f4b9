import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { runMain, createLogger, SYSTEM_METADATA } from '@logbook/platform';
import { loadTrackingConfig } from './config';
import { ExperimentsQueries } from './experiments/experiments.queries';
import { RunsService } from './runs/runs.service';
import { openTrackingStore } from './tracking.runtime';

/** MLflow's `--older-than` format: `1d2h3m4s`, any subset, in that order. */
export function parseAge(text: string): number {
  const match = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!match || text === '') throw new Error(`--older-than must look like 1d2h3m4s, got '${text}'`);
  const [days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0));
  return (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000;
}

/**
 * `npm run gc [-- --older-than 30d] [--run-ids a,b]`: permanently removes deleted runs, like
 * `mlflow gc`. Each purge is a RunPurged event; the artifacts service removes the run's artifacts
 * when it receives it. In the embedded shape, stop the server first.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'older-than': { type: 'string' }, 'run-ids': { type: 'string' } } });
  const logger = createLogger('tracking-gc');
  const cutoff = Date.now() - (values['older-than'] ? parseAge(values['older-than']) : 0);
  const requested = values['run-ids']?.split(',').filter(Boolean);
  const { db, store, close } = await openTrackingStore(loadTrackingConfig(), logger);
  try {
    const { rows } = await db.query<{ run_id: string }>(
      `SELECT r.run_id FROM tracking.runs r JOIN tracking.experiments e ON e.experiment_id = r.experiment_id
       WHERE (r.lifecycle_stage = 'deleted' AND r.deleted_time <= $1)
          OR (e.lifecycle_stage = 'deleted' AND e.last_update_time <= $1)
       ORDER BY r.run_id`,
      [cutoff],
    );
    const deletable = new Set(rows.map((r) => r.run_id));
    const runIds = requested ?? [...deletable];
    const refused = runIds.filter((runId) => !deletable.has(runId));
    if (refused.length > 0) throw new Error(`Not deleted, or deleted too recently: ${refused.join(', ')}`);
    const runs = new RunsService(store, db, new ExperimentsQueries(db));
    for (const runId of runIds) await runs.purge(runId, SYSTEM_METADATA());
    logger.info({ purged: runIds.length }, 'deleted runs purged');
  } finally {
    await close();
  }
}

if (require.main === module) runMain(main);
