/**
 * The registry workloads of `npm run bench -- --only registry`:
 * - R1, registration round trip: `model-versions/create` of a real model (a run's MLmodel and weights),
 *   polled until READY, one at a time, so each latency is the flow's and not a queue's;
 * - R2, search_model_versions over a large registry: versions seeded through the API, then filters on a
 *   version tag, a model name and a run id, each compared with the answer computed on the client.
 */
import { performance } from 'node:perf_hooks';
import { BenchError, Client, ErrorLog, LatencyStats, latencyStats, log, fmt, pool, prng, sleep } from './bench-support';
import { MLMODEL } from '../api/registry-fixtures';

export interface RegistryOptions {
  /** Versions the search workload seeds, spread evenly over `models` registered models. */
  versions: number;
  models: number;
  /** Timed registrations of the round-trip workload. */
  registrations: number;
  searchReps: number;
  searchReaders: number;
  setupConcurrency: number;
  timeLimitSeconds: number;
}

/**
 * What bench.ts measures around a timed phase (CPU and RSS of the server processes), and the statistics
 * refresh it runs before reads (VACUUM ANALYZE in the distributed shape; false when it cannot).
 */
export interface RegistryHooks<Resources> {
  measure(): () => Resources | undefined;
  beforeReads(): boolean;
}

/** A small model: what the round trip copies is a few files, as a registered sklearn model is. */
const MODEL_FILES: Record<string, string> = {
  MLmodel: MLMODEL,
  'model.pkl': 'x'.repeat(64 * 1024),
  'requirements.txt': 'scikit-learn==1.5.2\n',
};
const POLL_MS = 5;
const SEARCH_MAX_RESULTS = 100;
const TEAMS = 10;
const SETTLE_CAP_MS = 120_000;
const VERSIONS_PER_RUN = 10;

export interface RoundTripResult {
  registrations: number;
  ready: number;
  failed: string[];
  pollIntervalMs: number;
  /** From sending create to the first get that answered READY. */
  createToReadyMs: LatencyStats;
  createRequestMs: LatencyStats;
  /** get-artifact of the last version's MLmodel: redirected to the registry copy, the bytes that were uploaded. */
  artifactCheck: 'ok' | string;
}

export interface SearchQueryResult {
  label: string;
  filter: string;
  matching: number;
  sequential: LatencyStats & { requestsPerSecond: number };
  resultBytes: number;
}

export interface RegistrySearchResult<Resources> {
  versions: number;
  models: number;
  seeding: {
    how: string;
    wallSeconds: number;
    versionsPerSecond: number;
    requestLatencyMs: LatencyStats;
    settledSeconds: number;
    /** Of the last 20 versions seeded, those still PENDING_REGISTRATION when the wait was given up. */
    pendingAfterCap: number;
    /**
     * Versions/s over each tenth of the versions seeded, in order: a rate that falls from one tenth to the
     * next means a create costs more as the registry grows.
     */
    versionsPerSecondByTenth: number[];
    /** CPU and RSS from the first create until the last verdicts arrived: the whole flow, per version seeded. */
    resources?: Resources;
  };
  analyzed: boolean;
  maxResults: number;
  queries: SearchQueryResult[];
  concurrent: LatencyStats & { readers: number; requestsPerSecond: number; label: string };
  resources?: Resources;
  verification: { checked: number; failures: string[] };
}

export interface RegistryResult<Resources> {
  roundTrip: RoundTripResult;
  search: RegistrySearchResult<Resources>;
  errors: { total: number; byStatus: Record<string, number>; samples: string[] };
}

interface ModelVersionAnswer {
  model_version: { name: string; version: string; status: string; last_updated_timestamp: number };
}

/** A version as the client created it: enough to compute every search's expected answer. */
interface SeededVersion {
  name: string;
  version: number;
  updated: number;
  team: string;
  runId: string;
}

export async function registryWorkload<Resources>(
  client: Client,
  o: RegistryOptions,
  hooks: RegistryHooks<Resources>,
  stamp: string,
): Promise<RegistryResult<Resources>> {
  const errors = new ErrorLog();
  const roundTrip = await registrationRoundTrip(client, o, errors, stamp);
  const search = await searchVersions(client, o, hooks, errors, stamp);
  return { roundTrip, search, errors: { total: errors.total, byStatus: errors.byStatus, samples: errors.samples } };
}

