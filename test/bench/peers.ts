/**
 * `npm run bench -- --peers` (issue 15): the bench's workloads against MLflow's tracking server,
 * FastTrackML and Logbook's two shapes, one after another, and their figures side by side.
 *
 * The peers run from a project-local virtualenv (.logbook/peers-venv, made by test/compat/setup.sh from
 * peers-requirements.txt, plus FastTrackML's server binary from peers-fml-requirements.txt), each on a
 * database of its own on the bench's Postgres, dropped afterwards. Every target gets the same requests
 * from the same client: the ingest and search workloads of bench.ts (passed in as `measure`, so they are
 * not copied) and the history read here. Ports come from 7400-7599.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import {
  allPids,
  BenchError,
  choosePort,
  Client,
  cmdline,
  ErrorLog,
  fmt,
  log,
  pool,
  psql,
  MeasuredProcess,
  memoryKb,
  readPeakRssKb,
  readStat,
  REPO,
  resetPeakRss,
  run,
  sleep,
} from './bench-support';

export const PEER_TARGETS = ['mlflow', 'fasttrackml', 'distributed', 'embedded'] as const;
export type PeerTarget = (typeof PEER_TARGETS)[number];
type LogbookShape = 'distributed' | 'embedded';
export type Peer = Exclude<PeerTarget, LogbookShape>;

const LABELS: Record<PeerTarget, string> = {
  mlflow: 'MLflow',
  fasttrackml: 'FastTrackML',
  distributed: 'Logbook distributed',
  embedded: 'Logbook embedded',
};

const PORTS = { from: 7400, to: 7600 };

/** The peers' virtualenv: MLflow's and FastTrackML's servers, and the Python that writes into MLflow's store. */
export const PEERS_VENV = `${REPO}/.logbook/peers-venv`;

/** MLflow's store URI for a Postgres database: SQLAlchemy 2.1 takes postgresql:// to mean psycopg 3; the venv has psycopg2. */
export const mlflowStoreUri = (databaseUrl: string) => databaseUrl.replace(/^postgres(ql)?:/, 'postgresql+psycopg2:');

export type ServerProcess = MeasuredProcess;

/** A target serving the MLflow REST API, with the processes whose RSS and CPU are its own. */
export interface RunningTarget {
  target: PeerTarget;
  shape: 'peer' | LogbookShape;
  url: string;
  procs: ServerProcess[];
  /** The Postgres database it writes to (not for the embedded shape, whose database is its own). */
  databaseUrl?: string;
  pgPort?: number;
  version: string;
  /** Stops it and drops its database. */
  stop(): Promise<void>;
  /** The same at once, for a bench that is being interrupted. */
  kill(): void;
}

/** What the table takes from bench.ts's ingest result; the whole result goes to the JSON summary. */
export interface IngestFigures {
  pointsPerSecond: number;
  latencyMs: { p50: number; p99: number };
  memory?: { peakRssMb: Record<string, number> };
  errors: { total: number };
  verification: { failures: string[] };
}

/** What the table takes from bench.ts's search result. */
export interface SearchFigures {
  sequential: { p50: number; p99: number };
  concurrent: { p50: number; readers: number };
  errors: { total: number };
  setup: { errors: { total: number } };
  verification: { checked: number; failures: string[] };
}

export interface PeersSettings {
  targets: readonly PeerTarget[];
  /** The bench's Postgres: MLflow's and FastTrackML's databases are made on its server. */
  databaseUrl: string;
  clients: number;
  /** Which of the workloads each target runs (--only search: search alone; --history-only: history alone). */
  workloads: { ingest: boolean; search: boolean; history: boolean };
  /** Runs in W2's experiment, for the table's labels and the search targets of issue 15. */
  searchRuns: number;
  searchReaders: number;
  historyPoints: number;
  historyPageSize: number;
  historyReads: number;
  requestTimeoutMs: number;
  timeLimitSeconds: number;
}

export interface PeersHooks<I extends IngestFigures, S extends SearchFigures> {
  startLogbook(shape: LogbookShape, port: number): Promise<RunningTarget>;
  /** bench.ts's ingest and search workloads against the target (those of the settings' workloads), with its processes sampled. */
  measure(
    target: RunningTarget,
    client: Client,
    workloads: PeersSettings['workloads'],
  ): Promise<{ ingest?: I; search?: S }>;
}

interface TargetResult<I, S> {
  label: string;
  version: string;
  url: string;
  processes: string[];
  ingest?: I;
  search?: S;
  history?: HistoryResult;
  /** Sum of each process's peak RSS in the ingest window. */
  peakRssTotalMb?: number;
  /** From starting it to having stopped it. */
  wallSeconds?: number;
  error?: string;
}

