import { Queryable } from '@logbook/platform';
import { EventEnvelope, InlineProjection } from '@logbook/eventstore';
import { Tag } from '../experiments/experiment.events';
import { fromWireDouble, MetricPoint, RUN_NAME_TAG, RunEvent } from './run.events';

const RUN_KEY = `(SELECT run_key FROM tracking.runs WHERE run_id = $1)`;

async function upsertTags(tx: Queryable, runId: string, tags: Tag[]): Promise<void> {
  if (tags.length === 0) return;
  await tx.query(
    `INSERT INTO tracking.run_tags (run_key, key, value)
     SELECT DISTINCT ON (key) ${RUN_KEY}, key, value
     FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(key, value, position)
     ORDER BY key, position DESC
     ON CONFLICT (run_key, key) DO UPDATE SET value = excluded.value`,
    [runId, tags.map((t) => t.key), tags.map((t) => t.value)],
  );
}

/**
 * How a batch's points are stored, exact duplicates dropped as MLflow drops them. ON CONFLICT DO NOTHING costs
 * Postgres a third more per point than a plain insert (a probe before each row and a speculative insertion), so
 * the plain insert takes a batch that can hold no duplicate: no key repeats a step within it, and the run has no
 * stored point of any of its keys within the steps it covers. A batch's run is locked by its stream's head for
 * the transaction, so no other writer adds its points meanwhile.
 */
function storePoints(metrics: MetricPoint[]): string {
  if (!stepsDistinctPerKey(metrics)) {
    return `stored AS (INSERT INTO tracking.metrics (run_key, key_id, step, ts, value) SELECT * FROM points ON CONFLICT DO NOTHING)`;
  }
  return `stored_before AS (
       SELECT EXISTS (
         SELECT 1 FROM (SELECT run_key, key_id, min(step) AS first, max(step) AS last FROM points GROUP BY run_key, key_id) b
         JOIN tracking.metrics m ON m.run_key = b.run_key AND m.key_id = b.key_id AND m.step BETWEEN b.first AND b.last
       ) AS found
     ), fresh AS (
       INSERT INTO tracking.metrics (run_key, key_id, step, ts, value)
       SELECT * FROM points WHERE NOT (SELECT found FROM stored_before)
     ), overlapping AS (
       INSERT INTO tracking.metrics (run_key, key_id, step, ts, value)
       SELECT * FROM points WHERE (SELECT found FROM stored_before) ON CONFLICT DO NOTHING
     )`;
}

function stepsDistinctPerKey(metrics: MetricPoint[]): boolean {
  const stepsByKey = new Map<string, Set<number>>();
  for (const { key, step } of metrics) {
    let steps = stepsByKey.get(key);
    if (!steps) stepsByKey.set(key, (steps = new Set()));
    if (steps.has(step)) return false;
    steps.add(step);
  }
  return true;
}

/**
 * The ids of metric key names, adding the new ones. Every run logs the same few keys, so their rows are read, never
 * written again: an upsert that touched them would lock them until its commit and make every other batch with a
 * key in common wait for that commit. A key another transaction added after this statement's snapshot, and
 * committed while the insert waited on it, is read back by a statement of its own.
 */
async function metricKeyIds(tx: Queryable, keys: string[]): Promise<Map<string, number>> {
  const { rows } = await tx.query<{ key_id: number; key: string }>(
    `WITH stored AS (SELECT key_id, key FROM tracking.metric_keys WHERE key = ANY($1::text[])),
     added AS (
       INSERT INTO tracking.metric_keys (key) SELECT key FROM unnest($1::text[]) AS wanted(key)
       WHERE key NOT IN (SELECT key FROM stored) ON CONFLICT (key) DO NOTHING RETURNING key_id, key
     )
     SELECT key_id, key FROM stored UNION ALL SELECT key_id, key FROM added`,
    [keys],
  );
  const keyIds = new Map(rows.map((r) => [r.key, r.key_id]));
  const addedMeanwhile = keys.filter((key) => !keyIds.has(key));
  if (addedMeanwhile.length > 0) {
    const late = await tx.query<{ key_id: number; key: string }>(
      `SELECT key_id, key FROM tracking.metric_keys WHERE key = ANY($1::text[])`,
      [addedMeanwhile],
    );
    for (const row of late.rows) keyIds.set(row.key, row.key_id);
  }
  return keyIds;
}

