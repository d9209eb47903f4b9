import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { PostgresDatabase } from '@logbook/platform';
import { createTestDatabase, testInfra, uniqueName, waitFor } from '@logbook/testing';
import { DistributedPlatform, LogBatchLoad, lost, postJson, Service, storedSteps } from './platform';

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
      env: {
        DATABASE_URL: database.url,
        KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
        LOGBOOK_KAFKA_NAMESPACE: uniqueName('drill-replicas'),
        S3_ENDPOINT: process.env.S3_ENDPOINT,
        S3_ACCESS_KEY: process.env.S3_ACCESS_KEY,
        S3_SECRET_KEY: process.env.S3_SECRET_KEY,
        S3_REGION: process.env.S3_REGION,
        S3_BUCKET: process.env.S3_BUCKET,
        S3_PREFIX: `${uniqueName('drill-replicas')}/`,
      },
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

  /** Runs whose creation the consumer `consumer` of `schema` has taken in (each once: the inbox's key). */
  const runsTakenIn = async (schema: string, consumer: string, runIds: string[]) => {
    const { rows } = await db.query<{ stream_id: string }>(
      `SELECT e.stream_id FROM tracking.events e
       JOIN ${schema}.inbox i ON i.event_id = e.event_id AND i.consumer = $1
       WHERE e.stream_id = ANY($2::text[]) AND e.type = 'RunCreated'`,
      [consumer, runIds],
    );
    return new Set(rows.map((row) => row.stream_id));
  };

  it('loses no acknowledged write, applies nothing twice, and the survivors take over within seconds', async () => {
    const { experiment_id: experimentId } = await postJson(platform.url, 'experiments/create', {
      name: uniqueName('drill-replicas'),
    });
    const runIds = await createRuns(experimentId, 4, 'before');
    const load = new LogBatchLoad(platform.url, runIds);

    const killed: Record<Service, number> = { tracking: 0, artifacts: 0, registry: 0 };
    for (const service of ['tracking', 'artifacts', 'registry'] as const) {
      await delay(BETWEEN_KILLS_MS);
      killed[service] = load.acknowledgedPoints;
      await platform.instances[service][0].kill('SIGKILL');
    }
    await delay(BETWEEN_KILLS_MS);
    const lateRuns = await createRuns(experimentId, 3, 'after');
    const outcome = await load.stop();

    assert.ok(killed.tracking > 0 && outcome.failedBatches === 0, `every batch was taken: ${outcome.failedBatches}`);
    for (const runId of runIds) {
      const acknowledged = outcome.acknowledged.get(runId) as number[];
      assert.ok(acknowledged.length > 0, `run ${runId} had batches acknowledged`);
      assert.deepEqual(lost(acknowledged, await storedSteps(platform.url, runId)), [], `run ${runId} lost nothing`);
    }
    assert.ok(outcome.maxAttempts <= 2, `a client needed at most one retry, not ${outcome.maxAttempts - 1}`);

    // The surviving tracking replica took the relay over and published the whole log.
    await waitFor(
      'the relay to publish the whole tracking log',
      async () => {
        const { rows } = await db.query<{ behind: boolean }>(
          `SELECT coalesce((SELECT global_position FROM tracking.checkpoints WHERE name = 'relay'), 0)
                    < (SELECT max(global_position) FROM tracking.events) AS behind`,
        );
        return rows[0].behind ? undefined : true;
      },
      30_000,
    );
    assert.match(platform.instances.tracking[1].log(), /this replica holds the relay lock/);

    // The surviving consumers took over the killed ones' partitions: every run, those created after the
    // kills too, reached the artifacts and registry services, each run's creation taken in once.
    const allRuns = [...runIds, ...lateRuns];
    for (const [schema, consumer] of [
      ['artifacts', 'artifacts.tracking-events'],
      ['registry', 'registry.tracking-events'],
    ]) {
      await waitFor(
        `${consumer} to take in every run`,
        async () => ((await runsTakenIn(schema, consumer, allRuns)).size === allRuns.length ? true : undefined),
        45_000,
      );
    }
    const { rows: owners } = await db.query<{ owner_id: string; rows: number }>(
      `SELECT owner_id, count(*)::int AS rows FROM artifacts.owners WHERE owner_id = ANY($1::text[]) GROUP BY owner_id`,
      [allRuns],
    );
    assert.equal(owners.length, allRuns.length, 'the artifacts service knows every run');
    assert.ok(
      owners.every((owner) => owner.rows === 1),
      'each run is known once',
    );
    assert.equal(platform.instances.tracking[1].alive && platform.instances.artifacts[1].alive, true);
  });
});