/** Which figure a row holds, for the checks of issue 15's targets. */
export type RowId =
  | 'ingest'
  | 'ingestP50'
  | 'ingestP99'
  | 'searchP50'
  | 'searchP99'
  | 'searchP50Readers'
  | 'historyPaged'
  | 'historyWhole'
  | 'historyRssBefore'
  | 'historyRssPaged'
  | 'historyRssWhole'
  | 'ingestRss';

export interface ComparisonRow {
  id: RowId;
  workload: string;
  unit: string;
  better: 'higher' | 'lower';
  values: Partial<Record<PeerTarget, number>>;
  /** `<logbook shape>/<peer>`: Logbook's figure over the peer's when higher is better, else the peer's over Logbook's. */
  ratios: Record<string, number>;
}

export interface PeersResult<I, S> {
  targets: Partial<Record<PeerTarget, TargetResult<I, S>>>;
  table: ComparisonRow[];
  /** Checks a Logbook target failed: these make the bench fail. */
  problems: string[];
  /** Where a peer did not do what was asked (errors, wrong answers): reported, its figures kept. */
  peerDeviations: string[];
}

// ------------------------------------------------------------------------------------------ the peers' servers

interface Venv {
  bin: string;
  mlflowVersion: string;
  fmlVersion: string;
}

/** .logbook/peers-venv with the pinned MLflow and FastTrackML; made or brought up to date by test/compat/setup.sh. */
function peersVenv(): Venv {
  const venv = PEERS_VENV;
  log(`peers: virtualenv ${venv} (test/compat/setup.sh with test/bench/peers-requirements.txt)`);
  const setup = run(
    'bash',
    [`${REPO}/test/compat/setup.sh`],
    { ...process.env, LOGBOOK_VENV: venv, LOGBOOK_REQUIREMENTS: `${REPO}/test/bench/peers-requirements.txt` },
    1_200_000,
  );
  if (setup.code !== 0) throw new BenchError(`test/compat/setup.sh failed:\n${setup.stderr.slice(-2000)}`);
  const python = setup.stdout.trim().split('\n').pop() as string;
  const fml = run(
    python,
    [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '-q',
      '--no-deps',
      '-r',
      `${REPO}/test/bench/peers-fml-requirements.txt`,
    ],
    process.env,
    600_000,
  );
  if (fml.code !== 0) throw new BenchError(`installing FastTrackML failed:\n${fml.stderr.slice(-2000)}`);
  const bin = `${venv}/bin`;
  const version = (command: string) => {
    const said = run(`${bin}/${command}`, ['--version'], process.env, 60_000).stdout;
    return /\d+\.\d+\.\d+\S*/.exec(said)?.[0] ?? said.trim();
  };
  return { bin, mlflowVersion: version('mlflow'), fmlVersion: version('fml') };
}

const databaseUrlNamed = (serverUrl: string, name: string) => {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
};

/** The command line that serves the peer on the port, storing in the database and artifacts under dir. */
function peerCommand(peer: Peer, venv: Venv, databaseUrl: string, port: number, dir: string) {
  if (peer === 'mlflow') {
    return {
      command: `${venv.bin}/mlflow`,
      args: [
        'server',
        '--backend-store-uri',
        mlflowStoreUri(databaseUrl),
        '--default-artifact-root',
        `${dir}/artifacts`,
        '--workers',
        '4',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        // No line per request, as Logbook runs at LOG_LEVEL=warn in the bench.
        '--uvicorn-opts=--no-access-log',
      ],
    };
  }
  return {
    command: `${venv.bin}/fml`,
    args: [
      'server',
      '--database-uri',
      databaseUrl,
      '--listen-address',
      `127.0.0.1:${port}`,
      '--default-artifact-root',
      `${dir}/artifacts`,
      '--log-level',
      'warning',
    ],
  };
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone already
  }
}

function descendants(root: number): number[] {
  const parents = new Map(allPids().map((pid) => [pid, readStat(pid)?.ppid]));
  const tree = [root];
  for (let i = 0; i < tree.length; i++)
    for (const [pid, ppid] of parents) if (ppid === tree[i] && !tree.includes(pid)) tree.push(pid);
  return tree;
}

