import {
  ContractEvent,
  LoggedModelCreatedV1,
  LoggedModelDeletedV1,
  RunCreatedV1,
  RunDataLoggedSummaryV1,
  RunDeletedV1,
  RunInputsLoggedV1,
  RunPurgedV1,
  RunRenamedV1,
  RunRestoredV1,
  RunStatusChangedV1,
  TRACKING_LOGGED_MODEL_TOPIC,
  TRACKING_RUN_TOPIC,
} from '@logbook/contracts';
import { EventEnvelope } from '@logbook/eventstore';
import { ConsumerDefinition, consumes } from '@logbook/messaging';
import { Queryable } from '@logbook/platform';
import { REGISTRY_SCHEMA } from '../../migrations/001_initial';

const HANDLED = [
  RunCreatedV1,
  RunStatusChangedV1,
  RunRenamedV1,
  RunDeletedV1,
  RunRestoredV1,
  RunPurgedV1,
  RunDataLoggedSummaryV1,
  RunInputsLoggedV1,
  LoggedModelCreatedV1,
  LoggedModelDeletedV1,
];
type TrackingEvent = ContractEvent<(typeof HANDLED)[number]>;
type LatestMetric = Extract<TrackingEvent, { type: 'RunDataLoggedSummary' }>['data']['latestMetrics'][number];

/** The dataset's role in the run (training, evaluation), as MLflow tags the input. */
const DATASET_CONTEXT = 'mlflow.data.context';

/**
 * Each batch's latest point per key (tracking's summary of the batch), merged with what is stored by
 * MLflow's ordering: the highest step, then timestamp, then value.
 */
async function logLatestMetrics(tx: Queryable, runId: string, latest: LatestMetric[]): Promise<void> {
  if (latest.length === 0) return;
  await tx.query(
    `INSERT INTO registry.lineage_run_metrics (run_id, key, value, timestamp, step)
     SELECT $1, m.key, m.value, m.timestamp, m.step
     FROM unnest($2::text[], $3::float8[], $4::bigint[], $5::bigint[]) AS m(key, value, timestamp, step)
     WHERE EXISTS (SELECT 1 FROM registry.lineage_runs WHERE run_id = $1)
     ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp, step = excluded.step
     WHERE (excluded.step, excluded.timestamp, excluded.value) >
           (registry.lineage_run_metrics.step, registry.lineage_run_metrics.timestamp, registry.lineage_run_metrics.value)`,
    [
      runId,
      latest.map((m) => m.key),
      latest.map((m) => String(m.value)),
      latest.map((m) => m.timestamp),
      latest.map((m) => m.step),
    ],
  );
}

async function apply(tx: Queryable, envelope: EventEnvelope): Promise<void> {
  const event = envelope as unknown as TrackingEvent;
  switch (event.type) {
    case 'RunCreated': {
      const d = event.data;
      await tx.query(
        `INSERT INTO registry.lineage_runs (run_id, experiment_id, run_name, user_id, status, start_time)
         VALUES ($1, $2, $3, $4, 'RUNNING', $5) ON CONFLICT (run_id) DO NOTHING`,
        [d.runId, d.experimentId, d.runName, d.userId, d.startTime],
      );
      return;
    }
    case 'RunStatusChanged':
      await tx.query(`UPDATE registry.lineage_runs SET status = $2, end_time = $3 WHERE run_id = $1`, [
        event.data.runId,
        event.data.status,
        event.data.endTime,
      ]);
      return;
    case 'RunRenamed':
      await tx.query(`UPDATE registry.lineage_runs SET run_name = $2 WHERE run_id = $1`, [
        event.data.runId,
        event.data.runName,
      ]);
      return;
    case 'RunDeleted':
    case 'RunRestored':
    case 'RunPurged': {
      const stage = { RunDeleted: 'deleted', RunRestored: 'active', RunPurged: 'purged' }[event.type];
      // What the registry knew of a purged run stays: it is the lineage of the versions registered from it.
      await tx.query(`UPDATE registry.lineage_runs SET lifecycle_stage = $2 WHERE run_id = $1`, [
        event.data.runId,
        stage,
      ]);
      return;
    }
    case 'RunDataLoggedSummary': {
      const { runId, params, latestMetrics } = event.data;
      if (params.length > 0) {
        await tx.query(
          `INSERT INTO registry.lineage_run_params (run_id, key, value)
           SELECT $1, key, value FROM unnest($2::text[], $3::text[]) AS p(key, value)
           WHERE EXISTS (SELECT 1 FROM registry.lineage_runs WHERE run_id = $1)
           ON CONFLICT (run_id, key) DO NOTHING`,
          [runId, params.map((p) => p.key), params.map((p) => p.value)],
        );
      }
      await logLatestMetrics(tx, runId, latestMetrics);
      return;
    }
    case 'RunInputsLogged': {
      const { runId, datasets } = event.data;
      if (datasets.length === 0) return;
      const context = (tags: { key: string; value: string }[]) =>
        tags.find((tag) => tag.key === DATASET_CONTEXT)?.value ?? null;
      await tx.query(
        `INSERT INTO registry.lineage_run_datasets (run_id, name, digest, source_type, source, context)
         SELECT $1, name, digest, source_type, source, context
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS d(name, digest, source_type, source, context)
         WHERE EXISTS (SELECT 1 FROM registry.lineage_runs WHERE run_id = $1)
         ON CONFLICT (run_id, name, digest) DO UPDATE SET context = coalesce(excluded.context, registry.lineage_run_datasets.context)`,
        [
          runId,
          datasets.map((d) => d.name),
          datasets.map((d) => d.digest),
          datasets.map((d) => d.sourceType),
          datasets.map((d) => d.source),
          datasets.map((d) => context(d.tags)),
        ],
      );
      return;
    }
    case 'LoggedModelCreated': {
      const d = event.data;
      await tx.query(
        `INSERT INTO registry.lineage_logged_models (model_id, experiment_id, name, source_run_id, artifact_location)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (model_id) DO NOTHING`,
        [d.modelId, d.experimentId, d.name, d.sourceRunId, d.artifactUri],
      );
      return;
    }
    case 'LoggedModelDeleted':
      await tx.query(`UPDATE registry.lineage_logged_models SET deleted = true WHERE model_id = $1`, [
        event.data.modelId,
      ]);
      return;
  }
}

