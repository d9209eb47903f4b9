/**
 * W2's runs, and `--search-seed sql`: the runs written straight into the tracking database, set-based, as
 * the API would have stored them. Each run's stream holds what the run decider decides for the bench's
 * runs/create and log-batch requests (RunCreated, then RunDataLogged) with its head; the runs projection's
 * tables get those events' rows. The relay then publishes the events as it publishes any, so the other
 * services' read models (the artifacts owners, the registry's lineage) follow as they would.
 * With --peers, MLflow's runs are written into its database the same way, by mlflow_search_seed.py.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, rmSync } from 'node:fs';
import { TRACKING_PRODUCER } from '@logbook/contracts';
import { Actor, CommandMetadata, Database, Queryable } from '@logbook/platform';
import { runDecider, RunCommand, runStream, runStreamId, RunState } from '../../services/tracking/src/runs/run.decider';
import { RunEvent } from '../../services/tracking/src/runs/run.events';
import { TRACKING_SCHEMA } from '../../services/tracking/migrations/001_initial';
import { BenchError, fmt, log, REPO } from './bench-support';

export const SEARCH_TEAMS = ['vision', 'nlp', 'speech', 'rl'];
const SEARCH_OPTIMIZERS = ['adam', 'sgd', 'adamw'];
const SEARCH_MODEL_FAMILIES = ['resnet', 'vit', 'bert', 'gpt'];
export const teamOf = (index: number) => SEARCH_TEAMS[index % SEARCH_TEAMS.length];

/** One of W2's runs: its place in the generator's sequence and the values drawn for it. */
export interface SearchRunValues {
  index: number;
  startTime: number;
  lr: string;
  loss: number;
  acc: number;
}

/** What the bench sends for a run: runs/create with 2 tags, then one log-batch with 3 params and 5 metrics. */
export function searchRunRequests(r: SearchRunValues) {
  const i = r.index;
  const at = r.startTime + 500;
  return {
    create: {
      run_name: `search-${i}`,
      start_time: r.startTime,
      tags: [
        { key: 'team', value: teamOf(i) },
        { key: 'model_family', value: SEARCH_MODEL_FAMILIES[(i >> 2) % 4] },
      ],
    },
    batch: {
      params: [
        { key: 'lr', value: r.lr },
        { key: 'batch_size', value: String([32, 64, 128, 256][i % 4]) },
        { key: 'optimizer', value: SEARCH_OPTIMIZERS[i % 3] },
      ],
      metrics: [
        { key: 'loss', value: r.loss, timestamp: at, step: 0 },
        { key: 'acc', value: r.acc, timestamp: at, step: 0 },
        { key: 'val_loss', value: r.loss * 1.1, timestamp: at, step: 0 },
        { key: 'val_acc', value: r.acc * 0.95, timestamp: at, step: 0 },
        { key: 'f1', value: (r.acc + r.loss) / 2, timestamp: at, step: 0 },
      ],
    },
  };
}

/** The seeding's author in the log: the bench, acting on Logbook's account as an import would. */
const SEED_ACTOR: Actor = { id: 'bench-search-seed', kind: 'system', name: 'bench-search-seed', authMethod: 'none' };
const RUNS_PER_TRANSACTION = 2000;

interface StoredEvent {
  eventId: string;
  streamId: string;
  streamPosition: number;
  type: RunEvent['type'];
  data: unknown;
  metadata: { producer: string; actor: Actor; correlationId: string; causationId: null };
  occurredAt: string;
}

/** A run's stream as the API's two requests would leave it: its events and its head's state. */
function runStreamOf(
  r: SearchRunValues,
  experimentId: string,
  artifactLocation: string,
): { runId: string; events: StoredEvent[]; state: RunState } {
  const runId = randomUUID().replace(/-/g, '');
  const streamId = runStreamId(runId);
  const experiment = { experimentId, found: true, lifecycleStage: 'active' as const };
  const { create, batch } = searchRunRequests(r);
  const commands: RunCommand[] = [
    {
      type: 'CreateRun',
      data: {
        runId,
        experiment,
        userId: '',
        runName: create.run_name,
        generatedName: create.run_name,
        startTime: create.start_time,
        tags: create.tags,
        artifactUri: `${artifactLocation}/${runId}/artifacts`,
      },
      metadata: metadataNow(),
    },
    {
      type: 'LogRunData',
      data: { runId, experiment, metrics: batch.metrics, params: batch.params, tags: [] },
      metadata: metadataNow(),
    },
  ];
  let state = runDecider.initialState();
  const events: StoredEvent[] = [];
  for (const command of commands) {
    for (const event of runDecider.decide(command, state)) {
      if (event.type !== 'RunCreated' && event.type !== 'RunDataLogged')
        throw new BenchError(`the search seed has no set-based projection of ${event.type}`);
      state = runDecider.evolve(state, event);
      events.push({
        eventId: randomUUID(),
        streamId,
        streamPosition: events.length + 1,
        type: event.type,
        data: event.data,
        metadata: {
          producer: TRACKING_PRODUCER,
          actor: SEED_ACTOR,
          correlationId: command.metadata.requestId,
          causationId: null,
        },
        occurredAt: new Date(command.metadata.now).toISOString(),
      });
    }
  }
  return { runId, events, state };
}

