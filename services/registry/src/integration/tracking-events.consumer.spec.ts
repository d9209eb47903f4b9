import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { EventEnvelope } from '@logbook/eventstore';
import { migrate, PostgresDatabase, Queryable } from '@logbook/platform';
import { createTestDatabase, trackingRunEvent } from '@logbook/testing';
import { REGISTRY_SCHEMA, registryMigrations } from '../../migrations/001_initial';
import { trackingEventsConsumer } from './tracking-events.consumer';

const trackingEvent = (streamId: string, type: string, data: unknown) => trackingRunEvent(type, data, { streamId });

/** Runs as the seed and log-batch traffic make them, interleaved, with repeats, ties and values MLflow orders oddly. */
function batchOfEvents(): EventEnvelope[] {
  const [a, b, c] = ['run-a', 'run-b', 'run-c'].map((id) => `${id}-${randomUUID().slice(0, 8)}`);
  const created = (runId: string) =>
    trackingEvent(runId, 'RunCreated', {
      runId,
      experimentId: '7',
      runName: `name-${runId}`,
      userId: 'ada',
      startTime: 1764864000000,
      artifactUri: `mlflow-artifacts:/7/${runId}/artifacts`,
      tags: [],
    });
  const summary = (
    runId: string,
    params: Array<[string, string]>,
    metrics: Array<[string, number | string, number, number]>,
  ) =>
    trackingEvent(runId, 'RunDataLoggedSummary', {
      runId,
      params: params.map(([key, value]) => ({ key, value })),
      tags: [],
      latestMetrics: metrics.map(([key, value, timestamp, step]) => ({ key, value, timestamp, step })),
      pointCount: metrics.length,
    });
  return [
    created(a),
    summary(a, [['lr', '0.1']], [['loss', 0.9, 10, 1]]),
    created(b),
    summary(
      b,
      [
        ['lr', '0.2'],
        ['depth', '3'],
      ],
      [
        ['loss', 0.5, 10, 5],
        ['acc', 'NaN', 10, 5],
      ],
    ),
    summary(
      a,
      [
        ['lr', '0.1'],
        ['seed', '1'],
      ],
      [
        ['loss', 0.7, 20, 2],
        ['acc', 0.3, 5, 0],
      ],
    ),
    trackingEvent(a, 'RunStatusChanged', { runId: a, status: 'FINISHED', endTime: 1764864009000 }),
    summary(
      b,
      [],
      [
        ['loss', 0.4, 9, 5],
        ['acc', 0.2, 10, 5],
      ],
    ),
    summary('never-created', [['lr', '9']], [['loss', 1, 1, 1]]),
    trackingEvent(b, 'RunDeleted', { runId: b, experimentId: '7', time: 1 }),
    created(c),
    summary(
      c,
      [],
      [
        ['loss', 0, 1, 1],
        ['loss2', -1, 1, 1],
      ],
    ),
    summary(c, [], [['loss', -0, 1, 1]]),
    trackingEvent(c, 'RunRenamed', { runId: c, runName: 'renamed' }),
    created(a),
  ];
}

const LINEAGE = ['lineage_runs', 'lineage_run_params', 'lineage_run_metrics'];

describe("the registry's lineage consumer of tracking events, given a batch", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: PostgresDatabase;
  const consumer = trackingEventsConsumer();

  const lineage = async () => {
    const tables: Record<string, unknown[]> = {};
    for (const table of LINEAGE) {
      const { rows } = await db.query(`SELECT * FROM registry.${table} ORDER BY 1, 2`);
      tables[table] = rows;
    }
    return tables;
  };
  const emptyLineage = () => db.query(`TRUNCATE ${LINEAGE.map((table) => `registry.${table}`).join(', ')} CASCADE`);

  before(async () => {
    database = await createTestDatabase('registry_lineage_batch');
    db = new PostgresDatabase(database.url);
    await migrate(db, REGISTRY_SCHEMA, registryMigrations);
  });

  after(async () => {
    await db.close();
    await database.drop();
  });

  it('writes what its events write one at a time, its runs and summaries in a statement each', async () => {
    const events = batchOfEvents();
    await emptyLineage();
    for (const event of events) await db.transaction((tx) => consumer.handle(tx, event));
    const oneAtATime = await lineage();
    await emptyLineage();

    let statements = 0;
    await db.transaction((tx) => {
      const counting: Queryable = {
        query: (sql, params) => {
          statements++;
          return tx.query(sql, params);
        },
      };
      return consumer.handleAll!(counting, events);
    });

    assert.deepEqual(await lineage(), oneAtATime);
    assert.equal(oneAtATime.lineage_runs.length, 3);
    const otherEvents = events.filter((e) => e.type !== 'RunCreated' && e.type !== 'RunDataLoggedSummary').length;
    assert.equal(statements, 3 + otherEvents, 'one statement for the runs, one per kind of summary row, one per other');
  });
});