type RunCreated = Extract<TrackingEvent, { type: 'RunCreated' }>;
type Summary = Extract<TrackingEvent, { type: 'RunDataLoggedSummary' }>;

/**
 * A batch's events with apply's outcome, its runs and summaries each in one statement: the batch's RunCreated
 * first, then its other events in order, then its summaries. Each of these touches its own run's rows only, a
 * run's RunCreated comes before its other events, and a summary's rows (params, latest metrics) are written by
 * summaries alone: kept first per param, merged by MLflow's ordering per metric, in any order the same.
 */
async function applyAll(tx: Queryable, envelopes: EventEnvelope[]): Promise<void> {
  const events = envelopes as unknown as TrackingEvent[];
  const created = events.filter((event): event is RunCreated => event.type === 'RunCreated').map((e) => e.data);
  if (created.length > 0) {
    await tx.query(
      `INSERT INTO registry.lineage_runs (run_id, experiment_id, run_name, user_id, status, start_time)
       SELECT run_id, experiment_id, run_name, user_id, 'RUNNING', start_time
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
         AS r(run_id, experiment_id, run_name, user_id, start_time)
       ON CONFLICT (run_id) DO NOTHING`,
      [
        created.map((d) => d.runId),
        created.map((d) => d.experimentId),
        created.map((d) => d.runName),
        created.map((d) => d.userId),
        created.map((d) => d.startTime),
      ],
    );
  }
  const summaries: Summary['data'][] = [];
  for (const [i, event] of events.entries()) {
    if (event.type === 'RunDataLoggedSummary') summaries.push(event.data);
    else if (event.type !== 'RunCreated') await apply(tx, envelopes[i]);
  }
  const params = summaries.flatMap(({ runId, params }) => params.map((p) => ({ runId, ...p })));
  if (params.length > 0) {
    await tx.query(
      `INSERT INTO registry.lineage_run_params (run_id, key, value)
       SELECT DISTINCT ON (p.run_id, p.key) p.run_id, p.key, p.value
       FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS p(run_id, key, value, n)
       WHERE EXISTS (SELECT 1 FROM registry.lineage_runs r WHERE r.run_id = p.run_id)
       ORDER BY p.run_id, p.key, p.n
       ON CONFLICT (run_id, key) DO NOTHING`,
      [params.map((p) => p.runId), params.map((p) => p.key), params.map((p) => p.value)],
    );
  }
  const metrics = summaries.flatMap(({ runId, latestMetrics }) => latestMetrics.map((m) => ({ runId, ...m })));
  if (metrics.length > 0) {
    await tx.query(
      `INSERT INTO registry.lineage_run_metrics (run_id, key, value, timestamp, step)
       SELECT DISTINCT ON (m.run_id, m.key) m.run_id, m.key, m.value, m.timestamp, m.step
       FROM unnest($1::text[], $2::text[], $3::float8[], $4::bigint[], $5::bigint[]) WITH ORDINALITY
         AS m(run_id, key, value, timestamp, step, n)
       WHERE EXISTS (SELECT 1 FROM registry.lineage_runs r WHERE r.run_id = m.run_id)
       ORDER BY m.run_id, m.key, m.step DESC, m.timestamp DESC, m.value DESC, m.n
       ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp, step = excluded.step
       WHERE (excluded.step, excluded.timestamp, excluded.value) >
             (registry.lineage_run_metrics.step, registry.lineage_run_metrics.timestamp, registry.lineage_run_metrics.value)`,
      [
        metrics.map((m) => m.runId),
        metrics.map((m) => m.key),
        metrics.map((m) => String(m.value)),
        metrics.map((m) => m.timestamp),
        metrics.map((m) => m.step),
      ],
    );
  }
}

export const TRACKING_EVENTS_CONSUMER = 'registry.tracking-events';

/** The registry's own view of runs and logged models (a version's lineage), learned from tracking's events. */
export function trackingEventsConsumer(): ConsumerDefinition {
  return {
    name: TRACKING_EVENTS_CONSUMER,
    schema: REGISTRY_SCHEMA,
    handle: apply,
    handleAll: applyAll,
    batchable: true,
    ...consumes(HANDLED),
  };
}

export const TRACKING_TOPICS = [TRACKING_RUN_TOPIC.name, TRACKING_LOGGED_MODEL_TOPIC.name];