/** A name for each process of a peer's tree: the Python module or program it runs, numbered when repeated. */
function nameProcesses(pids: number[]): ServerProcess[] {
  const kind = (pid: number) => {
    const cmd = cmdline(pid);
    const module = / -m ([\w.]+)/.exec(cmd)?.[1];
    if (module) return (module.split('.').pop() as string).replace(/^_+/, '');
    if (cmd.includes('multiprocessing.spawn')) return 'worker';
    if (cmd.includes('multiprocessing.resource_tracker')) return 'resource_tracker';
    const [program, script] = cmd.split(' ');
    const base = (path: string) => path.slice(path.lastIndexOf('/') + 1);
    return /python/.test(base(program)) && script ? base(script) : base(program);
  };
  const kinds = pids.map(kind);
  const seen = new Map<string, number>();
  return pids.map((pid, i) => {
    const repeated = kinds.filter((k) => k === kinds[i]).length > 1;
    const n = (seen.get(kinds[i]) ?? 0) + 1;
    seen.set(kinds[i], n);
    return { pid, name: repeated ? `${kinds[i]} ${n}` : kinds[i] };
  });
}

/** Its process tree once the same processes have been there for two seconds (servers fork workers after answering). */
async function settledTree(root: number): Promise<number[]> {
  let tree = descendants(root);
  for (let waited = 0, stableFor = 0; stableFor < 2000 && waited < 20_000; waited += 500) {
    await sleep(500);
    const now = descendants(root);
    stableFor = now.length === tree.length && now.every((pid) => tree.includes(pid)) ? stableFor + 500 : 0;
    tree = now;
  }
  return tree;
}

const activePeers = new Set<RunningTarget>();

/** Stops every peer still running: for an interrupted bench. */
export function killPeers(): void {
  for (const peer of activePeers) peer.kill();
}

