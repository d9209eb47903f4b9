import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { PostgresDatabase } from '@logbook/platform';
import { createTestDatabase, testInfra, uniqueName, waitFor } from '@logbook/testing';
import { DistributedPlatform, LogBatchLoad, lost, PlatformProcess, postJson, Service, storedSteps } from './platform';

/** What a registry replica logs when it takes each of its exclusive jobs over. */
const REGISTRY_LOCKS = {
  webhookDelivery: 'this replica holds the delivery lock',
  auditExport: 'this replica holds the audit export lock',
};

/** How long the load runs between one kill and the next: long enough for the survivors to take over. */
const BETWEEN_KILLS_MS = 5000;

/**
 * Two replicas of every service behind one gateway, under the log-batch load, and one replica of each
 * killed with SIGKILL in turn (tracking, artifacts, registry), as a node failure would.
 */
describe('drill: a replica of each service killed under load', () => {
  let database: { url: string; drop(): Promise<void> };
  let db: PostgresDatabase;
  let platform: DistributedPlatform;

  before(async () => {
    database = await createTestDatabase('drill_replicas');
    db = new PostgresDatabase(database.url, 2);
    platform = await DistributedPlatform.start({
      replicas: 2,
      databaseUrl: database.url,
      brokers: testInfra().kafkaBrokers,
      namespace: uniqueName('drill-replicas'),
    });
  });

  after(async () => {
    await platform?.stop();
    await db?.close();
    await database?.drop();
  });

  const createRuns = async (experimentId: string, count: number, prefix: string) =>
    Promise.all(
      Array.from({ length: count }, async (_, index) => {
        const created = await postJson(platform.url, 'runs/create', {
          experiment_id: experimentId,
          run_name: `${prefix}-${index}`,
          start_time: Date.now(),
        });
        return created.run.info.run_id as string;
      }),
    );

  /** How many of `runIds` the table `table` (keyed by run) of another service holds, and whether any twice. */
  const runsKnown = async (table: string, column: string, runIds: string[]) => {
    const { rows } = await db.query<{ known: number; rows: number }>(
      `SELECT count(DISTINCT ${column})::int AS known, count(*)::int AS rows FROM ${table} WHERE ${column} = ANY($1::text[])`,
      [runIds],
    );
    return rows[0];
  };

  /** When (epoch ms) a replica's log last said it took over the lock `message` names, if it did since `since`. */
  const tookOver = (replica: PlatformProcess, message: string, since: number) =>
    replica
      .log()
      .split('\n')
      .filter((line) => line.includes(message))
      .map((line) => Date.parse((JSON.parse(line) as { time: string }).time))
      .find((time) => time >= since);

  it('loses no acknowledged write, applies nothing twice, and the survivors take over within seconds', async (t) => {
    const { experiment_id: experimentId } = await postJson(platform.url, 'experiments/create', {
      name: uniqueName('drill-replicas'),
    });
    const runIds = await createRuns(experimentId, 4, 'before');
    const load = new LogBatchLoad(platform.url, runIds);
    const takeoverMs: Record<Service, number> = { tracking: 0, artifacts: 0, registry: 0 };
    const followers: Record<Exclude<Service, 'tracking'>, [string, string]> = {
      artifacts: ['artifacts.owners', 'owner_id'],
      registry: ['registry.lineage_runs', 'run_id'],
    };
    const lateRuns: string[] = [];

    // Tracking: the replica that holds the relay lock is killed, so the other must take the relay over.
    await delay(BETWEEN_KILLS_MS);
    const lock = 'this replica holds the relay lock';
    const [holder, standby] = tookOver(platform.instances.tracking[0], lock, 0)
      ? platform.instances.tracking
      : [...platform.instances.tracking].reverse();
    const trackingKilledAt = Date.now();
    await holder.kill('SIGKILL');
    await waitFor('the standby to take the relay over', async () => tookOver(standby, lock, trackingKilledAt), 30_000);
    takeoverMs.tracking = (tookOver(standby, lock, trackingKilledAt) as number) - trackingKilledAt;

    // Artifacts and registry: runs created right after the kill land on every partition, those the killed
    // consumer held too, which the survivor serves once the group has given them to it. The registry replica
    // killed is the one sending webhooks, so the other must take the sender over, and the audit export if
    // the killed one ran it.
    const registrySender = tookOver(platform.instances.registry[0], REGISTRY_LOCKS.webhookDelivery, 0) ? 0 : 1;
    const registryVictims = { artifacts: 0, registry: registrySender };
    const registrySurvivor = platform.instances.registry[1 - registrySender];
    let registryKilledAt = 0;
    for (const service of ['artifacts', 'registry'] as const) {
      await delay(BETWEEN_KILLS_MS);
      const killedAt = Date.now();
      if (service === 'registry') registryKilledAt = killedAt;
      await platform.instances[service][registryVictims[service]].kill('SIGKILL');
      const created = await createRuns(experimentId, 6, `after-${service}`);
      lateRuns.push(...created);
      const [table, column] = followers[service];
      await waitFor(
        `${table} to hold the runs created after the kill`,
        async () => ((await runsKnown(table, column, created)).known === created.length ? true : undefined),
        45_000,
      );
      takeoverMs[service] = Date.now() - killedAt;
    }
    const lockTakeovers: string[] = [];
    for (const [name, message] of Object.entries(REGISTRY_LOCKS)) {
      await waitFor(`the surviving registry to hold the ${name} lock`, async () =>
        tookOver(registrySurvivor, message, 0),
      );
      const after = tookOver(registrySurvivor, message, registryKilledAt);
      lockTakeovers.push(after ? `${name} ${after - registryKilledAt} ms` : `${name} already held by the survivor`);
      if (after) assert.ok(after - registryKilledAt < 10_000, `${name} taken over in ${after - registryKilledAt} ms`);
    }
    await delay(BETWEEN_KILLS_MS);
    const outcome = await load.stop();
    t.diagnostic(
      `takeover after SIGKILL: relay ${takeoverMs.tracking} ms, artifacts consumer ${takeoverMs.artifacts} ms, ` +
        `registry consumer ${takeoverMs.registry} ms; registry locks: ${lockTakeovers.join(', ')}; ` +
        `${load.acknowledgedPoints} points acknowledged, ` +
        `${outcome.retried} requests retried, slowest batch ${outcome.slowestMs} ms`,
    );

    assert.equal(outcome.failedBatches, 0, 'every batch was taken');
    for (const runId of runIds) {
      const acknowledged = outcome.acknowledged.get(runId) as number[];
      assert.ok(acknowledged.length > 0, `run ${runId} had batches acknowledged`);
      assert.deepEqual(lost(acknowledged, await storedSteps(platform.url, runId)), [], `run ${runId} lost nothing`);
    }
    assert.ok(outcome.maxAttempts <= 2, `a client needed at most one retry, not ${outcome.maxAttempts - 1}`);

    // The standby published the whole log, what the killed holder had not published included. The log's
    // order is (transaction, position), so its last event need not hold the largest position.
    await waitFor(
      'the relay to publish the whole tracking log',
      async () => {
        const { rows } = await db.query<{ behind: boolean }>(
          `SELECT EXISTS (
             SELECT 1 FROM tracking.events e, tracking.checkpoints c
             WHERE c.name = 'relay' AND (e.transaction_id, e.global_position) > (c.transaction_id, c.global_position)
           ) OR NOT EXISTS (SELECT 1 FROM tracking.checkpoints WHERE name = 'relay') AS behind`,
        );
        return rows[0].behind ? undefined : true;
      },
      30_000,
    );

    // Every run reached the other services' projections, each once.
    const allRuns = [...runIds, ...lateRuns];
    for (const [table, column] of Object.values(followers)) {
      await waitFor(
        `${table} to hold every run`,
        async () => ((await runsKnown(table, column, allRuns)).known === allRuns.length ? true : undefined),
        30_000,
      );
      assert.deepEqual(await runsKnown(table, column, allRuns), { known: allRuns.length, rows: allRuns.length });
    }
    for (const service of ['tracking', 'artifacts', 'registry'] as const) {
      assert.ok(takeoverMs[service] < 30_000, `${service} taken over in ${takeoverMs[service]} ms`);
    }
  });
});