/**
 * The volume path: the metric key ids are resolved, then one statement inserts the points (exact duplicates
 * are dropped, as in MLflow) and keeps the latest value per key by MLflow's rule: highest step, then
 * timestamp, then value.
 */
async function insertMetrics(tx: Queryable, runId: string, metrics: MetricPoint[]): Promise<void> {
  if (metrics.length === 0) return;
  const keyIds = await metricKeyIds(tx, [...new Set(metrics.map((m) => m.key))]);
  // The points as one JSON array of [key id, step, timestamp, value]: pg would quote and escape each of the
  // thousands of elements of four array parameters in JavaScript, where JSON.stringify writes them natively.
  // A value that is not finite stays the string Postgres reads as float8 ('NaN', 'Infinity', '-Infinity').
  await tx.query(
    `WITH points AS (
       SELECT ${RUN_KEY} AS run_key, (p->>0)::int AS key_id, (p->>1)::bigint AS step, (p->>2)::bigint AS ts,
              (p->>3)::float8 AS value
       FROM json_array_elements($2::json) AS p
     ), ${storePoints(metrics)}
     INSERT INTO tracking.latest_metrics (run_key, key_id, step, ts, value)
     SELECT DISTINCT ON (key_id) run_key, key_id, step, ts, value FROM points ORDER BY key_id, step DESC, ts DESC, value DESC
     ON CONFLICT (run_key, key_id) DO UPDATE SET step = excluded.step, ts = excluded.ts, value = excluded.value
     WHERE (excluded.step, excluded.ts, excluded.value) > (latest_metrics.step, latest_metrics.ts, latest_metrics.value)`,
    [runId, JSON.stringify(metrics.map((m) => [keyIds.get(m.key), m.step, m.timestamp, m.value]))],
  );
  const modelMetrics = metrics.filter((m) => m.modelId);
  if (modelMetrics.length > 0) {
    await tx.query(
      `INSERT INTO tracking.model_metrics (model_id, run_id, key, value, ts, step, dataset_name, dataset_digest)
       SELECT model_id, $1, key, value, ts, step, dataset_name, dataset_digest
       FROM unnest($2::text[], $3::text[], $4::float8[], $5::bigint[], $6::bigint[], $7::text[], $8::text[])
         AS m(model_id, key, value, ts, step, dataset_name, dataset_digest)`,
      [
        runId,
        modelMetrics.map((m) => m.modelId),
        modelMetrics.map((m) => m.key),
        modelMetrics.map((m) => fromWireDouble(m.value)),
        modelMetrics.map((m) => m.timestamp),
        modelMetrics.map((m) => m.step),
        modelMetrics.map((m) => m.datasetName ?? null),
        modelMetrics.map((m) => m.datasetDigest ?? null),
      ],
    );
  }
}