/** One request's metadata, as the API gives a command: its clock, its author, its own request id. */
function metadataNow(): CommandMetadata {
  return { now: Date.now(), actor: SEED_ACTOR, requestId: randomUUID() };
}

/** This transaction's events of a type, each payload as `d` (the seed appends nothing else in it). */
const appended = (type: RunEvent['type']) =>
  `(SELECT global_position, data AS d FROM ${TRACKING_SCHEMA}.events
    WHERE transaction_id = pg_current_xact_id() AND type = '${type}')`;

/**
 * The runs projection's rows for this transaction's RunCreated and RunDataLogged events, set-based, by the
 * projection's rules: tags upserted in log order (the last value of a key wins), params kept as first
 * logged, every point stored and the latest per key chosen by step, then timestamp, then value.
 */
const PROJECT_RUNS = [
  `INSERT INTO ${TRACKING_SCHEMA}.runs (run_id, experiment_id, name, user_id, status, start_time, artifact_uri, lifecycle_stage)
   SELECT d->>'runId', (d->>'experimentId')::bigint, d->>'runName', d->>'userId', 'RUNNING', (d->>'startTime')::bigint,
          d->>'artifactUri', 'active'
   FROM ${appended('RunCreated')} c ORDER BY global_position`,
  `INSERT INTO ${TRACKING_SCHEMA}.run_tags (run_key, key, value)
   SELECT DISTINCT ON (r.run_key, t->>'key') r.run_key, t->>'key', t->>'value'
   FROM (${appended('RunCreated')} UNION ALL ${appended('RunDataLogged')}) e
   JOIN ${TRACKING_SCHEMA}.runs r ON r.run_id = e.d->>'runId'
   CROSS JOIN LATERAL json_array_elements(e.d->'tags') WITH ORDINALITY AS x(t, n)
   ORDER BY r.run_key, t->>'key', e.global_position DESC, n DESC`,
  `INSERT INTO ${TRACKING_SCHEMA}.params (run_key, key, value)
   SELECT DISTINCT ON (r.run_key, p->>'key') r.run_key, p->>'key', p->>'value'
   FROM ${appended('RunDataLogged')} e
   JOIN ${TRACKING_SCHEMA}.runs r ON r.run_id = e.d->>'runId'
   CROSS JOIN LATERAL json_array_elements(e.d->'params') WITH ORDINALITY AS x(p, n)
   ORDER BY r.run_key, p->>'key', e.global_position, n`,
  `INSERT INTO ${TRACKING_SCHEMA}.metric_keys (key)
   SELECT DISTINCT m->>'key' FROM ${appended('RunDataLogged')} e CROSS JOIN LATERAL json_array_elements(e.d->'metrics') m
   ON CONFLICT (key) DO NOTHING`,
  `CREATE TEMPORARY TABLE seeded_points ON COMMIT DROP AS
   SELECT r.run_key, k.key_id, (m->>'step')::bigint AS step, (m->>'timestamp')::bigint AS ts, (m->>'value')::float8 AS value
   FROM ${appended('RunDataLogged')} e
   JOIN ${TRACKING_SCHEMA}.runs r ON r.run_id = e.d->>'runId'
   CROSS JOIN LATERAL json_array_elements(e.d->'metrics') m
   JOIN ${TRACKING_SCHEMA}.metric_keys k ON k.key = m->>'key'`,
  `INSERT INTO ${TRACKING_SCHEMA}.metrics (run_key, key_id, step, ts, value)
   SELECT * FROM seeded_points ORDER BY run_key, key_id ON CONFLICT DO NOTHING`,
  `INSERT INTO ${TRACKING_SCHEMA}.latest_metrics (run_key, key_id, step, ts, value)
   SELECT DISTINCT ON (run_key, key_id) run_key, key_id, step, ts, value FROM seeded_points
   ORDER BY run_key, key_id, step DESC, ts DESC, value DESC`,
];