/** A run holding a small model under `model/`: the source of versions that become READY. */
export async function runWithModel(client: Client, runName: string): Promise<{ runId: string; source: string }> {
  const run = (
    await client.json<{ run: { info: { run_id: string; artifact_uri: string } } }>(
      'POST',
      '/api/2.0/mlflow/runs/create',
      { experiment_id: '0', run_name: runName },
    )
  ).run.info;
  const root = run.artifact_uri.replace(/^mlflow-artifacts:\/+/, '');
  for (const [path, body] of Object.entries(MODEL_FILES)) {
    // The artifacts service accepts a run's files once tracking's RunCreated reached it.
    const deadline = performance.now() + 30_000;
    for (;;) {
      const reply = await client.send('PUT', `/api/2.0/mlflow-artifacts/artifacts/${root}/model/${path}`, body);
      if (reply.status === 200) break;
      if (performance.now() > deadline) throw new BenchError(`upload of model/${path} answered ${reply.status}`);
      await sleep(100);
    }
  }
  return { runId: run.run_id, source: `runs:/${run.run_id}/model` };
}

// ------------------------------------------------------------------------------------------ R1: round trip

async function registrationRoundTrip(
  client: Client,
  o: RegistryOptions,
  errors: ErrorLog,
  stamp: string,
): Promise<RoundTripResult> {
  const run = await runWithModel(client, `bench-registry-${stamp}`);
  const name = `bench-registration-${stamp}`;
  await client.json('POST', '/api/2.0/mlflow/registered-models/create', { name });
  const { source } = run;
  const failed: string[] = [];
  const register = async (createMs: number[], readyMs: number[]) => {
    const t0 = performance.now();
    const created = await client.send('POST', '/api/2.0/mlflow/model-versions/create', {
      name,
      source,
      run_id: run.runId,
    });
    if (created.status !== 200) return errors.add('model-versions/create', created);
    createMs.push(created.ms);
    const { version } = (JSON.parse(created.body) as ModelVersionAnswer).model_version;
    for (;;) {
      const got = await client.send('GET', `/api/2.0/mlflow/model-versions/get?name=${name}&version=${version}`);
      if (got.status !== 200) return errors.add('model-versions/get', got);
      const { status } = (JSON.parse(got.body) as ModelVersionAnswer).model_version;
      if (status === 'READY') return void readyMs.push(performance.now() - t0);
      if (status !== 'PENDING_REGISTRATION') return void failed.push(`version ${version}: ${got.body.slice(0, 300)}`);
      if (performance.now() - t0 > 60_000) return void failed.push(`version ${version} still pending after 60 s`);
      await sleep(POLL_MS);
    }
  };
  log(`registry: 3 warm-up registrations, then ${o.registrations} timed, one at a time, from ${source}`);
  for (let i = 0; i < 3; i++) await register([], []);
  const createMs: number[] = [];
  const readyMs: number[] = [];
  const deadline = performance.now() + o.timeLimitSeconds * 1000;
  for (let i = 0; i < o.registrations && performance.now() < deadline; i++) await register(createMs, readyMs);
  const last = o.registrations + 3;
  const artifact = await client.send(
    'GET',
    `/api/2.0/mlflow/model-versions/get-artifact?name=${name}&version=${last}&path=MLmodel`,
  );
  const artifactCheck =
    artifact.status === 200 && artifact.body === MLMODEL
      ? 'ok'
      : `get-artifact answered ${artifact.status}: ${artifact.body.slice(0, 200)}`;
  return {
    registrations: o.registrations,
    ready: readyMs.length,
    failed: failed.slice(0, 10),
    pollIntervalMs: POLL_MS,
    createToReadyMs: latencyStats(readyMs),
    createRequestMs: latencyStats(createMs),
    artifactCheck,
  };
}

// ------------------------------------------------------------------------------------------ R2: search

/** MLflow's default order of search_model_versions: last update first, then name, then the highest version. */
const byDefaultOrder = (a: SeededVersion, b: SeededVersion) =>
  b.updated - a.updated || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || b.version - a.version;