async function applyOne(tx: Queryable, event: RunEvent): Promise<void> {
  switch (event.type) {
    case 'RunCreated': {
      const d = event.data;
      await tx.query(
        `INSERT INTO tracking.runs (run_id, experiment_id, name, user_id, status, start_time, artifact_uri, lifecycle_stage)
         VALUES ($1, $2, $3, $4, 'RUNNING', $5, $6, 'active')`,
        [d.runId, d.experimentId, d.runName, d.userId, d.startTime, d.artifactUri],
      );
      await upsertTags(tx, d.runId, d.tags);
      return;
    }
    case 'RunStatusChanged':
      await tx.query(`UPDATE tracking.runs SET status = $2, end_time = COALESCE($3, end_time) WHERE run_id = $1`, [
        event.data.runId,
        event.data.status,
        event.data.endTime,
      ]);
      return;
    case 'RunRenamed':
      await tx.query(`UPDATE tracking.runs SET name = $2 WHERE run_id = $1`, [event.data.runId, event.data.runName]);
      await upsertTags(tx, event.data.runId, [{ key: RUN_NAME_TAG, value: event.data.runName }]);
      return;
    case 'RunDeleted':
      await tx.query(`UPDATE tracking.runs SET lifecycle_stage = 'deleted', deleted_time = $2 WHERE run_id = $1`, [
        event.data.runId,
        event.data.time,
      ]);
      return;
    case 'RunPurged':
      for (const table of ['run_models', 'run_inputs', 'latest_metrics', 'metrics', 'run_tags', 'params']) {
        await tx.query(`DELETE FROM tracking.${table} WHERE run_key = ${RUN_KEY}`, [event.data.runId]);
      }
      await tx.query(`DELETE FROM tracking.model_metrics WHERE run_id = $1`, [event.data.runId]);
      await tx.query(`DELETE FROM tracking.runs WHERE run_id = $1`, [event.data.runId]);
      return;
    case 'RunRestored':
      await tx.query(`UPDATE tracking.runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE run_id = $1`, [
        event.data.runId,
      ]);
      return;
    case 'RunDataLogged': {
      const { runId, params, tags, metrics } = event.data;
      if (params.length > 0) {
        await tx.query(
          `INSERT INTO tracking.params (run_key, key, value)
           SELECT ${RUN_KEY}, key, value FROM unnest($2::text[], $3::text[]) AS p(key, value)
           ON CONFLICT (run_key, key) DO NOTHING`,
          [runId, params.map((p) => p.key), params.map((p) => p.value)],
        );
      }
      await insertMetrics(tx, runId, metrics);
      await upsertTags(tx, runId, tags);
      return;
    }
    case 'RunTagDeleted':
      await tx.query(`DELETE FROM tracking.run_tags WHERE run_key = ${RUN_KEY} AND key = $2`, [
        event.data.runId,
        event.data.key,
      ]);
      return;
    case 'RunInputsLogged': {
      const { runId, experimentId, datasets, modelIds } = event.data;
      for (const dataset of datasets) {
        await tx.query(
          `WITH ds AS (
             INSERT INTO tracking.datasets (experiment_id, name, digest, source_type, source, schema, profile)
             VALUES ($2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (experiment_id, name, digest) DO UPDATE SET name = excluded.name
             RETURNING dataset_key
           )
           INSERT INTO tracking.run_inputs (run_key, dataset_key, tags)
           SELECT ${RUN_KEY}, dataset_key, $9::jsonb FROM ds
           ON CONFLICT (run_key, dataset_key) DO UPDATE SET tags = excluded.tags`,
          [
            runId,
            experimentId,
            dataset.name,
            dataset.digest,
            dataset.sourceType,
            dataset.source,
            dataset.schema ?? null,
            dataset.profile ?? null,
            JSON.stringify(dataset.tags),
          ],
        );
      }
      if (modelIds.length > 0) {
        await tx.query(
          `INSERT INTO tracking.run_models (run_key, model_id, direction, step)
           SELECT ${RUN_KEY}, unnest($2::text[]), 'input', 0 ON CONFLICT DO NOTHING`,
          [runId, modelIds],
        );
      }
      return;
    }
    case 'RunOutputsLogged':
      await tx.query(
        `INSERT INTO tracking.run_models (run_key, model_id, direction, step)
         SELECT ${RUN_KEY}, model_id, 'output', step FROM unnest($2::text[], $3::bigint[]) AS m(model_id, step)
         ON CONFLICT (run_key, model_id, direction) DO UPDATE SET step = excluded.step`,
        [event.data.runId, event.data.models.map((m) => m.modelId), event.data.models.map((m) => m.step)],
      );
      return;
  }
}

export const runsProjection: InlineProjection = {
  name: 'runs',
  tables: [
    'tracking.run_models',
    'tracking.run_inputs',
    'tracking.datasets',
    'tracking.model_metrics',
    'tracking.latest_metrics',
    'tracking.metrics',
    'tracking.metric_keys',
    'tracking.run_tags',
    'tracking.params',
    'tracking.runs',
  ],
  async apply(tx, events: EventEnvelope[]) {
    for (const event of events) {
      if (event.streamType === 'run') await applyOne(tx, event as unknown as RunEvent);
    }
  },
};