/** Appends each run's stream with its head, and projects them, a few thousand runs per transaction. */
async function appendRuns(tx: Queryable, streams: ReturnType<typeof runStreamOf>[]): Promise<void> {
  await tx.query(
    `INSERT INTO ${TRACKING_SCHEMA}.streams (stream_id, stream_type, version, state, state_version)
     SELECT h->>'streamId', $2, (h->>'version')::int, (h->'state')::jsonb, $3 FROM json_array_elements($1::json) h`,
    [
      JSON.stringify(
        streams.map((s) => ({ streamId: s.events[0].streamId, version: s.events.length, state: s.state })),
      ),
      runStream.streamType,
      runStream.stateVersion,
    ],
  );
  // One json parameter, split by Postgres: each payload is stored as the text it was written as.
  await tx.query(
    `INSERT INTO ${TRACKING_SCHEMA}.events
       (event_id, stream_id, stream_type, stream_position, type, schema_version, data, metadata, occurred_at)
     SELECT (e->>'eventId')::uuid, e->>'streamId', $2, (e->>'streamPosition')::int, e->>'type', 1, e->'data',
            (e->>'metadata')::jsonb, (e->>'occurredAt')::timestamptz
     FROM json_array_elements($1::json) WITH ORDINALITY AS x(e, n) ORDER BY n`,
    [JSON.stringify(streams.flatMap((s) => s.events)), runStream.streamType],
  );
  for (const statement of PROJECT_RUNS) await tx.query(statement);
}

/**
 * Seeds `runs` into the experiment, set-based; answers each run's id by its index. The experiment exists
 * (created through the API) and holds none of them yet.
 */
export async function seedSearchRunsSql(
  db: Database,
  experimentId: string,
  runs: SearchRunValues[],
): Promise<Map<number, string>> {
  const { rows } = await db.query<{ artifact_location: string }>(
    `SELECT artifact_location FROM ${TRACKING_SCHEMA}.experiments WHERE experiment_id = $1`,
    [experimentId],
  );
  if (rows.length === 0) throw new BenchError(`search seed: experiment ${experimentId} is not in the database`);
  const ids = new Map<number, string>();
  const t0 = performance.now();
  for (let from = 0; from < runs.length; from += RUNS_PER_TRANSACTION) {
    const streams = runs
      .slice(from, from + RUNS_PER_TRANSACTION)
      .map((r) => ({ index: r.index, ...runStreamOf(r, experimentId, rows[0].artifact_location) }));
    await db.transaction((tx) => appendRuns(tx, streams));
    for (const s of streams) ids.set(s.index, s.runId);
    if ((from / RUNS_PER_TRANSACTION) % 10 === 9 || from + RUNS_PER_TRANSACTION >= runs.length)
      log(`search: ${fmt(ids.size)} runs seeded by SQL (${fmt(ids.size / ((performance.now() - t0) / 1000))} runs/s)`);
  }
  return ids;
}

/**
 * Seeds `runs` into an MLflow server's experiment through mlflow_search_seed.py: the rows its SqlAlchemyStore
 * writes for the same runs/create and log-batch requests, a few thousand runs per transaction. The experiment
 * exists (created through the API) and holds none of them yet. Answers each run's id by its index.
 */
export async function seedSearchRunsInMlflow(
  python: string,
  storeUri: string,
  experimentId: string,
  runs: SearchRunValues[],
  workDir: string,
): Promise<Map<number, string>> {
  const file = `${workDir}/search-runs.jsonl`;
  const ids = new Map<number, string>();
  const out = createWriteStream(file);
  for (const r of runs) {
    // An id as MLflow's store makes one: a version-4 UUID's 32 hex digits.
    const runId = randomUUID().replace(/-/g, '');
    ids.set(r.index, runId);
    if (!out.write(`${JSON.stringify({ run_id: runId, ...searchRunRequests(r) })}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  log(`search: writing ${fmt(runs.length)} runs into MLflow's database through its store's tables`);
  const child = spawn(python, [`${REPO}/test/bench/mlflow_search_seed.py`, storeUri, experimentId, file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const line of chunk.toString().split('\n')) if (line.startsWith('mlflow seed:')) log(`search: ${line}`);
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  rmSync(file, { force: true });
  if (code !== 0) throw new BenchError(`mlflow_search_seed.py exited with ${code}:\n${stderr.slice(-3000)}`);
  const done = JSON.parse(stdout.trim().split('\n').pop() as string) as { runs: number; seconds: number };
  if (done.runs !== runs.length)
    throw new BenchError(`mlflow_search_seed.py wrote ${done.runs} of the ${runs.length} runs`);
  log(`search: ${fmt(done.runs)} runs written into MLflow's database in ${fmt(done.seconds, 1)} s`);
  return ids;
}