async function seed<Resources>(
  client: Client,
  o: RegistryOptions,
  hooks: RegistryHooks<Resources>,
  errors: ErrorLog,
  stamp: string,
) {
  const random = prng(20261210);
  const models = Array.from({ length: o.models }, (_, k) => `bench-search-${stamp}-${String(k).padStart(3, '0')}`);
  const runIds = Array.from({ length: Math.ceil(o.versions / VERSIONS_PER_RUN) }, () =>
    Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join(''),
  );
  log(`registry: creating ${o.models} models and ${fmt(o.versions)} versions, ${o.setupConcurrency} concurrent`);
  await pool(o.models, o.setupConcurrency, performance.now() + o.timeLimitSeconds * 1000, async (k) => {
    await client.json('POST', '/api/2.0/mlflow/registered-models/create', { name: models[k] });
  });
  const seeded: SeededVersion[] = [];
  const latencies: number[] = [];
  const seededAt: number[] = [];
  const close = hooks.measure();
  const t0 = performance.now();
  let progress = { at: t0, count: 0 };
  // Consecutive items go to different models, so concurrent creates rarely contend for one model's stream.
  await pool(o.versions, o.setupConcurrency, t0 + o.timeLimitSeconds * 1000, async (i) => {
    const name = models[i % o.models];
    const team = `team-${Math.floor(random() * TEAMS)}`;
    const runId = runIds[Math.floor(i / VERSIONS_PER_RUN)];
    const reply = await client.send('POST', '/api/2.0/mlflow/model-versions/create', {
      name,
      // Outside the artifact store: the artifacts service refuses it at once, so the registry marks it
      // FAILED_REGISTRATION through the real flow without copying a hundred thousand models.
      source: `s3://bench-elsewhere/${name}/${i}`,
      run_id: runId,
      tags: [
        { key: 'team', value: team },
        { key: 'dataset', value: `dataset-${i % 97}` },
      ],
      description: `seeded version ${i}`,
    });
    latencies.push(reply.ms);
    if (reply.status !== 200) return errors.add('model-versions/create (seed)', reply);
    const { version, last_updated_timestamp } = (JSON.parse(reply.body) as ModelVersionAnswer).model_version;
    seeded.push({ name, version: Number(version), updated: last_updated_timestamp, team, runId });
    seededAt.push(performance.now());
    if (performance.now() - progress.at > 15_000) {
      const now = { at: performance.now(), count: seeded.length };
      const windowRate = (now.count - progress.count) / ((now.at - progress.at) / 1000);
      log(
        `registry: ${fmt(seeded.length)} versions (${fmt(windowRate)}/s in the last 15 s, ${fmt(now.count / ((now.at - t0) / 1000))}/s overall)`,
      );
      progress = now;
    }
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  log(`registry: ${fmt(seeded.length)} versions in ${fmt(wallSeconds, 1)} s; waiting for their verdicts`);
  // Verdicts arrive in order: once the last versions created have theirs, the flow has drained. Searches do
  // not read the status, so a verdict that never comes (another consumer in the group on a shared broker
  // took it) is reported, not waited for past SETTLE_CAP_MS.
  const settleStart = performance.now();
  const last = [...seeded].sort((a, b) => b.updated - a.updated).slice(0, 20);
  let pendingAfterCap = 0;
  for (const v of last) {
    for (;;) {
      const got = await client.json<ModelVersionAnswer>(
        'GET',
        `/api/2.0/mlflow/model-versions/get?name=${v.name}&version=${v.version}`,
      );
      if (got.model_version.status !== 'PENDING_REGISTRATION') break;
      if (performance.now() - settleStart > SETTLE_CAP_MS) {
        pendingAfterCap++;
        break;
      }
      await sleep(500);
    }
  }
  if (pendingAfterCap > 0)
    log(`registry: ${pendingAfterCap} of the last 20 versions still pending after ${SETTLE_CAP_MS / 1000} s`);
  const resources = close();
  return {
    seeded,
    models,
    runIds,
    seeding: {
      how: 'model-versions/create through the gateway, in parallel; sources outside the store, so each gets its FAILED_REGISTRATION verdict through the real flow',
      wallSeconds: Math.round(wallSeconds * 100) / 100,
      versionsPerSecond: Math.round(seeded.length / wallSeconds),
      requestLatencyMs: latencyStats(latencies),
      settledSeconds: Math.round((performance.now() - settleStart) / 10) / 100,
      pendingAfterCap,
      versionsPerSecondByTenth: ratesByTenth(t0, seededAt),
      ...(resources !== undefined ? { resources } : {}),
    },
  };
}

/** Versions/s over each tenth of the creates, from the times their answers arrived (in arrival order). */
function ratesByTenth(t0: number, arrivals: number[]): number[] {
  const rates: number[] = [];
  let start = { at: t0, index: 0 };
  for (let tenth = 1; tenth <= 10; tenth++) {
    const end = Math.floor((arrivals.length * tenth) / 10);
    if (end <= start.index) continue;
    const at = arrivals[end - 1];
    rates.push(Math.round((end - start.index) / ((at - start.at) / 1000)));
    start = { at, index: end };
  }
  return rates;
}

async function searchVersions<Resources>(
  client: Client,
  o: RegistryOptions,
  hooks: RegistryHooks<Resources>,
  errors: ErrorLog,
  stamp: string,
): Promise<RegistrySearchResult<Resources>> {
  const { seeded, models, runIds, seeding } = await seed(client, o, hooks, errors, stamp);
  const analyzed = hooks.beforeReads();
  const model = models[Math.floor(models.length / 2)];
  const runId = runIds[Math.floor(runIds.length / 3)];
  const queries = [
    { label: 'tag', filter: "tags.team = 'team-3'", matches: (v: SeededVersion) => v.team === 'team-3' },
    { label: 'name', filter: `name = '${model}'`, matches: (v: SeededVersion) => v.name === model },
    { label: 'run_id', filter: `run_id = '${runId}'`, matches: (v: SeededVersion) => v.runId === runId },
    {
      label: 'name + tag',
      filter: `name = '${model}' AND tags.team = 'team-3'`,
      matches: (v: SeededVersion) => v.name === model && v.team === 'team-3',
    },
  ].map((q) => ({ ...q, expected: seeded.filter(q.matches).sort(byDefaultOrder) }));

  const failures: string[] = [];
  let checked = 0;
  const check = (query: (typeof queries)[number], body: string) => {
    checked++;
    const page = JSON.parse(body) as {
      model_versions?: Array<{ name: string; version: string }>;
      next_page_token?: string;
    };
    const got = (page.model_versions ?? []).map((v) => `${v.name}/${v.version}`);
    const want = query.expected.slice(0, SEARCH_MAX_RESULTS).map((v) => `${v.name}/${v.version}`);
    if (got.length !== want.length || got.some((key, i) => key !== want[i])) {
      const at = got.findIndex((key, i) => key !== want[i]);
      if (failures.length < 10)
        failures.push(`${query.label}: ${got.length} versions (expected ${want.length}), first difference at ${at}`);
    }
    if (query.expected.length > SEARCH_MAX_RESULTS !== Boolean(page.next_page_token) && failures.length < 10)
      failures.push(`${query.label}: next_page_token ${page.next_page_token ? 'present' : 'absent'}`);
  };
  const path = (filter: string) =>
    `/api/2.0/mlflow/model-versions/search?${new URLSearchParams({ filter, max_results: String(SEARCH_MAX_RESULTS) })}`;
  const timed = async (query: (typeof queries)[number], latencies: number[], sizes?: number[]) => {
    const reply = await client.send('GET', path(query.filter));
    latencies.push(reply.ms);
    if (reply.status !== 200) return errors.add(`model-versions/search ${query.label}`, reply);
    sizes?.push(reply.body.length);
    if (checked < 3 * queries.length || Math.random() < 0.1) check(query, reply.body);
  };

  for (const query of queries) for (let i = 0; i < 3; i++) await timed(query, []);
  const close = hooks.measure();
  const results: SearchQueryResult[] = [];
  for (const query of queries) {
    log(`registry: search "${query.filter}" (${fmt(query.expected.length)} match), ${o.searchReps} sequential`);
    const latencies: number[] = [];
    const sizes: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < o.searchReps; i++) await timed(query, latencies, sizes);
    results.push({
      label: query.label,
      filter: query.filter,
      matching: query.expected.length,
      sequential: {
        ...latencyStats(latencies),
        requestsPerSecond: Math.round((latencies.length / ((performance.now() - t0) / 1000)) * 10) / 10,
      },
      resultBytes: sizes[0] ?? 0,
    });
  }
  const [tagQuery] = queries;
  log(`registry: ${o.searchReaders} concurrent readers x ${o.searchReps} of the tag search`);
  const concurrent: number[] = [];
  const t0 = performance.now();
  await pool(o.searchReps * o.searchReaders, o.searchReaders, t0 + o.timeLimitSeconds * 1000, () =>
    timed(tagQuery, concurrent),
  );
  const concurrentWall = (performance.now() - t0) / 1000;
  const resources = close();
  return {
    versions: seeded.length,
    models: models.length,
    seeding,
    analyzed,
    maxResults: SEARCH_MAX_RESULTS,
    queries: results,
    concurrent: {
      ...latencyStats(concurrent),
      readers: o.searchReaders,
      requestsPerSecond: Math.round((concurrent.length / concurrentWall) * 10) / 10,
      label: tagQuery.label,
    },
    ...(resources !== undefined ? { resources } : {}),
    verification: { checked, failures },
  };
}