async function startPeer(peer: Peer, venv: Venv, serverUrl: string, stamp: string): Promise<RunningTarget> {
  const dir = `${REPO}/.logbook/bench/${stamp}-${peer}`;
  mkdirSync(dir, { recursive: true });
  const database = `bench_${peer === 'mlflow' ? 'mlflow' : 'fml'}_${stamp.replace(/\D/g, '')}`;
  const databaseUrl = databaseUrlNamed(serverUrl, database);
  const port = await choosePort(undefined, 1, PORTS.from, PORTS.to);
  const { command, args } = peerCommand(peer, venv, databaseUrl, port, dir);
  psql(serverUrl, `CREATE DATABASE ${database}`);
  const dropDatabase = () => {
    try {
      psql(serverUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`, 120_000);
    } catch (error) {
      log(`could not drop ${database}: ${(error as Error).message}`);
    }
  };
  const logFile = `${dir}/server.log`;
  const out = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    // A process group of its own, so that stopping it reaches every worker it forks.
    child = spawn(command, args, { cwd: dir, detached: true, stdio: ['ignore', out, out], env: process.env });
  } finally {
    closeSync(out);
  }
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', () => (exited = true));
  child.unref();
  if (child.pid === undefined) {
    dropDatabase();
    throw new BenchError(`${command} could not be started`);
  }
  const pgid = child.pid;
  const running: RunningTarget = {
    target: peer,
    shape: 'peer',
    url: `http://127.0.0.1:${port}`,
    procs: [],
    databaseUrl,
    pgPort: Number(new URL(serverUrl).port || 5432),
    version: peer === 'mlflow' ? venv.mlflowVersion : venv.fmlVersion,
    async stop() {
      activePeers.delete(running);
      log(`stopping ${LABELS[peer]}`);
      signalGroup(pgid, 'SIGTERM');
      for (let waited = 0; groupAlive(pgid) && waited < 20_000; waited += 250) await sleep(250);
      signalGroup(pgid, 'SIGKILL');
      dropDatabase();
    },
    kill() {
      activePeers.delete(running);
      signalGroup(pgid, 'SIGKILL');
      dropDatabase();
    },
  };
  activePeers.add(running);
  log(`starting ${LABELS[peer]} on ${running.url}: ${command} ${args.join(' ')}`);
  const t0 = performance.now();
  const client = new Client(running.url, 2000);
  while ((await client.send('GET', '/health')).status !== 200) {
    if (exited || performance.now() - t0 > 180_000) {
      running.kill();
      const tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
      throw new BenchError(
        `${LABELS[peer]} did not answer /health${exited ? ' (it exited)' : ''}; ${logFile}:\n${tail}`,
      );
    }
    await sleep(250);
  }
  running.procs = nameProcesses(await settledTree(pgid));
  log(
    `${LABELS[peer]} ${running.version} answers after ${fmt((performance.now() - t0) / 1000, 1)} s, ${running.procs.length} processes`,
  );
  return running;
}

// ------------------------------------------------------------------------------------------ workload 3: history

export interface HistoryResult {
  points: number;
  pageSize: number;
  write: { wallSeconds: number; pointsPerSecond: number; errors: number };
  /** Pages of max_results points following next_page_token, until the server sends none. */
  paged: HistoryReads & { requestsPerRead: number };
  /** One request without max_results. */
  whole: HistoryReads & { bytes: number };
  /** The serving processes' RSS, in MB: before the first read, and the highest while each kind of read ran. */
  memory: {
    beforeMb: Record<string, number>;
    pagedPeakMb: Record<string, number>;
    wholePeakMb: Record<string, number>;
  };
  errors: { total: number; byStatus: Record<string, number>; samples: string[] };
  verification: { failures: string[] };
}

interface HistoryReads {
  seconds: number[];
  medianSeconds: number;
  pointsRead: number;
}

const megabytes = (kb: number | undefined) => Math.round((kb ?? NaN) / 102.4) / 10;

/**
 * Each process's highest RSS while `read` runs: the kernel's high-water mark, started again from the
 * present RSS first, so nothing the process held before counts; where that is refused, RSS sampled
 * every 20 ms. A process tree (the embedded Postgres) has no high-water mark of its PSS: sampled every
 * 200 ms, since reading it walks each process's memory map.
 */
async function peakRssDuring<T>(
  procs: ServerProcess[],
  read: () => Promise<T>,
): Promise<{ outcome: T; peakKb: Map<string, number> }> {
  const single = procs.filter((p) => !p.withChildren);
  const trees = procs.filter((p) => p.withChildren);
  const exact = single.map((p) => resetPeakRss(p.pid)).every(Boolean);
  const sampled = new Map(procs.map((p) => [p.name, memoryKb(p) ?? 0]));
  const sample = (which: ServerProcess[]) => {
    for (const p of which) sampled.set(p.name, Math.max(sampled.get(p.name) ?? 0, memoryKb(p) ?? 0));
  };
  const samplers = [
    exact ? undefined : setInterval(() => sample(single), 20),
    trees.length > 0 ? setInterval(() => sample(trees), 200) : undefined,
  ];
  try {
    const outcome = await read();
    sample(procs);
    if (exact) for (const p of single) sampled.set(p.name, readPeakRssKb(p.pid) ?? 0);
    return { outcome, peakKb: sampled };
  } finally {
    samplers.forEach((timer) => clearInterval(timer));
  }
}

const total = (mb: Record<string, number>) => Math.round(Object.values(mb).reduce((a, b) => a + b, 0) * 10) / 10;

const HISTORY_KEY = 'loss';
const historyValue = (step: number) => Math.exp(-step / 100_000) + (step % 97) / 1e4;

/** Writes `points` steps of one metric to one run in batches of 1,000, then times reading them back with get-history. */
async function historyWorkload(
  client: Client,
  procs: ServerProcess[],
  s: PeersSettings,
  stamp: string,
): Promise<HistoryResult> {
  const { experiment_id: experimentId } = await client.json<{ experiment_id: string }>(
    'POST',
    '/api/2.0/mlflow/experiments/create',
    { name: `bench-history-${stamp}` },
  );
  const created = await client.json<{ run: { info: { run_id: string } } }>('POST', '/api/2.0/mlflow/runs/create', {
    experiment_id: experimentId,
    run_name: 'history',
  });
  const runId = created.run.info.run_id;
  const perBatch = 1000;
  const batches = Math.ceil(s.historyPoints / perBatch);
  const baseTs = Date.now() - 86_400_000;
  const errors = new ErrorLog();
  log(`history: writing ${fmt(s.historyPoints)} points of ${HISTORY_KEY} to one run, ${s.clients} clients`);
  const t0 = performance.now();
  await pool(batches, s.clients, t0 + s.timeLimitSeconds * 1000, async (b) => {
    const metrics = [];
    for (let step = b * perBatch; step < Math.min((b + 1) * perBatch, s.historyPoints); step++)
      metrics.push({ key: HISTORY_KEY, value: historyValue(step), timestamp: baseTs + step, step });
    const reply = await client.send('POST', '/api/2.0/mlflow/runs/log-batch', { run_id: runId, metrics });
    if (reply.status !== 200) errors.add(`log-batch ${b}`, reply);
  });
  const writeSeconds = (performance.now() - t0) / 1000;

  const reader = client.withTimeout(Math.max(s.requestTimeoutMs, 600_000));
  const query = `/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=${HISTORY_KEY}`;
  type Page = { metrics?: Array<{ value: number; step: number }>; next_page_token?: string };
  const failures: string[] = [];
  const check = (what: string, points: Array<{ value: number; step: number }>) => {
    const steps = new Set(points.map((p) => p.step));
    if (points.length !== s.historyPoints || steps.size !== s.historyPoints)
      failures.push(`${what}: ${points.length} points, ${steps.size} distinct steps, expected ${s.historyPoints}`);
    const wrong = points.find((p) => p.value !== historyValue(p.step));
    if (wrong) failures.push(`${what}: point ${JSON.stringify(wrong)} does not match what was sent`);
  };
  const readPaged = async (verify: boolean) => {
    const points: Array<{ value: number; step: number }> = [];
    let token: string | undefined;
    let requests = 0;
    do {
      const path = `${query}&max_results=${s.historyPageSize}${token ? `&page_token=${encodeURIComponent(token)}` : ''}`;
      const reply = await reader.send('GET', path);
      requests++;
      if (reply.status !== 200) {
        errors.add('get-history (paged)', reply);
        break;
      }
      const page = JSON.parse(reply.body) as Page;
      for (const m of page.metrics ?? []) points.push(m);
      token = page.next_page_token || undefined;
    } while (token);
    if (verify) check('paged read', points);
    return { requests, pointsRead: points.length };
  };
  const readWhole = async (verify: boolean) => {
    const reply = await reader.send('GET', query);
    if (reply.status !== 200) {
      errors.add('get-history (whole)', reply);
      return { pointsRead: 0, bytes: reply.body.length };
    }
    const points = (JSON.parse(reply.body) as Page).metrics ?? [];
    if (verify) check('whole read', points);
    return { pointsRead: points.length, bytes: reply.body.length };
  };
  const peaks = { paged: new Map<string, number>(), whole: new Map<string, number>() };
  const timed = async <T>(kind: keyof typeof peaks, read: () => Promise<T>): Promise<[number, T]> => {
    const start = performance.now();
    const { outcome, peakKb } = await peakRssDuring(procs, read);
    const seconds = Math.round(performance.now() - start) / 1000;
    for (const [name, kb] of peakKb) peaks[kind].set(name, Math.max(peaks[kind].get(name) ?? 0, kb));
    return [seconds, outcome];
  };
  log(`history: ${s.historyReads} reads paged by ${fmt(s.historyPageSize)}, ${s.historyReads} in one request`);
  const beforeMb = Object.fromEntries(procs.map((p) => [p.name, megabytes(memoryKb(p))]));
  const paged: number[] = [];
  const whole: number[] = [];
  let pagedLast = { requests: 0, pointsRead: 0 };
  let wholeLast = { pointsRead: 0, bytes: 0 };
  for (let i = 0; i < s.historyReads; i++) {
    [paged[i], pagedLast] = await timed('paged', () => readPaged(i === 0));
    [whole[i], wholeLast] = await timed('whole', () => readWhole(i === 0));
  }
  const inMb = (peak: Map<string, number>) => Object.fromEntries([...peak].map(([name, kb]) => [name, megabytes(kb)]));
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
  return {
    points: s.historyPoints,
    pageSize: s.historyPageSize,
    write: {
      wallSeconds: Math.round(writeSeconds * 100) / 100,
      pointsPerSecond: Math.round(s.historyPoints / writeSeconds),
      errors: errors.total,
    },
    paged: {
      seconds: paged,
      medianSeconds: median(paged),
      pointsRead: pagedLast.pointsRead,
      requestsPerRead: pagedLast.requests,
    },
    whole: { seconds: whole, medianSeconds: median(whole), pointsRead: wholeLast.pointsRead, bytes: wholeLast.bytes },
    memory: { beforeMb, pagedPeakMb: inMb(peaks.paged), wholePeakMb: inMb(peaks.whole) },
    errors: { total: errors.total, byStatus: errors.byStatus, samples: errors.samples },
    verification: { failures },
  };
}

// ------------------------------------------------------------------------------------------ the comparison

const LOGBOOK_SHAPES: LogbookShape[] = ['distributed', 'embedded'];
const PEERS: Peer[] = ['mlflow', 'fasttrackml'];

function ratiosOf(values: ComparisonRow['values'], better: ComparisonRow['better']): Record<string, number> {
  const ratios: Record<string, number> = {};
  for (const shape of LOGBOOK_SHAPES)
    for (const peer of PEERS) {
      const ours = values[shape];
      const theirs = values[peer];
      if (ours === undefined || theirs === undefined || ours === 0 || theirs === 0) continue;
      ratios[`${shape}/${peer}`] = Math.round((better === 'higher' ? ours / theirs : theirs / ours) * 100) / 100;
    }
  return ratios;
}

function comparisonTable<I extends IngestFigures, S extends SearchFigures>(
  targets: PeersResult<I, S>['targets'],
  s: PeersSettings,
): ComparisonRow[] {
  const row = (
    id: RowId,
    workload: string,
    unit: string,
    better: ComparisonRow['better'],
    figure: (t: TargetResult<I, S>) => number | undefined,
  ): ComparisonRow => {
    const values: ComparisonRow['values'] = {};
    for (const target of PEER_TARGETS) {
      const result = targets[target];
      const value = result && figure(result);
      if (value !== undefined && Number.isFinite(value)) values[target] = value;
    }
    return { id, workload, unit, better, values, ratios: ratiosOf(values, better) };
  };
  return [
    row('ingest', '(1) log-batch ingestion', 'points/s', 'higher', (t) => t.ingest?.pointsPerSecond),
    row('ingestP50', '(1) log-batch latency p50', 'ms', 'lower', (t) => t.ingest?.latencyMs.p50),
    row('ingestP99', '(1) log-batch latency p99', 'ms', 'lower', (t) => t.ingest?.latencyMs.p99),
    row(
      'searchP50',
      `(2) search_runs over ${fmt(s.searchRuns)} runs p50`,
      'ms',
      'lower',
      (t) => t.search?.sequential.p50,
    ),
    row(
      'searchP99',
      `(2) search_runs over ${fmt(s.searchRuns)} runs p99`,
      'ms',
      'lower',
      (t) => t.search?.sequential.p99,
    ),
    row(
      'searchP50Readers',
      `(2) search_runs over ${fmt(s.searchRuns)} runs p50, ${s.searchReaders} concurrent readers`,
      'ms',
      'lower',
      (t) => t.search?.concurrent.p50,
    ),
    row(
      'historyPaged',
      `(3) get-history ${fmt(s.historyPoints)} points, paged by ${fmt(s.historyPageSize)}`,
      's',
      'lower',
      (t) => t.history?.paged.medianSeconds,
    ),
    row(
      'historyWhole',
      `(3) get-history ${fmt(s.historyPoints)} points, one request`,
      's',
      'lower',
      (t) => t.history?.whole.medianSeconds,
    ),
    row('historyRssBefore', '(3) RSS before the history reads, all processes', 'MB', 'lower', (t) =>
      t.history ? total(t.history.memory.beforeMb) : undefined,
    ),
    row('historyRssPaged', '(3) peak RSS during the paged reads, all processes', 'MB', 'lower', (t) =>
      t.history ? total(t.history.memory.pagedPeakMb) : undefined,
    ),
    row('historyRssWhole', '(3) peak RSS during the one-request reads, all processes', 'MB', 'lower', (t) =>
      t.history ? total(t.history.memory.wholePeakMb) : undefined,
    ),
    row('ingestRss', '(4) peak RSS under ingestion, all processes', 'MB', 'lower', (t) => t.peakRssTotalMb),
  ];
}

/** The side-by-side table of some rows, with their ratios. */
export function formatTable(rows: readonly ComparisonRow[]): string[] {
  const digits = (unit: string) => (unit === 's' ? 2 : unit === 'ms' ? 1 : 0);
  const ratioColumns = LOGBOOK_SHAPES.flatMap((shape) => PEERS.map((peer) => [shape, peer] as const));
  const header = [
    'workload',
    ...PEER_TARGETS.map((t) => LABELS[t]),
    ...ratioColumns.map(([shape, peer]) => `${shape} vs ${LABELS[peer]}`),
  ];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  // A run of the history workload alone has no ingest or search figures to show.
  for (const r of rows.filter((row) => Object.keys(row.values).length > 0)) {
    const cells = [
      `${r.workload} (${r.unit})`,
      ...PEER_TARGETS.map((t) => (r.values[t] === undefined ? 'n/a' : fmt(r.values[t] as number, digits(r.unit)))),
      ...ratioColumns.map(([shape, peer]) => {
        const ratio = r.ratios[`${shape}/${peer}`];
        return ratio === undefined ? 'n/a' : `${fmt(ratio, 2)}x`;
      }),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('');
  lines.push('Ratios: points/s Logbook/peer, times and RSS peer/Logbook; above 1 favours Logbook.');
  return lines;
}

export function formatComparison<I extends IngestFigures, S extends SearchFigures>(result: PeersResult<I, S>): string {
  const lines = formatTable(result.table);
  const ingested = PEER_TARGETS.filter((target) => result.targets[target]?.ingest?.memory);
  if (ingested.length > 0) lines.push('Peak RSS under ingestion, per process (MB):');
  for (const target of ingested) {
    const t = result.targets[target];
    const peaks = t?.ingest?.memory?.peakRssMb;
    if (!t || !peaks) continue;
    const each = Object.entries(peaks)
      .map(([name, mb]) => `${name} ${fmt(mb)}`)
      .join(', ');
    lines.push(`  ${t.label} ${t.version}: ${each}; total ${fmt(t.peakRssTotalMb ?? NaN)}`);
  }
  const historyRead = PEER_TARGETS.some((target) => result.targets[target]?.history);
  if (historyRead)
    lines.push('RSS around the history reads, per process (MB): before / peak paged / peak in one request:');
  for (const target of PEER_TARGETS) {
    const t = result.targets[target];
    const memory = t?.history?.memory;
    if (!t || !memory) continue;
    const each = Object.keys(memory.beforeMb)
      .map((name) => {
        const [before, paged, whole] = [memory.beforeMb, memory.pagedPeakMb, memory.wholePeakMb].map((mb) => mb[name]);
        return `${name} ${fmt(before)} / ${fmt(paged)} / ${fmt(whole)}`;
      })
      .join(', ');
    lines.push(`  ${t.label} ${t.version}: ${each}`);
  }
  for (const target of PEER_TARGETS) {
    const error = result.targets[target]?.error;
    if (error) lines.push(`  ${LABELS[target]} did not complete: ${error.split('\n')[0]}`);
  }
  for (const note of [...result.peerDeviations, ...result.problems]) lines.push(`  ! ${note}`);
  return lines.join('\n');
}

/** Each row's figures as the median of the rounds' (a target missing from a round is left out of its median). */
export function medianRows(rounds: readonly (readonly ComparisonRow[])[]): ComparisonRow[] {
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  };
  return (rounds[0] ?? []).map((first) => {
    const values: ComparisonRow['values'] = {};
    for (const target of PEER_TARGETS) {
      const seen = rounds.flatMap((rows) => rows.find((row) => row.id === first.id)?.values[target] ?? []);
      if (seen.length > 0) values[target] = median(seen);
    }
    return { ...first, values, ratios: ratiosOf(values, first.better) };
  });
}

export interface TargetCheck {
  target: string;
  /** Undefined when a figure it needs was not measured. */
  holds?: boolean;
  measured: string;
}

/** The size of the search experiment issue 15's search targets are set at. */
export const ISSUE_SEARCH_RUNS = 100_000;

/**
 * Issue 15's targets that this comparison measures, checked on the given rows (the medians of the rounds);
 * the search targets when W2 searched at least the issue's 100,000 runs.
 */
export function issueTargets(
  rows: readonly ComparisonRow[],
  search: Pick<PeersSettings, 'searchRuns' | 'searchReaders'>,
): TargetCheck[] {
  const rowOf = (id: RowId) => rows.find((row) => row.id === id);
  const ratio = (id: RowId, shape: LogbookShape, peer: Peer) => rowOf(id)?.ratios[`${shape}/${peer}`];
  const value = (id: RowId, target: PeerTarget) => rowOf(id)?.values[target];
  const atLeast = (target: string, figure: number | undefined, floor: number, shown: string): TargetCheck => ({
    target,
    holds: figure === undefined ? undefined : figure >= floor,
    measured: figure === undefined ? 'not measured' : shown,
  });
  const below = (target: string, figure: number | undefined, ceiling: number, unit: string): TargetCheck => ({
    target,
    holds: figure === undefined ? undefined : figure < ceiling,
    measured: figure === undefined ? 'not measured' : `${fmt(figure, 1)} ${unit}`,
  });
  const times = (figure: number | undefined) => `${fmt(figure ?? NaN, 2)}x`;
  const ingestVsFml = ratio('ingest', 'distributed', 'fasttrackml');
  const ingestVsMlflow = ratio('ingest', 'distributed', 'mlflow');
  const distributed = value('ingest', 'distributed');
  const embedded = value('ingest', 'embedded');
  const embeddedShare = distributed && embedded !== undefined ? embedded / distributed : undefined;
  const historyDistributed = ratio('historyPaged', 'distributed', 'mlflow');
  const historyEmbedded = ratio('historyPaged', 'embedded', 'mlflow');
  const searchChecks =
    search.searchRuns < ISSUE_SEARCH_RUNS
      ? []
      : LOGBOOK_SHAPES.flatMap((shape) => {
          const over = `search over ${fmt(search.searchRuns)} runs, ${shape}`;
          const vsMlflow = ratio('searchP50', shape, 'mlflow');
          return [
            below(`${over}: p50 under 20 ms`, value('searchP50', shape), 20, 'ms'),
            atLeast(`${over}: at least 10x MLflow`, vsMlflow, 10, times(vsMlflow)),
            below(
              `${over}: p50 under 50 ms with ${search.searchReaders} readers`,
              value('searchP50Readers', shape),
              50,
              'ms',
            ),
          ];
        });
  return [
    atLeast('ingestion, distributed: at least 2x FastTrackML', ingestVsFml, 2, times(ingestVsFml)),
    atLeast('ingestion, distributed: at least 10x MLflow', ingestVsMlflow, 10, times(ingestVsMlflow)),
    below('ingestion, distributed: p99 under 150 ms', value('ingestP99', 'distributed'), 150, 'ms'),
    atLeast(
      'ingestion, embedded: within 20% of distributed',
      embeddedShare,
      0.8,
      `${fmt((embeddedShare ?? NaN) * 100, 0)}% of distributed`,
    ),
    atLeast('history paged, distributed: at least 10x MLflow', historyDistributed, 10, times(historyDistributed)),
    atLeast('history paged, embedded: at least 10x MLflow', historyEmbedded, 10, times(historyEmbedded)),
    below('memory, embedded: peak RSS under ingestion under 400 MB', value('ingestRss', 'embedded'), 400, 'MB'),
    ...searchChecks,
  ];
}

export function formatTargets(checks: readonly TargetCheck[]): string[] {
  const verdict = (holds: boolean | undefined) => (holds === undefined ? 'n/a ' : holds ? 'MET ' : 'MISS');
  return checks.map((check) => `  ${verdict(check.holds)} ${check.target}: ${check.measured}`);
}

/** What a target did that the workload did not ask for, or did not do. */
function deviations<I extends IngestFigures, S extends SearchFigures>(t: TargetResult<I, S>): string[] {
  const found: string[] = [];
  const { ingest, search, history } = t;
  if (ingest && ingest.errors.total > 0) found.push(`${ingest.errors.total} log-batch errors`);
  if (ingest && ingest.verification.failures.length > 0) found.push(`ingest check: ${ingest.verification.failures[0]}`);
  if (search && search.errors.total + search.setup.errors.total > 0)
    found.push(`${search.errors.total + search.setup.errors.total} search-workload errors`);
  if (search && (search.verification.failures.length > 0 || search.verification.checked === 0))
    found.push(`search check: ${search.verification.failures[0] ?? 'no answer checked'}`);
  if (history && history.errors.total > 0) found.push(`${history.errors.total} history-workload errors`);
  if (history && history.verification.failures.length > 0)
    found.push(`history check: ${history.verification.failures.join('; ')}`);
  return found.map((d) => `${t.label}: ${d}`);
}

/** Starts each target in turn, runs the workloads against it, stops it; then the table. */
export async function runPeers<I extends IngestFigures, S extends SearchFigures>(
  s: PeersSettings,
  hooks: PeersHooks<I, S>,
  stamp: string,
): Promise<PeersResult<I, S>> {
  const result: PeersResult<I, S> = { targets: {}, table: [], problems: [], peerDeviations: [] };
  let venv: Venv | undefined;
  for (const target of s.targets) {
    const outcome: TargetResult<I, S> = { label: LABELS[target], version: '', url: '', processes: [] };
    result.targets[target] = outcome;
    let running: RunningTarget | undefined;
    const t0 = performance.now();
    try {
      if (target === 'mlflow' || target === 'fasttrackml') {
        venv ??= peersVenv();
        running = await startPeer(target, venv, s.databaseUrl, stamp);
      } else {
        running = await hooks.startLogbook(
          target,
          await choosePort(undefined, target === 'distributed' ? 4 : 1, PORTS.from, PORTS.to),
        );
      }
      Object.assign(outcome, {
        version: running.version,
        url: running.url,
        processes: running.procs.map((p) => `${p.name} (${p.pid})`),
      });
      const client = new Client(running.url, s.requestTimeoutMs);
      if (s.workloads.ingest || s.workloads.search) {
        const { ingest, search } = await hooks.measure(running, client, s.workloads);
        outcome.ingest = ingest;
        outcome.search = search;
        const peaks = ingest?.memory?.peakRssMb;
        if (peaks) outcome.peakRssTotalMb = Math.round(Object.values(peaks).reduce((a, b) => a + b, 0));
      }
      if (s.workloads.history) outcome.history = await historyWorkload(client, running.procs, s, stamp);
    } catch (error) {
      outcome.error = error instanceof Error ? error.message : String(error);
      log(`peers: ${LABELS[target]} failed: ${outcome.error}`);
    } finally {
      await running?.stop();
      outcome.wallSeconds = Math.round((performance.now() - t0) / 100) / 10;
    }
    const found = deviations(outcome);
    if (target === 'distributed' || target === 'embedded') {
      result.problems.push(...found);
      if (outcome.error) result.problems.push(`${LABELS[target]}: ${outcome.error.split('\n')[0]}`);
    } else result.peerDeviations.push(...found);
  }
  result.table = comparisonTable(result.targets, s);
  return result;
}
