import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { PrivatePostgres, testInfra, uniqueName } from '@logbook/testing';
import { DistributedPlatform, LogBatchLoad, lost, postJson, storedSteps } from './platform';

const BATCH = 100;

/** PostgreSQL stopped at once (as a crash or a failover would) under the log-batch load, then started again. */
describe('drill: PostgreSQL restarted under load', () => {
  let postgres: PrivatePostgres;
  let platform: DistributedPlatform;

  before(async () => {
    postgres = await PrivatePostgres.create();
    await postgres.start();
    const namespace = uniqueName('drill-postgres');
    platform = await DistributedPlatform.start({
      replicas: 1,
      databaseUrl: postgres.url,
      brokers: testInfra().kafkaBrokers,
      namespace,
    });
  });

  after(async () => {
    await platform?.stop();
    await postgres?.destroy();
  });

  it('answers 503 while it is down, applies no batch in part, and reconnects by itself', async (t) => {
    const { experiment_id: experimentId } = await postJson(platform.url, 'experiments/create', {
      name: uniqueName('drill-postgres'),
    });
    const runIds = await Promise.all(
      ['a', 'b', 'c'].map(
        async (name) =>
          (await postJson(platform.url, 'runs/create', { experiment_id: experimentId, run_name: name, start_time: 1 }))
            .run.info.run_id as string,
      ),
    );
    const load = new LogBatchLoad(platform.url, runIds, BATCH);
    await delay(3000);
    await postgres.stop();
    await delay(6000);
    await postgres.start();
    const restarted = Date.now();
    await Promise.all(platform.processes().map((process) => process.ready(30_000)));
    const readyAfterMs = Date.now() - restarted;
    const acknowledgedAtRecovery = load.acknowledgedPoints;
    await delay(3000);
    const outcome = await load.stop();
    t.diagnostic(
      `down 6 s: every process ready ${readyAfterMs} ms after the restart; failed attempts by status ` +
        `${JSON.stringify(Object.fromEntries(outcome.failures))}, ${outcome.failedBatches} batches refused after ` +
        `every retry, slowest batch ${outcome.slowestMs} ms; ${load.acknowledgedPoints} points acknowledged`,
    );

    assert.ok(load.acknowledgedPoints > acknowledgedAtRecovery, 'writes are taken again once it is back');
    assert.ok(outcome.failures.get(503), 'writes during the outage were answered 503');
    assert.deepEqual(
      [...outcome.failures.keys()].filter((status) => status !== 503),
      [],
      'and with nothing but 503',
    );
    for (const runId of runIds) {
      const stored = await storedSteps(platform.url, runId);
      assert.deepEqual(lost(outcome.acknowledged.get(runId) as number[], stored), [], `run ${runId} lost nothing`);
      const perBatch = new Map<number, Set<number>>();
      for (const step of stored) {
        const batch = Math.floor(step / BATCH);
        perBatch.set(batch, (perBatch.get(batch) ?? new Set()).add(step));
      }
      const partial = [...perBatch].filter(([, steps]) => steps.size !== BATCH).map(([batch]) => batch);
      assert.deepEqual(partial, [], `run ${runId}: every batch is there whole or not at all`);
    }
    assert.ok(readyAfterMs < 30_000, `every process ready again ${readyAfterMs} ms after the restart`);
  });
});
