/**
 * `npm run bench`: Logbook's throughput benchmark (W1a log-batch ingestion and W2(b) search_runs of
 * docs/benchmarks.md and the performance reference §4, A1: a large artifact up and down through the
 * gateway next to a direct copy to the store, and the registry's R1 registration round trip and R2
 * search_model_versions, registry-workload.ts), with server RSS and CPU; and, when named with --only,
 * governance: a policy's cost on a transition and the audit trail searched by model (governance-workload.ts).
 *
 *   node dist/test/bench/bench.js [--shape distributed|embedded] [--url http://127.0.0.1:PORT] [options]
 *
 * It starts Logbook itself through test/support/shapes.sh (distributed: on a fresh database of the
 * local infrastructure, which it brings up with deploy/local/infra.sh when DATABASE_URL/KAFKA_BROKERS
 * are missing), or attaches to --url (then it cannot see the server's processes: no RSS/CPU).
 * Speed is measured, never asserted: the exit code is non-zero only for request errors, failed
 * correctness checks, or a benchmark that could not run. Node built-ins, plus the AWS SDK for the
 * direct S3 copy (artifact-io.ts); talks to 127.0.0.1 only.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  DirectS3,
  ensureSourceFile,
  fsCopy,
  fsRead,
  httpDownload,
  httpUpload,
  readSlice,
  S3Settings,
  Transfer,
} from './artifact-io';
import {
  allPids,
  basicAuth,
  BenchError,
  choosePort,
  Client,
  cmdline,
  dirOf,
  ErrorLog,
  fmt,
  havePsql,
  LatencyStats,
  latencyStats,
  log,
  MeasuredProcess,
  memoryKb,
  percentile,
  pool,
  prng,
  processTree,
  psql,
  readPeakRssKb,
  readRssKb,
  readStat,
  REPO,
  run,
  sleep,
} from './bench-support';
import {
  Database,
  DEFAULT_EMBEDDED_SHARED_BUFFERS_MB,
  DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  EmbeddedDatabaseChoice,
  EmbeddedDurability,
  openEmbeddedDatabase,
  PostgresDatabase,
} from '@logbook/platform';
import { GovernanceResult, governanceWorkload } from './governance-workload';
import { RegistryResult, registryWorkload } from './registry-workload';
import { GrpcIngestResult, grpcIngestWorkload } from './grpc-workload';
import { WebhookResult, webhookWorkload } from './webhook-workload';
import {
  formatComparison,
  formatTable,
  formatTargets,
  ISSUE_SEARCH_RUNS,
  issueTargets,
  killPeers,
  medianRows,
  mlflowStoreUri,
  Peer,
  PEER_TARGETS,
  PeerTarget,
  PEERS_VENV,
  PeersResult,
  RunningTarget,
  runPeers,
  TargetCheck,
} from './peers';
import { searchRunRequests, SearchRunValues, seedSearchRunsInMlflow, seedSearchRunsSql, teamOf } from './search-seed';

// ------------------------------------------------------------------------------------------ options

interface Options {
  shape: 'distributed' | 'embedded';
  url?: string;
  port?: number;
  runs: number;
  clients: number;
  ingestBatches: number;
  keys: number;
  steps: number;
  warmupBatches: number;
  verifyRuns: number;
  searchRuns: number;
  searchReps: number;
  searchReaders: number;
  /** W2 filters on a tag too (issue 15's metric + param + tag query, as --peers runs it). */
  searchTag: boolean;
  /** W2 searches the experiment of this name, seeding it only when it does not exist yet. */
  searchExperiment?: string;
  /**
   * How W2's runs are seeded: through the API, or set-based in SQL (search-seed.ts); with --peers, sql seeds
   * Logbook and MLflow in their databases and FastTrackML, which has no store to write through, by its API.
   */
  searchSeed: 'api' | 'sql';
  setupConcurrency: number;
  artifactMib: number;
  artifactRounds: number;
  registryVersions: number;
  registryModels: number;
  registrations: number;
  governanceTransitions: number;
  auditRows: number;
  webhookReceivers: number;
  webhookPromotions: number;
  grpcBatches: number;
  grpcRounds: number;
  /** host:port of the gRPC endpoint; default: the started server's port + 10000, as shapes.sh serves it. */
  grpcTarget?: string;
  /** Who sends the gRPC workload's batches: the bench itself (Node) or MLflow's Python stack. */
  grpcClient: 'node' | 'python';
  only?: Workload;
  /** --peers: the targets compared (peers.ts), in this order. */
  peers?: PeerTarget[];
  /** --peers: how many times the whole comparison runs; the table then shows each figure's median. */
  peersRounds: number;
  historyPoints: number;
  historyPageSize: number;
  historyReads: number;
  historyOnly: boolean;
  /** How the bench's requests sign in: not at all, HTTP Basic, or an API token (both as a user who is no admin). */
  auth: 'off' | 'basic' | 'token';
  timeLimitSeconds: number;
  requestTimeoutMs: number;
  pin: boolean;
  freshDb: boolean;
  keepDb: boolean;
  keepData: boolean;
  /** Embedded: the PGlite data folder to use and keep, instead of a fresh one in the state folder. */
  embeddedData?: string;
  analyze: boolean;
  cpuProf: boolean;
  out?: string;
}

const BENCH_ADMIN = ['bench-admin', 'the bench admin password'] as const;
const BENCH_USER = ['bench-user', 'the bench user password'] as const;

/**
 * The Authorization header of the bench's requests: a user who is no admin (an admin would skip the
 * permission checks being measured), signed in by Basic credentials or by an API token of theirs.
 */
async function signIn(o: Options, url: string): Promise<string | undefined> {
  if (o.auth === 'off') return undefined;
  const admin = new Client(url, o.requestTimeoutMs, basicAuth(...BENCH_ADMIN));
  const created = await admin.send('POST', '/api/2.0/mlflow/users/create', {
    username: BENCH_USER[0],
    password: BENCH_USER[1],
  });
  if (created.status !== 200) throw new BenchError(`users/create answered ${created.status}: ${created.body}`);
  if (o.auth === 'basic') return basicAuth(...BENCH_USER);
  const user = new Client(url, o.requestTimeoutMs, basicAuth(...BENCH_USER));
  const issued = await user.send('POST', '/api/2.0/logbook/tokens/create', { name: 'bench', scope: 'MANAGE' });
  if (issued.status !== 200) throw new BenchError(`tokens/create answered ${issued.status}: ${issued.body}`);
  return `Bearer ${(JSON.parse(issued.body) as { secret: string }).secret}`;
}

const USAGE = `Usage: node dist/test/bench/bench.js [options]
  --shape distributed|embedded   runtime shape to start (default distributed)
  --url http://127.0.0.1:PORT    attach to a running Logbook instead (no RSS/CPU figures then)
  --port N                       port for the started server (default: a free one from 15700)
  --runs N                       runs written by the ingest workload (default 100)
  --clients N                    concurrent ingest clients (default 4)
  --ingest-batches N             total log-batch requests, spread round-robin over the runs (default 1000 = 1M points)
  --keys N --steps N             metric keys x steps per request, keys*steps <= 1000 (default 10 x 100)
  --warmup-batches N             untimed batches to a separate run first (default 20)
  --verify-runs N                runs whose latest metrics and histories are checked (default 10)
  --search-runs N                runs in the search experiment (default 10000)
  --search-reps N                timed searches sequentially, and per concurrent reader (default 50)
  --search-readers N             concurrent search readers (default 4)
  --search-tag                   add W2's tag clause (tags.team = 'vision', as --peers runs it) to its filter
  --search-experiment NAME       search the experiment of this name, seeding it only if it does not exist yet
                                 (with --no-fresh-db or --embedded-data, reuses the runs of an earlier run)
  --search-seed api|sql          seed the search runs through the API, or set-based in SQL: the same events,
                                 stream heads and read model rows, written in a few statements per 2,000
                                 runs; then it waits until the other services have followed (default api).
                                 With --peers: MLflow's runs as its SqlAlchemyStore writes them, by
                                 mlflow_search_seed.py; FastTrackML's through its API
  --setup-concurrency N          concurrent requests while creating the search runs (default 8)
  --artifact-mib N               size of the artifact workload's file in MiB (default 1024 = 1 GiB)
  --artifact-rounds N            rounds of direct + Logbook upload and download; medians reported (default 3)
  --history-only                 --peers: the history workload alone, without ingest and search (so MLflow's
                                 figure for a long history costs no ingest first)
  --registry-versions N          versions the registry search workload seeds (default 100000)
  --registry-models N            registered models they are spread over (default 100)
  --registrations N              timed create -> READY round trips (default 200)
  --governance-transitions N     timed transitions of each path, plain and governed (default 100)
  --audit-rows N                 audit rows the governance workload searches over (default 1000000)
  --webhook-receivers N          receivers subscribed to each promotion in the webhook workload (default 100)
  --webhook-promotions N         timed promotions of the webhook workload (default 50)
  --grpc-batches N               log_batch calls of 1,000 metrics per transport and round, gRPC workload (default 400)
  --grpc-rounds N                rounds of the gRPC workload, each REST and gRPC in alternating order (default 5)
  --grpc-target HOST:PORT        the gRPC endpoint (default: the server's port + 10000, as shapes.sh serves it)
  --grpc-client python|node      who sends the gRPC workload: MLflow's Python stack in --clients processes
                                 (requests + JSON, grpcio + MLflow's messages; the compat virtualenv,
                                 test/compat/setup.sh), or this process (fetch, grpc-js) (default python)
  --only ingest|search|artifacts|registry|governance|webhooks|grpc   run one workload (governance, webhooks
                                 and grpc run only when named: governance needs authentication on, which
                                 --only governance turns on; webhooks lets Logbook call local receivers)
  --peers[=mlflow,fasttrackml,distributed,embedded]
                                 compare MLflow's tracking server, FastTrackML and Logbook's two shapes, one
                                 after another (default all four), on W1 ingest (with 400 batches unless
                                 --ingest-batches says), W2 search, a get-history read and peak RSS
                                 (peers.ts; the peers run from .logbook/peers-venv, on databases of their own);
                                 with --only search, W2 alone (issue 15's search over 100,000 runs:
                                 --peers --only search --search-runs 100000 --search-seed sql)
  --history-points N             --peers: points of the one metric get-history reads back (default 1000000)
  --history-page N               --peers: max_results of each get-history page (default 25000)
  --history-reads N              --peers: timed reads, paged and in one request; medians reported (default 3)
  --peers-rounds N               --peers: run the whole comparison N times, each round every target in turn, and
                                 print each figure's median over the rounds with issue 15's targets (default 1)
  --auth off|basic|token         start Logbook with authentication on and sign every request in as a
                                 user who is no admin, by Basic credentials or an API token (default off;
                                 with --only ingest, search or governance)
  --time-limit S                 cap per workload phase and per artifact transfer, in seconds (default 900)
  --request-timeout MS           per-request timeout (default 60000)
  --no-pin                       do not pin the load generator to CPU 1 (taskset)
  --no-fresh-db                  distributed: use DATABASE_URL's database instead of a fresh one
  --keep-db --keep-data          keep the fresh database / the embedded data folder afterwards
  --embedded-data DIR            embedded: use and keep this PGlite data folder (created if missing)
  --no-analyze                   distributed: skip VACUUM ANALYZE before the search workload
  --cpu-prof                     profile the server processes (V8 .cpuprofile files in <state dir>/prof)
  --out FILE                     JSON summary path (default .logbook/bench/<timestamp>.json)`;

function parseArgs(argv: string[]): Options {
  const o: Options = {
    shape: 'distributed',
    runs: 100,
    clients: 4,
    ingestBatches: 1000,
    keys: 10,
    steps: 100,
    warmupBatches: 20,
    verifyRuns: 10,
    searchRuns: 10_000,
    searchReps: 50,
    searchReaders: 4,
    searchTag: false,
    searchSeed: 'api',
    setupConcurrency: 8,
    artifactMib: 1024,
    artifactRounds: 3,
    registryVersions: 100_000,
    registryModels: 100,
    registrations: 200,
    governanceTransitions: 100,
    auditRows: 1_000_000,
    webhookReceivers: 100,
    webhookPromotions: 50,
    grpcBatches: 400,
    grpcRounds: 5,
    grpcClient: 'python',
    historyPoints: 1_000_000,
    historyPageSize: 25_000,
    historyReads: 3,
    peersRounds: 1,
    historyOnly: false,
    auth: 'off',
    timeLimitSeconds: 900,
    requestTimeoutMs: 60_000,
    pin: true,
    freshDb: true,
    keepDb: false,
    keepData: false,
    analyze: true,
    cpuProf: false,
  };
  const int = (name: string, value: string | undefined, min: number, max: number): number => {
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n < min || n > max) {
      throw new UsageError(`${name} needs an integer between ${min} and ${max}, got ${value ?? 'nothing'}`);
    }
    return n;
  };
  let ingestBatchesGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--shape': {
        const v = value();
        if (v !== 'distributed' && v !== 'embedded')
          throw new UsageError(`--shape must be distributed or embedded, got ${v}`);
        o.shape = v;
        break;
      }
      case '--url':
        o.url = value();
        break;
      case '--port':
        o.port = int(flag, value(), 1024, 65000);
        break;
      case '--runs':
        o.runs = int(flag, value(), 1, 100_000);
        break;
      case '--clients':
        o.clients = int(flag, value(), 1, 256);
        break;
      case '--ingest-batches':
        o.ingestBatches = int(flag, value(), 0, 1_000_000);
        ingestBatchesGiven = true;
        break;
      case '--keys':
        o.keys = int(flag, value(), 1, 1000);
        break;
      case '--steps':
        o.steps = int(flag, value(), 1, 1000);
        break;
      case '--warmup-batches':
        o.warmupBatches = int(flag, value(), 0, 10_000);
        break;
      case '--verify-runs':
        o.verifyRuns = int(flag, value(), 0, 100_000);
        break;
      case '--search-runs':
        o.searchRuns = int(flag, value(), 1, 1_000_000);
        break;
      case '--search-reps':
        o.searchReps = int(flag, value(), 1, 100_000);
        break;
      case '--search-readers':
        o.searchReaders = int(flag, value(), 1, 256);
        break;
      case '--search-tag':
        o.searchTag = true;
        break;
      case '--search-experiment':
        o.searchExperiment = value();
        break;
      case '--search-seed': {
        const how = value();
        if (how !== 'api' && how !== 'sql') throw new UsageError(`--search-seed must be api or sql, not ${how}`);
        o.searchSeed = how;
        break;
      }
      case '--setup-concurrency':
        o.setupConcurrency = int(flag, value(), 1, 256);
        break;
      case '--artifact-mib':
        o.artifactMib = int(flag, value(), 1, 65_536);
        break;
      case '--artifact-rounds':
        o.artifactRounds = int(flag, value(), 1, 20);
        break;
      case '--registry-versions':
        o.registryVersions = int(flag, value(), 1, 10_000_000);
        break;
      case '--registry-models':
        o.registryModels = int(flag, value(), 1, 100_000);
        break;
      case '--registrations':
        o.registrations = int(flag, value(), 1, 100_000);
        break;
      case '--governance-transitions':
        o.governanceTransitions = int(flag, value(), 1, 100_000);
        break;
      case '--audit-rows':
        o.auditRows = int(flag, value(), 1, 100_000_000);
        break;
      case '--webhook-receivers':
        o.webhookReceivers = int(flag, value(), 1, 1000);
        break;
      case '--webhook-promotions':
        o.webhookPromotions = int(flag, value(), 1, 10_000);
        break;
      case '--grpc-batches':
        o.grpcBatches = int(flag, value(), 1, 1_000_000);
        break;
      case '--grpc-rounds':
        o.grpcRounds = int(flag, value(), 1, 100);
        break;
      case '--grpc-target':
        o.grpcTarget = value();
        break;
      case '--grpc-client': {
        const v = value();
        if (v !== 'node' && v !== 'python') throw new UsageError(`--grpc-client must be node or python, got ${v}`);
        o.grpcClient = v;
        break;
      }
      case '--only': {
        const v = value();
        const workload = WORKLOADS.find((w) => w === v);
        if (!workload) throw new UsageError(`--only must be one of ${WORKLOADS.join(', ')}, got ${v}`);
        o.only = workload;
        break;
      }
      case '--peers': {
        const names = inline === undefined ? [...PEER_TARGETS] : inline.split(',');
        const unknown = names.filter((n) => !PEER_TARGETS.some((t) => t === n));
        if (unknown.length > 0 || names.length === 0)
          throw new UsageError(`--peers takes a list of ${PEER_TARGETS.join(', ')}, got ${inline}`);
        o.peers = PEER_TARGETS.filter((t) => names.includes(t));
        break;
      }
      case '--history-points':
        o.historyPoints = int(flag, value(), 1, 10_000_000);
        break;
      case '--history-page':
        o.historyPageSize = int(flag, value(), 1, 1_000_000);
        break;
      case '--history-reads':
        o.historyReads = int(flag, value(), 1, 100);
        break;
      case '--peers-rounds':
        o.peersRounds = int(flag, value(), 1, 9);
        break;
      case '--history-only':
        o.historyOnly = true;
        break;
      case '--auth': {
        const v = value();
        if (v !== 'off' && v !== 'basic' && v !== 'token')
          throw new UsageError(`--auth must be off, basic or token, got ${v}`);
        o.auth = v;
        break;
      }
      case '--time-limit':
        o.timeLimitSeconds = int(flag, value(), 1, 86_400);
        break;
      case '--request-timeout':
        o.requestTimeoutMs = int(flag, value(), 100, 3_600_000);
        break;
      case '--no-pin':
        o.pin = false;
        break;
      case '--no-fresh-db':
        o.freshDb = false;
        break;
      case '--keep-db':
        o.keepDb = true;
        break;
      case '--keep-data':
        o.keepData = true;
        break;
      case '--embedded-data':
        o.embeddedData = resolve(value());
        break;
      case '--no-analyze':
        o.analyze = false;
        break;
      case '--cpu-prof':
        o.cpuProf = true;
        break;
      case '--out':
        o.out = value();
        break;
      case '-h':
      case '--help':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new UsageError(`unknown option ${arg}`);
    }
  }
  if (o.peers) {
    if (o.url !== undefined || o.auth !== 'off' || o.port !== undefined)
      throw new UsageError('--peers starts its targets itself, without authentication: no --url, --auth or --port');
    if (o.only !== undefined && o.only !== 'search')
      throw new UsageError('--peers runs all its workloads, or with --only search the search alone');
    if (o.only === 'search' && o.historyOnly)
      throw new UsageError('--only search and --history-only exclude each other');
    if (!ingestBatchesGiven) o.ingestBatches = 400;
  } else if (o.historyOnly || o.peersRounds > 1)
    throw new UsageError('--history-only and --peers-rounds go with --peers');
  if (o.searchSeed === 'sql' && o.url !== undefined)
    throw new UsageError('--search-seed sql writes into the database of a shape the bench starts: not with --url');
  if (o.keys * o.steps > 1000) throw new UsageError('--keys x --steps must be at most 1000 (MLflow batch limit)');
  if (o.only === 'governance') {
    // Approvals need people: the requester never counts, and each approver must hold a role.
    if (o.auth === 'off') o.auth = 'basic';
  } else if (o.auth !== 'off' && o.only !== 'ingest' && o.only !== 'search') {
    throw new UsageError(
      '--auth measures the tracking and governance workloads: add --only ingest, search or governance',
    );
  }
  if (o.url !== undefined) {
    const u = new URL(o.url);
    if (u.protocol !== 'http:' || !isLoopback(u.hostname))
      throw new UsageError('--url must be http://127.0.0.1:PORT (loopback only)');
    o.url = `${u.protocol}//${u.host}`;
  }
  return o;
}

class UsageError extends Error {}

const WORKLOADS = ['ingest', 'search', 'artifacts', 'registry', 'governance', 'webhooks', 'grpc'] as const;
type Workload = (typeof WORKLOADS)[number];

const isLoopback = (host: string) => host === '127.0.0.1' || host === 'localhost' || host === '[::1]';

// ------------------------------------------------------------------------------------------ /proc sampling

let clockTicks = 100;

type ProcInfo = MeasuredProcess;

function machineBusySeconds(): number {
  const fields = (/^cpu\s+(.*)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1] ?? '').split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  const busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7];
  return busy / clockTicks;
}

/** CPU seconds of a process group: live members' own time plus what the root reaped from dead children. */
function cpuSeconds(pids: number[], includeReaped: number[] = []): number {
  let ticks = 0;
  for (const pid of pids) ticks += readStat(pid)?.ticks ?? 0;
  for (const pid of includeReaped) ticks += readStat(pid)?.childTicks ?? 0;
  return ticks / clockTicks;
}

/** Shared infrastructure seen from /proc: the Postgres cluster on the given port, the Kafka broker, S3Proxy. */
interface Infra {
  postmaster?: number;
  kafka?: number;
  s3proxy?: number;
}

function findInfra(pgPort: number | undefined): Infra {
  const infra: Infra = {};
  for (const pid of allPids()) {
    const cmd = cmdline(pid);
    if (infra.kafka === undefined && cmd.includes('kafka.Kafka ')) infra.kafka = pid;
    if (infra.s3proxy === undefined && cmd.includes('org.gaul.s3proxy.Main')) infra.s3proxy = pid;
    if (
      infra.postmaster === undefined &&
      pgPort !== undefined &&
      /\/postgres /.test(cmd) &&
      cmd.includes(`-p ${pgPort}`)
    ) {
      infra.postmaster = pid;
    }
  }
  return infra;
}

interface CpuSnapshot {
  at: number;
  /** Busy CPU seconds of the whole machine (all processes, kernel included), from /proc/stat. */
  machineBusy: number;
  logbook: Record<string, number>;
  postgres?: number;
  kafka?: number;
  s3proxy?: number;
  generator: number;
}

interface Sampler {
  procs: ProcInfo[];
  infra: Infra;
  cpu(): CpuSnapshot;
  /** Starts a new window of peak-RSS tracking; returns a function that closes it. */
  window(): () => {
    peakRssMb: Record<string, number>;
    /** Each process's highest RSS since it started (startup included), read when the window closes. */
    sinceStartPeakRssMb: Record<string, number>;
    kafkaPeakRssMb?: number;
    samples: number;
  };
  stop(): void;
}

function createSampler(procs: ProcInfo[], infra: Infra): Sampler {
  let peaks: Record<string, number> = {};
  let kafkaPeak = 0;
  let samples = 0;
  const sample = () => {
    samples++;
    for (const p of procs) {
      const kb = memoryKb(p);
      if (kb !== undefined) peaks[p.name] = Math.max(peaks[p.name] ?? 0, kb);
    }
    if (infra.kafka !== undefined) kafkaPeak = Math.max(kafkaPeak, readRssKb(infra.kafka) ?? 0);
  };
  const timer = setInterval(sample, 250);
  timer.unref();
  return {
    procs,
    infra,
    cpu() {
      const logbook: Record<string, number> = {};
      for (const p of procs)
        logbook[p.name] = p.withChildren ? cpuSeconds(processTree(p.pid), [p.pid]) : cpuSeconds([p.pid]);
      const usage = process.cpuUsage();
      return {
        at: performance.now(),
        machineBusy: machineBusySeconds(),
        logbook,
        postgres:
          infra.postmaster !== undefined ? cpuSeconds(processTree(infra.postmaster), [infra.postmaster]) : undefined,
        kafka: infra.kafka !== undefined ? cpuSeconds([infra.kafka]) : undefined,
        s3proxy: infra.s3proxy !== undefined ? cpuSeconds([infra.s3proxy]) : undefined,
        generator: (usage.user + usage.system) / 1e6,
      };
    },
    window() {
      peaks = {};
      kafkaPeak = 0;
      samples = 0;
      sample();
      return () => {
        sample();
        const mb: Record<string, number> = {};
        for (const [name, kb] of Object.entries(peaks)) mb[name] = Math.round(kb / 102.4) / 10;
        const sinceStart: Record<string, number> = {};
        for (const p of procs.filter((q) => !q.withChildren)) {
          const kb = readPeakRssKb(p.pid);
          if (kb !== undefined) sinceStart[p.name] = Math.round(kb / 102.4) / 10;
        }
        return {
          peakRssMb: mb,
          sinceStartPeakRssMb: sinceStart,
          ...(infra.kafka !== undefined ? { kafkaPeakRssMb: Math.round(kafkaPeak / 102.4) / 10 } : {}),
          samples,
        };
      };
    },
    stop: () => clearInterval(timer),
  };
}

interface CpuDelta {
  wallSeconds: number;
  /** Busy CPU seconds of the whole machine in the window, and what is left after ours (other users' load). */
  machineBusySeconds: number;
  otherSeconds: number;
  logbookSeconds: Record<string, number>;
  logbookTotalSeconds: number;
  postgresSeconds?: number;
  kafkaSeconds?: number;
  s3proxySeconds?: number;
  generatorSeconds: number;
}

function cpuDelta(a: CpuSnapshot, b: CpuSnapshot): CpuDelta {
  const r = (n: number) => Math.round(n * 100) / 100;
  const logbookSeconds: Record<string, number> = {};
  for (const name of Object.keys(b.logbook)) logbookSeconds[name] = r(b.logbook[name] - (a.logbook[name] ?? 0));
  const logbookTotal = Object.values(logbookSeconds).reduce((x, y) => x + y, 0);
  const ours =
    logbookTotal +
    (b.postgres ?? 0) -
    (a.postgres ?? 0) +
    (b.kafka ?? 0) -
    (a.kafka ?? 0) +
    (b.s3proxy ?? 0) -
    (a.s3proxy ?? 0) +
    b.generator -
    a.generator;
  return {
    wallSeconds: r((b.at - a.at) / 1000),
    machineBusySeconds: r(b.machineBusy - a.machineBusy),
    otherSeconds: r(Math.max(0, b.machineBusy - a.machineBusy - ours)),
    logbookSeconds,
    logbookTotalSeconds: r(logbookTotal),
    ...(a.postgres !== undefined && b.postgres !== undefined ? { postgresSeconds: r(b.postgres - a.postgres) } : {}),
    ...(a.kafka !== undefined && b.kafka !== undefined ? { kafkaSeconds: r(b.kafka - a.kafka) } : {}),
    ...(a.s3proxy !== undefined && b.s3proxy !== undefined ? { s3proxySeconds: r(b.s3proxy - a.s3proxy) } : {}),
    generatorSeconds: r(b.generator - a.generator),
  };
}

// ------------------------------------------------------------------------------------------ server lifecycle

interface Server {
  url: string;
  /** peer: MLflow or FastTrackML, started by peers.ts. */
  shape: Options['shape'] | 'attached' | 'peer';
  /** Which peer, for a peer. */
  peer?: Peer;
  stateDir?: string;
  databaseUrl?: string;
  freshDatabase?: string;
  adminDatabaseUrl?: string;
  procs: ProcInfo[];
  pgPort?: number;
  /** The environment and port it was started with: the embedded shape is started again after a seeding. */
  started?: { env: NodeJS.ProcessEnv; port: number };
  /** Distributed: the store the artifacts service writes to, and the key prefix it was given. */
  s3?: S3Settings;
  s3Prefix?: string;
}

function parseEnvFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^export ([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) env[match[1]] = match[2].replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1');
  }
  return env;
}

/** DATABASE_URL and KAFKA_BROKERS from the environment, else from the local infrastructure (started if needed). */
function infraEnvironment(): { DATABASE_URL: string; KAFKA_BROKERS: string } {
  let env: Record<string, string | undefined> = process.env;
  if (!env.DATABASE_URL || !env.KAFKA_BROKERS) {
    log('DATABASE_URL/KAFKA_BROKERS not set: bash deploy/local/infra.sh up (may take minutes the first time)');
    const up = run('bash', [`${REPO}/deploy/local/infra.sh`, 'up'], process.env, 20 * 60_000);
    if (up.code !== 0) throw new BenchError(`deploy/local/infra.sh up failed:\n${up.stderr.slice(-2000)}`);
    env = {
      ...parseEnvFile(`${REPO}/.logbook/infra/env`),
      ...Object.fromEntries(Object.entries(env).filter(([, v]) => v)),
    };
  }
  const databaseUrl = env.DATABASE_URL as string;
  const brokers = env.KAFKA_BROKERS as string;
  if (!databaseUrl || !brokers) throw new BenchError('DATABASE_URL/KAFKA_BROKERS still unknown after infra.sh up');
  if (!isLoopback(new URL(databaseUrl).hostname))
    throw new BenchError(`DATABASE_URL must point at 127.0.0.1, got ${databaseUrl}`);
  for (const broker of brokers.split(',')) {
    if (!isLoopback(broker.split(':')[0]))
      throw new BenchError(`KAFKA_BROKERS must point at 127.0.0.1, got ${brokers}`);
  }
  return { DATABASE_URL: databaseUrl, KAFKA_BROKERS: brokers };
}

/**
 * The S3 store of the distributed shape: S3_* from the environment when S3_ENDPOINT is set, else from
 * the local infrastructure's env file. Undefined when neither names a complete store.
 */
function s3Environment(): S3Settings | undefined {
  const file = `${REPO}/.logbook/infra/env`;
  const env: Record<string, string | undefined> = process.env.S3_ENDPOINT
    ? process.env
    : existsSync(file)
      ? parseEnvFile(file)
      : {};
  const { S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET } = env;
  if (!S3_ENDPOINT || !S3_ACCESS_KEY || !S3_SECRET_KEY || !S3_BUCKET) return undefined;
  if (!isLoopback(new URL(S3_ENDPOINT).hostname))
    throw new BenchError(`S3_ENDPOINT must point at 127.0.0.1, got ${S3_ENDPOINT}`);
  return {
    endpoint: S3_ENDPOINT,
    region: env.S3_REGION || 'us-east-1',
    bucket: S3_BUCKET,
    accessKeyId: S3_ACCESS_KEY,
    secretAccessKey: S3_SECRET_KEY,
  };
}

let activeServer: Server | undefined;

async function startServer(o: Options, stamp: string): Promise<Server> {
  const gateway = `${REPO}/dist/services/gateway/src/main.js`;
  if (!existsSync(gateway)) throw new BenchError(`${gateway} is missing: run npm run build:test (npm run bench does)`);
  const stateDir = `${REPO}/.logbook/bench/${stamp}-${o.shape}`;
  mkdirSync(stateDir, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' };
  if (o.cpuProf) {
    // Node 20 rejects --cpu-prof in NODE_OPTIONS; a preload starts the profiler instead.
    env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --require ${__dirname}/cpu-profile.js`.trim();
    env.LOGBOOK_CPU_PROF_DIR = `${stateDir}/prof`;
  }
  const server: Server = { url: '', shape: o.shape, stateDir, procs: [] };
  activeServer = server; // from here on, a failure stops whatever was started and drops the fresh database
  if (o.shape === 'distributed') {
    const infra = infraEnvironment();
    env.KAFKA_BROKERS = infra.KAFKA_BROKERS;
    server.pgPort = Number(new URL(infra.DATABASE_URL).port || 5432);
    server.databaseUrl = infra.DATABASE_URL;
    if (o.freshDb) {
      if (!havePsql()) throw new BenchError('psql is needed to create a fresh database (or pass --no-fresh-db)');
      const name = `logbook_bench_${stamp.replace(/\D/g, '')}`;
      psql(infra.DATABASE_URL, `CREATE DATABASE ${name}`);
      const fresh = new URL(infra.DATABASE_URL);
      fresh.pathname = `/${name}`;
      server.freshDatabase = name;
      server.adminDatabaseUrl = infra.DATABASE_URL;
      server.databaseUrl = fresh.toString();
    }
    env.DATABASE_URL = server.databaseUrl;
    // The services use this database, which the bench reads (and drops when it made it), not one of shapes.sh's own.
    env.SHAPE_DATABASE = 'given';
    // Each bench run has its own database, so the relay starts from an empty outbox and a new client id.
    env.LOGBOOK_KAFKA_CLIENT_ID = `logbook-bench-${stamp.replace(/\D/g, '')}`;
    // The artifacts service stores in S3 (the local infrastructure's S3Proxy), under a prefix of its own.
    const s3 = s3Environment();
    if (!s3)
      throw new BenchError('S3_ENDPOINT/S3_ACCESS_KEY/S3_SECRET_KEY/S3_BUCKET unknown (env or .logbook/infra/env)');
    server.s3 = s3;
    server.s3Prefix = `bench-${stamp.replace(/\D/g, '')}/`;
    Object.assign(env, {
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: s3.region,
      S3_BUCKET: s3.bucket,
      S3_ACCESS_KEY: s3.accessKeyId,
      S3_SECRET_KEY: s3.secretAccessKey,
      S3_PREFIX: server.s3Prefix,
    });
  }
  if (o.only === 'webhooks') {
    Object.assign(env, {
      MLFLOW_WEBHOOK_ALLOWED_SCHEMES: 'http',
      LOGBOOK_WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8',
      MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY: randomBytes(32).toString('base64url') + '=',
    });
  }
  if (o.auth !== 'off') {
    Object.assign(env, {
      LOGBOOK_AUTH: o.auth === 'token' ? 'basic,token' : 'basic',
      LOGBOOK_ADMIN_USERNAME: BENCH_ADMIN[0],
      LOGBOOK_ADMIN_PASSWORD: BENCH_ADMIN[1],
      LOGBOOK_GATEWAY_KEY: randomBytes(32).toString('hex'),
    });
    // The governance workload's requester and approvers work on models they did not create.
    if (o.only === 'governance') env.LOGBOOK_DEFAULT_PERMISSION = 'EDIT';
  }
  if (o.shape === 'embedded' && o.embeddedData) {
    mkdirSync(o.embeddedData, { recursive: true });
    symlinkSync(o.embeddedData, `${stateDir}/data`);
  }
  const port = await choosePort(o.port, o.shape === 'distributed' ? 4 : 1);
  log(`starting Logbook (${o.shape}) on 127.0.0.1:${port}, state in ${stateDir}`);
  const start = run('bash', [`${REPO}/test/support/shapes.sh`, 'start', o.shape, String(port), stateDir], env, 180_000);
  if (start.code !== 0) throw new BenchError(`shapes.sh start ${o.shape} failed:\n${start.stderr.slice(-3000)}`);
  server.url = start.stdout.trim().split('\n').pop() as string;
  server.started = { env, port };
  const pids = readFileSync(`${stateDir}/pids`, 'utf8').split('\n').filter(Boolean).map(Number);
  // shapes.sh writes the pids in start order.
  const names = o.shape === 'distributed' ? ['tracking', 'artifacts', 'registry', 'gateway'] : ['gateway(embedded)'];
  server.procs = pids.map((pid, i) => ({ pid, name: names[i] ?? `pid${pid}` }));
  if (o.shape === 'embedded') server.procs.push(...embeddedPostgres(pids[0]));
  return server;
}

/** The embedded process's Postgres server (none when it runs PGlite), measured with its backends. */
function embeddedPostgres(embeddedPid: number): ProcInfo[] {
  const postmaster = processTree(embeddedPid).find((pid) => pid !== embeddedPid && /\/postgres -D /.test(cmdline(pid)));
  return postmaster === undefined ? [] : [{ pid: postmaster, name: 'postgres(embedded)', withChildren: true }];
}

function stopServer(server: Server, o: Options): void {
  if (server.shape === 'attached' || !server.stateDir) return;
  log('stopping Logbook');
  run('bash', [`${REPO}/test/support/shapes.sh`, 'stop', server.stateDir], process.env, 60_000);
  if (server.freshDatabase && server.adminDatabaseUrl && !o.keepDb) {
    try {
      psql(server.adminDatabaseUrl, `DROP DATABASE IF EXISTS ${server.freshDatabase} WITH (FORCE)`, 120_000);
    } catch (error) {
      log(`could not drop ${server.freshDatabase}: ${(error as Error).message}`);
    }
  }
  if (server.shape === 'embedded' && !o.keepData && !o.embeddedData && existsSync(`${server.stateDir}/data`)) {
    rmSync(`${server.stateDir}/data`, { recursive: true, force: true });
  }
}

function pinSelf(cpu: number): string {
  const result = run('taskset', ['-a', '-c', '-p', String(cpu), String(process.pid)], process.env, 10_000);
  return result.code === 0 ? `pinned to CPU ${cpu}` : `not pinned (taskset: ${result.stderr.trim() || 'failed'})`;
}

// ------------------------------------------------------------------------------------------ workload 1: ingest

const METRIC_KEYS = [
  'loss',
  'accuracy',
  'val_loss',
  'val_accuracy',
  'learning_rate',
  'grad_norm',
  'throughput',
  'epoch_time',
  'gpu_util',
  'memory_gb',
];

const metricKey = (k: number) => (k < METRIC_KEYS.length ? METRIC_KEYS[k] : `metric_${k}`);

/** The value of (run, key, step): a decaying curve with deterministic noise, full double precision. */
function metricValue(run: number, key: number, step: number): number {
  const noise = Math.sin(run * 12.9898 + key * 78.233 + step * 37.719) * 43758.5453;
  return (key + 1) * Math.exp(-step / 2000) + 0.05 * (noise - Math.floor(noise));
}

interface IngestPlan {
  runIds: string[];
  keys: number;
  steps: number;
  baseTs: number;
}

const stepTimestamp = (plan: IngestPlan, run: number, step: number) => plan.baseTs + run * 7 + step * 250;

/** Batch k of a run: steps [k*steps, (k+1)*steps), every key at each step, as a training loop logs them. */
function batchBody(plan: IngestPlan, run: number, k: number, runId: string): string {
  const metrics: Array<{ key: string; value: number; timestamp: number; step: number }> = [];
  for (let s = 0; s < plan.steps; s++) {
    const step = k * plan.steps + s;
    const timestamp = stepTimestamp(plan, run, step);
    for (let key = 0; key < plan.keys; key++)
      metrics.push({ key: metricKey(key), value: metricValue(run, key, step), timestamp, step });
  }
  return JSON.stringify({ run_id: runId, metrics });
}

interface IngestResult {
  runs: number;
  clients: number;
  batchesPlanned: number;
  batchesSent: number;
  batchesOk: number;
  pointsPerBatch: number;
  pointsOk: number;
  requestBytes: number;
  wallSeconds: number;
  pointsPerSecond: number;
  latencyMs: LatencyStats;
  /** Points/s per full 5-second window of the run: how steady the rate was. */
  windows: { seconds: number; count: number; min: number; median: number; max: number };
  errors: { total: number; byStatus: Record<string, number>; samples: string[] };
  truncatedByTimeLimit: boolean;
  cpu?: CpuDelta & { logbookCpuSecondsPer1kPoints: number; allServerCpuSecondsPer1kPoints?: number };
  memory?: ReturnType<ReturnType<Sampler['window']>>;
  relay?: { backlogAtEnd: number; drainSeconds: number; drained: boolean; backlogAfterCap: number; blockedBy?: string };
  /** Points over HTTP wall time plus the time the relay needed to put the backlog on Kafka. */
  pointsPerSecondIncludingRelay?: number;
  storage?: Record<string, number>;
  verification: { runsChecked: number; historiesChecked: number; failures: string[] };
}

async function ingestWorkload(
  client: Client,
  o: Options,
  sampler: Sampler | undefined,
  server: Server,
  stamp: string,
): Promise<IngestResult> {
  const deadlineFor = () => performance.now() + o.timeLimitSeconds * 1000;
  const { experiment_id: experimentId } = await client.json<{ experiment_id: string }>(
    'POST',
    '/api/2.0/mlflow/experiments/create',
    {
      name: `bench-ingest-${stamp}`,
    },
  );
  log(`ingest: creating ${o.runs} runs in experiment ${experimentId}`);
  const runIds: string[] = new Array(o.runs);
  const baseTs = Date.now() - 3_600_000;
  const created = await pool(o.runs, o.clients, deadlineFor(), async (i) => {
    const r = await client.json<{ run: { info: { run_id: string } } }>('POST', '/api/2.0/mlflow/runs/create', {
      experiment_id: experimentId,
      run_name: `ingest-${i}`,
      start_time: baseTs + i,
    });
    runIds[i] = r.run.info.run_id;
  });
  if (created < o.runs) throw new BenchError(`ingest: only ${created} of ${o.runs} runs created within the time limit`);
  const plan: IngestPlan = { runIds, keys: o.keys, steps: o.steps, baseTs };

  if (o.warmupBatches > 0) {
    const warm = await client.json<{ run: { info: { run_id: string } } }>('POST', '/api/2.0/mlflow/runs/create', {
      experiment_id: experimentId,
      run_name: 'ingest-warmup',
    });
    log(`ingest: ${o.warmupBatches} warm-up batches (not timed)`);
    await pool(o.warmupBatches, o.clients, deadlineFor(), async (k) => {
      await client.send('POST', '/api/2.0/mlflow/runs/log-batch', batchBody(plan, o.runs, k, warm.run.info.run_id));
    });
  }

  const pointsPerBatch = o.keys * o.steps;
  const okBatches: Set<number>[] = runIds.map(() => new Set<number>());
  const latencies: number[] = [];
  const errors = new ErrorLog();
  const completions: number[] = [];
  let bytes = 0;
  let sent = 0;
  log(`ingest: ${o.ingestBatches} batches x ${pointsPerBatch} points, ${o.clients} clients, ${o.runs} runs`);
  await sleep(300); // let the warm-up's relay work settle before the window opens
  const closeWindow = sampler?.window();
  const cpuBefore = sampler?.cpu();
  const t0 = performance.now();
  const deadline = t0 + o.timeLimitSeconds * 1000;
  await pool(o.ingestBatches, o.clients, deadline, async (i) => {
    const run = i % o.runs;
    const k = Math.floor(i / o.runs);
    const body = batchBody(plan, run, k, runIds[run]);
    bytes += body.length;
    sent++;
    const reply = await client.send('POST', '/api/2.0/mlflow/runs/log-batch', body);
    latencies.push(reply.ms);
    if (reply.status === 200) {
      okBatches[run].add(k);
      completions.push(performance.now() - t0);
    } else errors.add(`log-batch run ${run} batch ${k}`, reply);
  });
  const wall = (performance.now() - t0) / 1000;
  const cpuAfter = sampler?.cpu();
  const memory = closeWindow?.();
  const batchesOk = okBatches.reduce((n, s) => n + s.size, 0);
  const pointsOk = batchesOk * pointsPerBatch;
  const result: IngestResult = {
    runs: o.runs,
    clients: o.clients,
    batchesPlanned: o.ingestBatches,
    batchesSent: sent,
    batchesOk,
    pointsPerBatch,
    pointsOk,
    requestBytes: bytes,
    wallSeconds: Math.round(wall * 1000) / 1000,
    pointsPerSecond: Math.round(pointsOk / wall),
    latencyMs: latencyStats(latencies),
    windows: throughputWindows(completions, pointsPerBatch, wall),
    errors: { total: errors.total, byStatus: errors.byStatus, samples: errors.samples },
    truncatedByTimeLimit: sent < o.ingestBatches,
    memory,
    verification: { runsChecked: 0, historiesChecked: 0, failures: [] },
  };
  if (cpuBefore && cpuAfter) {
    const d = cpuDelta(cpuBefore, cpuAfter);
    const per1k = (s: number) => Math.round((s / Math.max(pointsOk / 1000, 1e-9)) * 10_000) / 10_000;
    const allServer = d.logbookTotalSeconds + (d.postgresSeconds ?? 0) + (d.kafkaSeconds ?? 0);
    result.cpu = {
      ...d,
      logbookCpuSecondsPer1kPoints: per1k(d.logbookTotalSeconds),
      ...(server.shape === 'distributed' ? { allServerCpuSecondsPer1kPoints: per1k(allServer) } : {}),
    };
  }
  if (server.shape === 'distributed' && server.databaseUrl && havePsql()) {
    result.relay = await relayDrain(server.databaseUrl, 120);
    if (result.relay?.drained)
      result.pointsPerSecondIncludingRelay = Math.round(pointsOk / (wall + result.relay.drainSeconds));
    result.storage = storage(server.databaseUrl);
  }
  result.verification = await verifyIngest(client, plan, okBatches, o);
  return result;
}

function throughputWindows(completionsMs: number[], pointsPerBatch: number, wallSeconds: number) {
  const seconds = 5;
  const full = Math.floor(wallSeconds / seconds);
  const buckets = new Array<number>(full).fill(0);
  for (const ms of completionsMs) {
    const b = Math.floor(ms / 1000 / seconds);
    if (b < full) buckets[b] += pointsPerBatch / seconds;
  }
  const sorted = [...buckets].sort((a, b) => a - b);
  return {
    seconds,
    count: full,
    min: Math.round(sorted[0] ?? NaN),
    median: Math.round(percentile(sorted, 50)),
    max: Math.round(sorted[full - 1] ?? NaN),
  };
}

const RELAY_BACKLOG_SQL = `SELECT count(*) FROM tracking.events e
  WHERE (e.transaction_id, e.global_position) >
        COALESCE((SELECT (c.transaction_id, c.global_position) FROM tracking.checkpoints c WHERE c.name = 'relay'), ('0'::xid8, 0::bigint))`;

/**
 * The relay publishes only transactions older than pg_snapshot_xmin, which is cluster-wide: any
 * transaction left open in any database of the cluster holds every relay back. Name it.
 */
const OLDEST_XMIN_SQL = `SELECT pid || ' db=' || datname || ' state=' || coalesce(state, '?') || ' age=' ||
    coalesce(extract(epoch FROM now() - xact_start)::int, 0) || 's query=' || left(regexp_replace(query, '\\s+', ' ', 'g'), 60)
  FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()
  ORDER BY xact_start LIMIT 1`;

/** Distributed shape: how many committed events the outbox relay had not yet put on Kafka, and how long it took to catch up. */
async function relayDrain(databaseUrl: string, capSeconds: number): Promise<IngestResult['relay']> {
  const t0 = performance.now();
  const backlogAtEnd = Number(psql(databaseUrl, RELAY_BACKLOG_SQL));
  let backlog = backlogAtEnd;
  while (backlog > 0 && performance.now() - t0 < capSeconds * 1000) {
    await sleep(250);
    backlog = Number(psql(databaseUrl, RELAY_BACKLOG_SQL));
  }
  const drained = backlog === 0;
  const drainSeconds = drained ? Math.round((performance.now() - t0) / 10) / 100 : NaN;
  let blockedBy: string | undefined;
  if (!drained) {
    blockedBy = psql(databaseUrl, OLDEST_XMIN_SQL) || undefined;
    log(
      `ingest: relay still ${backlog} events behind after ${capSeconds} s; oldest open transaction: ${blockedBy ?? 'none'}`,
    );
  } else if (backlogAtEnd > 0) {
    log(`ingest: relay backlog ${backlogAtEnd} events at the end, drained in ${fmt(drainSeconds, 2)} s`);
  }
  return { backlogAtEnd, drainSeconds, drained, backlogAfterCap: backlog, ...(blockedBy ? { blockedBy } : {}) };
}

function storage(databaseUrl: string): Record<string, number> {
  const rows = psql(
    databaseUrl,
    `SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'tracking' AND c.relkind = 'r' AND c.relname IN ('metrics', 'latest_metrics', 'events', 'streams')`,
  );
  const out: Record<string, number> = {};
  for (const line of rows.split('\n').filter(Boolean)) {
    const [name, size] = line.split('|');
    out[`${name}Bytes`] = Number(size);
  }
  return out;
}

async function verifyIngest(client: Client, plan: IngestPlan, okBatches: Set<number>[], o: Options) {
  const failures: string[] = [];
  const fail = (message: string) => {
    if (failures.length < 20) failures.push(message);
  };
  const sample =
    o.verifyRuns >= plan.runIds.length
      ? plan.runIds.map((_, i) => i)
      : Array.from({ length: o.verifyRuns }, (_, i) => Math.floor((i * plan.runIds.length) / o.verifyRuns));
  let histories = 0;
  for (const run of sample) {
    const runId = plan.runIds[run];
    const batches = okBatches[run];
    const lastStep = batches.size === 0 ? -1 : Math.max(...batches) * plan.steps + plan.steps - 1;
    const got = await client.json<{
      run: { data: { metrics?: Array<{ key: string; value: number; timestamp: number; step: number }> } };
    }>('GET', `/api/2.0/mlflow/runs/get?run_id=${runId}`);
    const latest = new Map((got.run.data.metrics ?? []).map((m) => [m.key, m]));
    for (let key = 0; key < plan.keys; key++) {
      const name = metricKey(key);
      const m = latest.get(name);
      if (lastStep < 0) {
        if (m) fail(`run ${run}: ${name} present although no batch succeeded`);
        continue;
      }
      const expected = {
        value: metricValue(run, key, lastStep),
        timestamp: stepTimestamp(plan, run, lastStep),
        step: lastStep,
      };
      if (!m || m.step !== expected.step || m.timestamp !== expected.timestamp || m.value !== expected.value) {
        fail(`run ${run} latest ${name}: got ${JSON.stringify(m)}, expected ${JSON.stringify(expected)}`);
      }
      const history = await client.json<{ metrics?: Array<{ value: number; timestamp: number; step: number }> }>(
        'GET',
        `/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=${encodeURIComponent(name)}`,
      );
      histories++;
      const points = history.metrics ?? [];
      const expectedCount = batches.size * plan.steps;
      if (points.length !== expectedCount) {
        fail(`run ${run} history ${name}: ${points.length} points, expected ${expectedCount}`);
        continue;
      }
      const wrong = points.find(
        (p) => p.value !== metricValue(run, key, p.step) || p.timestamp !== stepTimestamp(plan, run, p.step),
      );
      if (wrong) fail(`run ${run} history ${name}: point ${JSON.stringify(wrong)} does not match what was sent`);
      if (new Set(points.map((p) => p.step)).size !== points.length)
        fail(`run ${run} history ${name}: duplicate steps`);
    }
  }
  return { runsChecked: sample.length, historiesChecked: histories, failures };
}

// ------------------------------------------------------------------------------------------ workload 2: search

/** A search's filter, and which of the workload's runs it matches. */
interface SearchQuery {
  filter: string;
  matches(run: SearchRun): boolean;
}

const W2_QUERY: SearchQuery = {
  filter: "metrics.loss < 0.5 and params.lr = '0.01'",
  matches: (r) => r.loss < 0.5 && r.lr === '0.01',
};

/** --peers: W2's filter and a tag's (issue 15 asks for a metric, a param and a tag). */
const PEERS_QUERY: SearchQuery = {
  filter: `${W2_QUERY.filter} and tags.team = 'vision'`,
  matches: (r) => W2_QUERY.matches(r) && teamOf(r.index) === 'vision',
};
const SEARCH_ORDER = ['metrics.acc DESC'];
const SEARCH_MAX_RESULTS = 100;

interface SearchRun extends SearchRunValues {
  runId?: string;
}

interface SearchResult {
  runs: number;
  runsCreated: number;
  matching: number;
  setup: {
    wallSeconds: number;
    runsPerSecond: number;
    requestLatencyMs: LatencyStats;
    errors: { total: number; byStatus: Record<string, number>; samples: string[] };
  };
  analyzed: boolean;
  query: { filter: string; order_by: string[]; max_results: number };
  sequential: LatencyStats & { requestsPerSecond: number };
  concurrent: LatencyStats & { readers: number; requestsPerSecond: number };
  errors: { total: number; byStatus: Record<string, number>; samples: string[] };
  resultBytes: number;
  cpu?: CpuDelta;
  memory?: ReturnType<ReturnType<Sampler['window']>>;
  verification: { checked: number; failures: string[] };
}

/** Creates the search runs: each one runs/create with 2 tags, then one log-batch with 3 params and 5 metrics. */
async function seedSearchRuns(
  client: Client,
  o: Options,
  experimentId: string,
  runs: SearchRun[],
  setupErrors: ErrorLog,
  setupLatencies: number[],
): Promise<void> {
  log(
    `search: creating ${o.searchRuns} runs (3 params, 2 tags, 5 metrics each) in experiment ${experimentId}, ${o.setupConcurrency} concurrent`,
  );
  const t0 = performance.now();
  let progressAt = t0;
  let made = 0;
  await pool(o.searchRuns, o.setupConcurrency, t0 + o.timeLimitSeconds * 1000, async (i) => {
    const r = runs[i];
    const requests = searchRunRequests(r);
    const create = await client.send('POST', '/api/2.0/mlflow/runs/create', {
      experiment_id: experimentId,
      ...requests.create,
    });
    setupLatencies.push(create.ms);
    if (create.status !== 200) return setupErrors.add(`runs/create ${i}`, create);
    const runId = (JSON.parse(create.body) as { run: { info: { run_id: string } } }).run.info.run_id;
    const batch = await client.send('POST', '/api/2.0/mlflow/runs/log-batch', { run_id: runId, ...requests.batch });
    setupLatencies.push(batch.ms);
    if (batch.status !== 200) return setupErrors.add(`log-batch ${i}`, batch);
    r.runId = runId;
    made++;
    if (performance.now() - progressAt > 10_000) {
      progressAt = performance.now();
      log(`search: ${made} runs created (${fmt(made / ((progressAt - t0) / 1000))} runs/s)`);
    }
  });
}

/** The runs an earlier bench run seeded into this experiment, matched to the PRNG's values by their names. */
async function readSeededRuns(client: Client, experimentId: string, runs: SearchRun[]): Promise<void> {
  let pageToken: string | undefined;
  do {
    const page = await client.json<{
      runs?: Array<{ info: { run_id: string; run_name: string } }>;
      next_page_token?: string;
    }>('POST', '/api/2.0/mlflow/runs/search', {
      experiment_ids: [experimentId],
      max_results: 50_000,
      ...(pageToken ? { page_token: pageToken } : {}),
    });
    for (const { info } of page.runs ?? []) {
      const run = runs[Number(info.run_name.slice('search-'.length))];
      if (run) run.runId = info.run_id;
    }
    pageToken = page.next_page_token;
  } while (pageToken);
  const found = runs.filter((r) => r.runId).length;
  if (found !== runs.length)
    throw new BenchError(`the search experiment holds ${found} of the ${runs.length} runs asked for`);
}

/**
 * --search-seed sql: the runs written into the tracking database (search-seed.ts), then a wait until the
 * relay has published their events and the services that follow runs have applied them, so that the
 * timed searches share the machine with nothing the seeding left behind.
 */
async function seedSearchRunsBySql(
  client: Client,
  o: Options,
  server: Server,
  experimentId: string,
  runs: SearchRun[],
): Promise<void> {
  const ids = await withServerDatabase(server, 'search', (db) => seedSearchRunsSql(db, experimentId, runs));
  for (const r of runs) r.runId = ids.get(r.index);
  const t0 = performance.now();
  let reportedAt = t0;
  for (;;) {
    const behind = await followersBehind(client, server, experimentId, runs.length);
    if (behind === undefined) break;
    if (performance.now() - t0 > o.timeLimitSeconds * 1000)
      throw new BenchError(`search seed: still waiting after ${o.timeLimitSeconds} s for ${behind}`);
    if (performance.now() - reportedAt > 15_000) {
      reportedAt = performance.now();
      log(`search: waiting for ${behind}`);
    }
    await sleep(1000);
  }
  log(`search: the seeded runs' events were published and followed in ${fmt((performance.now() - t0) / 1000, 1)} s`);
}

/** --peers --search-seed sql: MLflow's runs written into its database by its store's tables (search-seed.ts). */
async function seedSearchRunsInMlflowStore(
  server: Server,
  experimentId: string,
  runs: SearchRun[],
  stamp: string,
): Promise<void> {
  if (!server.databaseUrl) throw new BenchError('search seed: MLflow has no database to write into');
  const workDir = `${REPO}/.logbook/bench/${stamp}-mlflow`;
  mkdirSync(workDir, { recursive: true });
  const ids = await seedSearchRunsInMlflow(
    `${PEERS_VENV}/bin/python`,
    mlflowStoreUri(server.databaseUrl),
    experimentId,
    runs,
    workDir,
  );
  for (const r of runs) r.runId = ids.get(r.index);
}

/**
 * What has not yet followed the seeded runs, or undefined when all has. Distributed: the outbox relay's backlog,
 * then the artifacts service's owners and the registry's lineage of the experiment's runs (each RunCreated,
 * and each run's params from its RunDataLoggedSummary). Embedded: its in-process subscriptions' backlogs.
 */
async function followersBehind(
  client: Client,
  server: Server,
  experimentId: string,
  runs: number,
): Promise<string | undefined> {
  if (server.shape === 'distributed' && server.databaseUrl) {
    const backlog = Number(psql(server.databaseUrl, RELAY_BACKLOG_SQL));
    if (backlog > 0) return `the relay (${fmt(backlog)} events to publish)`;
    const [owners, lineageRuns, lineageParams] = psql(
      server.databaseUrl,
      `SELECT (SELECT count(*) FROM artifacts.owners WHERE experiment_id = '${experimentId}') || ' ' ||
              (SELECT count(*) FROM registry.lineage_runs WHERE experiment_id = '${experimentId}') || ' ' ||
              (SELECT count(*) FROM registry.lineage_run_params p JOIN registry.lineage_runs r USING (run_id)
               WHERE r.experiment_id = '${experimentId}')`,
    )
      .split(' ')
      .map(Number);
    if (owners < runs) return `the artifacts service (${fmt(owners)} of ${fmt(runs)} runs)`;
    if (lineageRuns < runs || lineageParams < 3 * runs)
      return `the registry's lineage (${fmt(lineageRuns)} runs, ${fmt(lineageParams)} of ${fmt(3 * runs)} params)`;
    return undefined;
  }
  const metrics = await client.send('GET', '/metrics');
  if (metrics.status !== 200) return `/metrics (answered ${metrics.status})`;
  const pending = [...metrics.body.matchAll(/^logbook_relay_pending_events\{relay="([^"]+)"\} (\d+)/gm)];
  if (pending.length === 0) return 'the subscriptions to report their backlogs';
  const behind = pending.filter(([, , count]) => Number(count) > 0);
  return behind.length > 0
    ? behind.map(([, relay, count]) => `${relay} (${fmt(Number(count))})`).join(', ')
    : undefined;
}

async function searchWorkload(
  client: Client,
  o: Options,
  sampler: Sampler | undefined,
  server: Server,
  stamp: string,
  query: SearchQuery = W2_QUERY,
): Promise<SearchResult> {
  const name = o.searchExperiment ?? `bench-search-${stamp}`;
  const existing = await client.send(
    'GET',
    `/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`,
  );
  const experimentId =
    existing.status === 200
      ? (JSON.parse(existing.body) as { experiment: { experiment_id: string } }).experiment.experiment_id
      : (await client.json<{ experiment_id: string }>('POST', '/api/2.0/mlflow/experiments/create', { name }))
          .experiment_id;
  const random = prng(20261127);
  const baseTs = Date.now() - 86_400_000;
  const LRS = ['0.1', '0.01', '0.001'];
  const runs: SearchRun[] = Array.from({ length: o.searchRuns }, (_, index) => ({
    index,
    startTime: baseTs + index * 1000,
    lr: LRS[Math.floor(random() * LRS.length)],
    loss: random(),
    acc: random(),
  }));
  const setupErrors = new ErrorLog();
  const setupLatencies: number[] = [];
  const t0 = performance.now();
  if (existing.status === 200) await readSeededRuns(client, experimentId, runs);
  else if (o.searchSeed === 'sql' && server.peer === 'mlflow')
    await seedSearchRunsInMlflowStore(server, experimentId, runs, stamp);
  else if (o.searchSeed === 'sql' && server.shape !== 'peer')
    await seedSearchRunsBySql(client, o, server, experimentId, runs);
  else await seedSearchRuns(client, o, experimentId, runs, setupErrors, setupLatencies);
  const setupWall = (performance.now() - t0) / 1000;
  const created = runs.filter((r) => r.runId);
  log(`search: ${created.length} runs ${existing.status === 200 ? 'found' : 'created'} in ${fmt(setupWall, 1)} s`);
  const expected = created
    .filter(query.matches)
    .sort((a, b) => b.acc - a.acc || b.startTime - a.startTime || (a.runId as string).localeCompare(b.runId as string));

  let analyzed = false;
  if (o.analyze && server.databaseUrl && havePsql()) {
    log('search: VACUUM ANALYZE (fairness rule: before read workloads)');
    psql(server.databaseUrl, 'VACUUM ANALYZE');
    analyzed = true;
  }

  const request = {
    experiment_ids: [experimentId],
    filter: query.filter,
    order_by: SEARCH_ORDER,
    max_results: SEARCH_MAX_RESULTS,
  };
  const failures: string[] = [];
  const errors = new ErrorLog();
  let checked = 0;
  let resultBytes = 0;
  const check = (body: string) => {
    checked++;
    resultBytes = body.length;
    const page = JSON.parse(body) as { runs?: Array<{ info: { run_id: string } }>; next_page_token?: string };
    const got = (page.runs ?? []).map((r) => r.info.run_id);
    const want = expected.slice(0, SEARCH_MAX_RESULTS).map((r) => r.runId as string);
    if (got.length !== want.length || got.some((id, i) => id !== want[i])) {
      const at = got.findIndex((id, i) => id !== want[i]);
      if (failures.length < 10)
        failures.push(
          `search returned ${got.length} runs (expected ${want.length}); first difference at position ${at}`,
        );
    }
    if (expected.length > SEARCH_MAX_RESULTS !== Boolean(page.next_page_token)) {
      if (failures.length < 10)
        failures.push(
          `next_page_token ${page.next_page_token ? 'present' : 'absent'} with ${expected.length} matching runs`,
        );
    }
  };
  const timedSearch = async (latencies: number[]) => {
    const reply = await client.send('POST', '/api/2.0/mlflow/runs/search', request);
    latencies.push(reply.ms);
    if (reply.status !== 200) errors.add('runs/search', reply);
    else if (checked < 5 || Math.random() < 0.1) check(reply.body);
  };

  log(`search: 3 warm-up queries, then ${o.searchReps} sequential and ${o.searchReaders} x ${o.searchReps} concurrent`);
  const warm: number[] = [];
  for (let i = 0; i < 3; i++) await timedSearch(warm);
  const closeWindow = sampler?.window();
  const cpuBefore = sampler?.cpu();
  const sequential: number[] = [];
  const seqStart = performance.now();
  const deadline = seqStart + o.timeLimitSeconds * 1000;
  for (let i = 0; i < o.searchReps && performance.now() < deadline; i++) await timedSearch(sequential);
  const seqWall = (performance.now() - seqStart) / 1000;
  const concurrent: number[] = [];
  const conStart = performance.now();
  await pool(o.searchReps * o.searchReaders, o.searchReaders, conStart + o.timeLimitSeconds * 1000, () =>
    timedSearch(concurrent),
  );
  const conWall = (performance.now() - conStart) / 1000;
  const cpuAfter = sampler?.cpu();
  const memory = closeWindow?.();
  return {
    runs: o.searchRuns,
    runsCreated: created.length,
    matching: expected.length,
    setup: {
      wallSeconds: Math.round(setupWall * 100) / 100,
      runsPerSecond: Math.round(created.length / setupWall),
      requestLatencyMs: latencyStats(setupLatencies),
      errors: { total: setupErrors.total, byStatus: setupErrors.byStatus, samples: setupErrors.samples },
    },
    analyzed,
    query: { filter: query.filter, order_by: SEARCH_ORDER, max_results: SEARCH_MAX_RESULTS },
    sequential: { ...latencyStats(sequential), requestsPerSecond: Math.round((sequential.length / seqWall) * 10) / 10 },
    concurrent: {
      ...latencyStats(concurrent),
      readers: o.searchReaders,
      requestsPerSecond: Math.round((concurrent.length / conWall) * 10) / 10,
    },
    errors: { total: errors.total, byStatus: errors.byStatus, samples: errors.samples },
    resultBytes,
    ...(cpuBefore && cpuAfter ? { cpu: cpuDelta(cpuBefore, cpuAfter) } : {}),
    memory,
    verification: { checked, failures },
  };
}

// ------------------------------------------------------------------------------------------ workload 3: artifacts

const MIB = 1024 * 1024;
const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/** One kind of transfer over all rounds: medians, and MB/s of every round. */
interface TransferStats {
  /** 10^6 bytes per second over the whole request (first byte sent to last byte of the answer), median. */
  mbPerSecond: number;
  perRound: number[];
  seconds: number;
  headersMs: number;
  ttfbMs?: number;
  ttfbMsMax?: number;
}

function transferStats(transfers: Transfer[]): TransferStats {
  const ttfb = transfers.map((t) => t.ttfbMs).filter((v): v is number => v !== undefined);
  return {
    mbPerSecond: round(median(transfers.map((t) => t.bytes / t.seconds / 1e6)), 1),
    perRound: transfers.map((t) => round(t.bytes / t.seconds / 1e6, 1)),
    seconds: round(median(transfers.map((t) => t.seconds)), 3),
    headersMs: round(median(transfers.map((t) => t.headersMs)), 1),
    ...(ttfb.length ? { ttfbMs: round(median(ttfb), 1), ttfbMsMax: round(Math.max(...ttfb), 1) } : {}),
  };
}

/** CPU deltas of several rounds as the mean per round (one transfer of the file). */
function meanCpu(deltas: CpuDelta[]): CpuDelta | undefined {
  if (deltas.length === 0) return undefined;
  const mean = (pick: (d: CpuDelta) => number | undefined) => {
    const values = deltas.map(pick).filter((v): v is number => v !== undefined);
    return values.length ? round(values.reduce((x, y) => x + y, 0) / values.length, 2) : undefined;
  };
  const logbookSeconds: Record<string, number> = {};
  for (const name of Object.keys(deltas[0].logbookSeconds))
    logbookSeconds[name] = mean((d) => d.logbookSeconds[name]) ?? NaN;
  const optional = (key: 'postgresSeconds' | 'kafkaSeconds' | 's3proxySeconds') => {
    const value = mean((d) => d[key]);
    return value === undefined ? {} : { [key]: value };
  };
  return {
    wallSeconds: mean((d) => d.wallSeconds) as number,
    machineBusySeconds: mean((d) => d.machineBusySeconds) as number,
    otherSeconds: mean((d) => d.otherSeconds) as number,
    logbookSeconds,
    logbookTotalSeconds: mean((d) => d.logbookTotalSeconds) as number,
    ...optional('postgresSeconds'),
    ...optional('kafkaSeconds'),
    ...optional('s3proxySeconds'),
    generatorSeconds: mean((d) => d.generatorSeconds) as number,
  };
}

type MemoryWindow = ReturnType<ReturnType<Sampler['window']>>;

interface ArtifactResult {
  sizeBytes: number;
  rounds: number;
  source: { path: string; sha256: string; reused: boolean; generatedSeconds?: number };
  /** The artifact path behind /api/2.0/mlflow-artifacts/artifacts/. */
  path: string;
  route: string;
  direct?: { kind: 's3' | 'filesystem'; target: string; upload?: TransferStats; download?: TransferStats };
  upload?: TransferStats;
  download?: TransferStats;
  range?: { status: number[]; start: number; length: number; ms: number; ttfbMs: number; ok: boolean };
  /** Logbook's median MB/s over the direct copy's, and the same per round. */
  ratios: { upload?: number; download?: number; uploadPerRound?: number[]; downloadPerRound?: number[] };
  memory?: {
    /** The process the RSS target is about: the artifacts service, or the one embedded process. */
    targetProcess: string;
    baselineRssMb: Record<string, number>;
    upload?: MemoryWindow;
    download?: MemoryWindow;
    peakRssMb: Record<string, number>;
  };
  /** Mean CPU seconds per round of each transfer kind. */
  cpu: { directUpload?: CpuDelta; upload?: CpuDelta; directDownload?: CpuDelta; download?: CpuDelta };
  /** Every transfer checked: bytes and sha256 of downloads, the size listed after uploads. */
  checks: number;
  cleanup: { api: boolean; direct: boolean };
  failures: string[];
}

/** The ceiling: the same bytes to and from the store without Logbook in between. */
interface DirectStore {
  kind: 's3' | 'filesystem';
  target: string;
  upload(): Promise<Transfer>;
  download(): Promise<Transfer>;
  /** Removes the copy; true when it is gone. */
  remove(): Promise<boolean>;
  close(): void;
}

function directStore(
  server: Server,
  source: { path: string; size: number },
  stamp: string,
  timeoutMs: number,
): DirectStore | undefined {
  const name = source.path.split('/').pop() as string;
  if (server.shape === 'embedded' && server.stateDir) {
    const target = `${server.stateDir}/direct-${name}`;
    return {
      kind: 'filesystem',
      target,
      upload: () => {
        rmSync(target, { force: true });
        return fsCopy(source.path, target, source.size);
      },
      download: () => fsRead(target),
      remove: async () => {
        rmSync(target, { force: true });
        return !existsSync(target);
      },
      close: () => undefined,
    };
  }
  // Attached to --url: the store is only known when S3_ENDPOINT says so.
  const s3 = server.s3 ?? (server.shape === 'attached' && process.env.S3_ENDPOINT ? s3Environment() : undefined);
  if (!s3) return undefined;
  const store = new DirectS3(s3);
  const key = `bench-direct-${stamp.replace(/\D/g, '')}/${name}`;
  return {
    kind: 's3',
    target: `${store.description}/${key}`,
    upload: () => store.upload(source.path, key, source.size, timeoutMs),
    download: () => store.download(key, timeoutMs),
    remove: async () => {
      await store.delete(key);
      return !(await store.exists(key));
    },
    close: () => store.destroy(),
  };
}

/** Flushes dirty pages (the previous phase's gigabyte) so that a phase does not pay for the one before. */
async function settle(): Promise<void> {
  run('sync', [], process.env, 300_000);
  await sleep(500);
}

/** Tracking's runs reach the artifacts service as events; a write is accepted once the run is known there. */
async function waitForArtifactOwner(client: Client, runId: string, seconds: number): Promise<void> {
  const deadline = performance.now() + seconds * 1000;
  for (;;) {
    const reply = await client.send('GET', `/api/2.0/mlflow/artifacts/list?run_id=${runId}`);
    if (reply.status === 200) return;
    if (performance.now() > deadline)
      throw new BenchError(`artifacts service did not learn of run ${runId} in ${seconds} s: ${reply.status}`);
    await sleep(200);
  }
}

/** Peak RSS per process over several sampler windows. */
function mergeWindows(windows: Array<MemoryWindow | undefined>): MemoryWindow | undefined {
  const present = windows.filter((w): w is MemoryWindow => w !== undefined);
  if (present.length === 0) return undefined;
  const highest = (pick: (w: MemoryWindow) => Record<string, number>) => {
    const mb: Record<string, number> = {};
    for (const w of present) for (const [n, v] of Object.entries(pick(w))) mb[n] = Math.max(mb[n] ?? 0, v);
    return mb;
  };
  return {
    peakRssMb: highest((w) => w.peakRssMb),
    sinceStartPeakRssMb: highest((w) => w.sinceStartPeakRssMb),
    samples: present.reduce((n, w) => n + w.samples, 0),
  };
}

async function artifactWorkload(
  client: Client,
  o: Options,
  sampler: Sampler | undefined,
  server: Server,
  stamp: string,
): Promise<ArtifactResult> {
  const benchDir = `${REPO}/.logbook/bench`;
  mkdirSync(benchDir, { recursive: true });
  const source = await ensureSourceFile(benchDir, o.artifactMib, log);
  const timeoutMs = o.timeLimitSeconds * 1000;
  const created = await client.json<{ run: { info: { run_id: string; artifact_uri: string } } }>(
    'POST',
    '/api/2.0/mlflow/runs/create',
    { experiment_id: '0', run_name: `bench-artifacts-${stamp}` },
  );
  const { run_id: runId, artifact_uri: uri } = created.run.info;
  if (!uri.startsWith('mlflow-artifacts:/'))
    throw new BenchError(`run ${runId} has artifact_uri ${uri}: not served by the artifact proxy`);
  const name = source.path.split('/').pop() as string;
  const path = `${uri.slice('mlflow-artifacts:/'.length).replace(/^\/+/, '')}/bench/${name}`;
  const url = `${server.url}/api/2.0/mlflow-artifacts/artifacts/${path}`;
  const listPath = `/api/2.0/mlflow/artifacts/list?run_id=${runId}&path=bench`;
  await waitForArtifactOwner(client, runId, 30);

  const direct = directStore(server, source, stamp, timeoutMs);
  const result: ArtifactResult = {
    sizeBytes: source.size,
    rounds: o.artifactRounds,
    source: {
      path: source.path,
      sha256: source.sha256,
      reused: source.reused,
      ...(source.generatedSeconds !== undefined ? { generatedSeconds: source.generatedSeconds } : {}),
    },
    path,
    route:
      server.shape === 'distributed'
        ? `gateway -> artifacts -> S3 ${server.s3?.endpoint}/${server.s3?.bucket}/${server.s3Prefix}`
        : server.shape === 'embedded'
          ? `one process -> local folder ${server.stateDir}/data/artifacts`
          : `${server.url} (attached)`,
    ...(direct ? { direct: { kind: direct.kind, target: direct.target } } : {}),
    ratios: {},
    cpu: {},
    checks: 0,
    cleanup: { api: false, direct: false },
    failures: [],
  };
  const fail = (message: string) => {
    if (result.failures.length < 20) result.failures.push(message);
    log(`artifacts: FAILED ${message}`);
  };
  const text = (t: Transfer) => t.body?.toString('utf8').slice(0, 300) ?? '';
  /** Runs one transfer after the page cache settled, with the CPU every process spent on it. */
  const timed = async (cpu: CpuDelta[], work: () => Promise<Transfer>): Promise<Transfer> => {
    await settle();
    const before = sampler?.cpu();
    const transfer = await work();
    const after = sampler?.cpu();
    if (before && after) cpu.push(cpuDelta(before, after));
    return transfer;
  };
  const checkDownload = (what: string, t: Transfer) => {
    result.checks++;
    if (t.bytes !== source.size || t.sha256 !== source.sha256)
      fail(`${what}: ${t.bytes} bytes with sha256 ${t.sha256}, expected ${source.size} bytes with ${source.sha256}`);
  };
  const mib = fmt(source.size / MIB);
  const transfers = {
    directUp: [] as Transfer[],
    up: [] as Transfer[],
    directDown: [] as Transfer[],
    down: [] as Transfer[],
  };
  const cpu = {
    directUp: [] as CpuDelta[],
    up: [] as CpuDelta[],
    directDown: [] as CpuDelta[],
    down: [] as CpuDelta[],
  };
  const upWindows: Array<MemoryWindow | undefined> = [];
  const downWindows: Array<MemoryWindow | undefined> = [];
  const ranges: Transfer[] = [];
  const length = Math.min(MIB, source.size);
  const start = Math.max(0, Math.floor(source.size / 2) - Math.floor(length / 2));
  const end = start + length - 1;
  const expectedSlice = await readSlice(source.path, start, length);
  let rangeOk = true;
  const baselineRssMb: Record<string, number> = {};
  for (const p of server.procs) baselineRssMb[p.name] = round((readRssKb(p.pid) ?? NaN) / 1024, 1);
  let uploadSent = false;
  let directSent = false;
  try {
    for (let r = 1; r <= o.artifactRounds; r++) {
      const label = `round ${r}/${o.artifactRounds}`;
      // ---- up: the ceiling first, then Logbook
      if (direct) {
        log(`artifacts ${label}: direct upload of ${mib} MiB to ${direct.target}`);
        directSent = true;
        transfers.directUp.push(await timed(cpu.directUp, direct.upload));
      }
      log(`artifacts ${label}: upload of ${mib} MiB through the gateway to ${path}`);
      uploadSent = true;
      let closeWindow = sampler?.window();
      const up = await timed(cpu.up, () => httpUpload(url, source.path, source.size, timeoutMs));
      upWindows.push(closeWindow?.());
      if (up.status !== 200) {
        fail(`upload answered ${up.status}: ${text(up)}`);
        break;
      }
      transfers.up.push(up);
      const listing = await client.json<{ files?: Array<{ path: string; file_size?: number }> }>('GET', listPath);
      const listed = listing.files?.find((f) => f.path === `bench/${name}`);
      result.checks++;
      if (listed?.file_size !== source.size)
        fail(`artifacts/list shows ${JSON.stringify(listed)} after the upload, expected file_size ${source.size}`);

      // ---- down: the ceiling first, then Logbook, then a range
      if (direct) {
        log(`artifacts ${label}: direct download from ${direct.target}`);
        const down = await timed(cpu.directDown, direct.download);
        checkDownload('direct download', down);
        transfers.directDown.push(down);
      }
      log(`artifacts ${label}: download through the gateway, then a 1 MiB range from the middle`);
      closeWindow = sampler?.window();
      const down = await timed(cpu.down, () => httpDownload(url, { timeoutMs }));
      if (down.status !== 200) {
        downWindows.push(closeWindow?.());
        fail(`download answered ${down.status}: ${text(down)}`);
        break;
      }
      checkDownload('download', down);
      transfers.down.push(down);
      const slice = await httpDownload(url, {
        timeoutMs: o.requestTimeoutMs,
        range: `bytes=${start}-${end}`,
        keep: true,
      });
      downWindows.push(closeWindow?.());
      ranges.push(slice);
      const contentRange = slice.headers?.['content-range'];
      result.checks++;
      if (
        slice.status !== 206 ||
        contentRange !== `bytes ${start}-${end}/${source.size}` ||
        !slice.body?.equals(expectedSlice)
      ) {
        rangeOk = false;
        fail(
          `range bytes=${start}-${end}: status ${slice.status}, content-range ${contentRange}, ${slice.bytes} bytes ${slice.body?.equals(expectedSlice) ? 'equal to' : 'different from'} the source's`,
        );
      }
    }
  } finally {
    // ---- clean up: through the API, and the direct copy
    if (uploadSent) {
      const deleted = await client.send('DELETE', `/api/2.0/mlflow-artifacts/artifacts/${path}`);
      const after = await client.send('GET', listPath);
      const left = after.status === 200 ? ((JSON.parse(after.body) as { files?: unknown[] }).files ?? []) : undefined;
      result.cleanup.api = deleted.status === 200 && left?.length === 0;
      if (server.s3 && server.s3Prefix && result.cleanup.api) {
        const store = new DirectS3(server.s3);
        try {
          if (await store.exists(`${server.s3Prefix}${path}`)) {
            result.cleanup.api = false;
            fail(`the object is still in the store after DELETE: ${server.s3Prefix}${path}`);
          }
        } finally {
          store.destroy();
        }
      }
      if (!result.cleanup.api)
        fail(
          `DELETE answered ${deleted.status} ${deleted.body.slice(0, 200)}; listing after: ${after.body.slice(0, 200)}`,
        );
    }
    if (direct) {
      if (directSent) {
        result.cleanup.direct = await direct.remove().catch((error: unknown) => {
          fail(`removing the direct copy ${direct.target}: ${(error as Error).message}`);
          return false;
        });
        if (!result.cleanup.direct) fail(`the direct copy ${direct.target} is still there`);
      }
      direct.close();
    }
  }

  if (transfers.up.length) result.upload = transferStats(transfers.up);
  if (transfers.down.length) result.download = transferStats(transfers.down);
  if (result.direct && transfers.directUp.length) result.direct.upload = transferStats(transfers.directUp);
  if (result.direct && transfers.directDown.length) result.direct.download = transferStats(transfers.directDown);
  const ratioOf = (logbook?: TransferStats, ceiling?: TransferStats) =>
    logbook && ceiling ? round(logbook.mbPerSecond / ceiling.mbPerSecond, 3) : undefined;
  const perRound = (logbook?: TransferStats, ceiling?: TransferStats) =>
    logbook && ceiling ? logbook.perRound.map((mbs, i) => round(mbs / ceiling.perRound[i], 3)) : undefined;
  result.ratios = {
    upload: ratioOf(result.upload, result.direct?.upload),
    download: ratioOf(result.download, result.direct?.download),
    uploadPerRound: perRound(result.upload, result.direct?.upload),
    downloadPerRound: perRound(result.download, result.direct?.download),
  };
  if (ranges.length)
    result.range = {
      status: ranges.map((t) => t.status),
      start,
      length,
      ms: round(median(ranges.map((t) => t.seconds * 1000)), 1),
      ttfbMs: round(median(ranges.map((t) => t.ttfbMs ?? NaN)), 1),
      ok: rangeOk,
    };
  const upload = mergeWindows(upWindows);
  const download = mergeWindows(downWindows);
  const all = mergeWindows([upload, download]);
  if (all)
    result.memory = {
      targetProcess: server.shape === 'distributed' ? 'artifacts' : (server.procs[0]?.name ?? 'n/a'),
      baselineRssMb,
      upload,
      download,
      peakRssMb: all.peakRssMb,
    };
  result.cpu = {
    directUpload: meanCpu(cpu.directUp),
    upload: meanCpu(cpu.up),
    directDownload: meanCpu(cpu.directDown),
    download: meanCpu(cpu.down),
  };
  return result;
}

// ------------------------------------------------------------------------------------------ environment and report

function environmentStamp(o: Options, server: Server, pinned: string) {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? NaN);
  const nproc = (() => {
    try {
      return Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
    } catch {
      return NaN;
    }
  })();
  const git = run('git', ['rev-parse', '--short', 'HEAD'], process.env, 10_000).stdout.trim();
  const dirty = run('git', ['status', '--porcelain', '--untracked-files=no'], process.env, 10_000).stdout.trim() !== '';
  const versionOf = (command: string, args: string[]) =>
    run(command, args, process.env, 10_000).stdout.trim().split('\n')[0] || undefined;
  return {
    host: {
      nproc,
      cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown',
      memoryGiB: Math.round((memKb / 1024 / 1024) * 10) / 10,
      kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
      loadAverageAtStart: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    },
    node: process.version,
    postgres:
      server.shape === 'distributed' || server.shape === 'peer'
        ? versionOf('psql', ['--version'])
        : 'PGlite (in-process)',
    commit: `${git}${dirty ? '+dirty' : ''}`,
    shape: server.shape,
    url: server.url,
    generator: pinned,
    options: o,
  };
}

const TARGETS = {
  ingestPointsPerSecond: 50_000,
  ingestP99Ms: 250,
  searchP50Ms: 100,
  /** Artifacts (issue 3): Logbook's MB/s over the direct copy's, first byte of a download, the service's RSS. */
  artifactThroughputRatio: 0.8,
  artifactTtfbMs: 100,
  artifactPeakRssMb: 256,
  /** Registry (issue 9): search_model_versions with a tag filter over 100,000 versions; create -> READY. */
  registrySearchP50Ms: 50,
  registrationP99Ms: 1000,
  /** Governance (issue 12): what policy evaluation and audit add to the transition call; audit search by model over 1M rows. */
  governanceAddedP50Ms: 20,
  auditSearchP50Ms: 50,
  /** Webhooks (issue 13): a promotion committed -> delivered to 100 subscribing receivers, distributed shape. */
  webhookDeliveryP99Ms: 1000,
  /** gRPC (issue 14): log_batch of 1,000 metrics over gRPC sustains at least the REST figure of the same run. */
  grpcOverRestRatio: 1,
  /** Embedded memory (issue 15): the embedded process's peak RSS under W1 plus its Postgres server's peak PSS, on a fresh data folder. */
  embeddedPeakRssMb: 400,
};

const mark = (ok: boolean) => (ok ? 'PASS' : 'MISS');

/** The embedded shape's memory: its process's peak RSS and, when it runs its own Postgres server, that server's peak PSS. */
const embeddedPeakMb = (peaks: Record<string, number>): number | undefined => {
  const values = Object.values(peaks);
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0);
};

function printReport(summary: Summary): void {
  const out: string[] = [];
  const line = (label: string, value: string, note = '') =>
    out.push(`  ${label.padEnd(34)} ${value.padStart(14)}  ${note}`);
  const env = summary.environment;
  out.push('');
  out.push(
    `Logbook benchmark  shape=${env.shape}  commit=${env.commit}  ${env.host.nproc} CPU (${env.host.cpuModel}), ${env.host.memoryGiB} GiB, Node ${env.node}`,
  );
  out.push(`  generator ${env.generator}; load average at start ${env.host.loadAverageAtStart}`);
  if (summary.targetsApply === false && (summary.ingest || summary.search))
    out.push('  (W1/W2 targets are defined for the distributed shape; shown here for comparison)');
  if (env.shape === 'attached')
    out.push('  attached to --url: server processes unknown, so no RSS or server CPU figures');
  const i = summary.ingest;
  if (i) {
    out.push('');
    out.push(
      `W1 log-batch ingestion: ${i.batchesOk}/${i.batchesPlanned} batches x ${i.pointsPerBatch} points, ${i.clients} clients, ${i.runs} runs`,
    );
    line(
      'points/s (sustained)',
      fmt(i.pointsPerSecond),
      `${mark(i.pointsPerSecond >= TARGETS.ingestPointsPerSecond)} target >= ${fmt(TARGETS.ingestPointsPerSecond)}`,
    );
    if (i.windows.count > 0)
      line(
        `points/s per ${i.windows.seconds} s window`,
        `${fmt(i.windows.min)}-${fmt(i.windows.max)}`,
        `min-max of ${i.windows.count} windows, median ${fmt(i.windows.median)}`,
      );
    line('wall time', `${fmt(i.wallSeconds, 2)} s`, `${fmt(i.requestBytes / 1e6, 1)} MB of request bodies`);
    line('latency p50 / p90', `${fmt(i.latencyMs.p50, 1)} / ${fmt(i.latencyMs.p90, 1)} ms`);
    line(
      'latency p99',
      `${fmt(i.latencyMs.p99, 1)} ms`,
      `${mark(i.latencyMs.p99 < TARGETS.ingestP99Ms)} target < ${TARGETS.ingestP99Ms} ms`,
    );
    line('latency max / mean', `${fmt(i.latencyMs.max, 1)} / ${fmt(i.latencyMs.mean, 1)} ms`);
    line('errors (non-200)', String(i.errors.total), i.errors.total ? JSON.stringify(i.errors.byStatus) : '');
    if (i.truncatedByTimeLimit)
      line('time limit reached', `${i.batchesSent} sent`, 'WARNING: fewer batches than planned');
    if (i.cpu) {
      const per = Object.entries(i.cpu.logbookSeconds)
        .map(([n, s]) => `${n} ${fmt(s, 1)}`)
        .join(', ');
      line('Logbook CPU', `${fmt(i.cpu.logbookTotalSeconds, 1)} s`, per);
      line('Logbook CPU per 1k points', `${fmt(i.cpu.logbookCpuSecondsPer1kPoints, 4)} s`);
      if (i.cpu.postgresSeconds !== undefined)
        line(
          'Postgres / Kafka CPU',
          `${fmt(i.cpu.postgresSeconds, 1)} / ${fmt(i.cpu.kafkaSeconds ?? NaN, 1)} s`,
          'whole cluster/broker (shared)',
        );
      if (i.cpu.allServerCpuSecondsPer1kPoints !== undefined)
        line(
          'all server CPU per 1k points',
          `${fmt(i.cpu.allServerCpuSecondsPer1kPoints, 4)} s`,
          'Logbook + Postgres + Kafka',
        );
      line('generator CPU', `${fmt(i.cpu.generatorSeconds, 1)} s`);
      line(
        'machine CPU busy',
        `${fmt(i.cpu.machineBusySeconds, 1)} s`,
        `of ${fmt(i.cpu.wallSeconds * summary.environment.host.nproc, 1)} core-s; ${fmt(i.cpu.otherSeconds, 1)} s not ours (kernel, other users)`,
      );
    }
    if (i.memory) {
      const embeddedPeak = env.shape === 'embedded' ? embeddedPeakMb(i.memory.peakRssMb) : undefined;
      if (embeddedPeak !== undefined)
        line(
          'peak memory, embedded shape',
          `${fmt(embeddedPeak, 0)} MiB`,
          `${mark(embeddedPeak < TARGETS.embeddedPeakRssMb)} target < ${TARGETS.embeddedPeakRssMb} MiB; ` +
            Object.entries(i.memory.peakRssMb)
              .map(([n, mb]) => `${n} ${fmt(mb, 0)}`)
              .join(', '),
        );
      else
        line(
          'peak RSS',
          Object.entries(i.memory.peakRssMb)
            .map(([n, mb]) => `${n} ${fmt(mb, 0)} MB`)
            .join(', '),
        );
      line(
        'peak RSS since start',
        Object.entries(i.memory.sinceStartPeakRssMb)
          .map(([n, mb]) => `${n} ${fmt(mb, 0)} MB`)
          .join(', '),
        'startup included',
      );
      if (i.memory.kafkaPeakRssMb !== undefined) line('Kafka broker peak RSS', `${fmt(i.memory.kafkaPeakRssMb, 0)} MB`);
    }
    if (i.relay) {
      line(
        'relay backlog at end / drain',
        `${i.relay.backlogAtEnd} ev / ${fmt(i.relay.drainSeconds, 2)} s`,
        'events committed but not yet on Kafka',
      );
      if (i.pointsPerSecondIncludingRelay !== undefined)
        line('points/s incl. relay drain', fmt(i.pointsPerSecondIncludingRelay), 'until the last event is on Kafka');
      if (!i.relay.drained)
        out.push(
          `    ! relay did not drain (${i.relay.backlogAfterCap} events left); oldest open transaction in the cluster: ${i.relay.blockedBy ?? 'none found'}`,
        );
    }
    if (i.storage?.metricsBytes)
      line(
        'metrics table bytes/point',
        fmt(i.storage.metricsBytes / Math.max(i.pointsOk, 1), 1),
        `events table ${fmt((i.storage.eventsBytes ?? 0) / 1e6)} MB`,
      );
    const v = i.verification;
    line(
      'correctness',
      v.failures.length ? 'FAILED' : 'ok',
      `${v.runsChecked} runs, ${v.historiesChecked} histories checked`,
    );
    for (const f of v.failures) out.push(`    ! ${f}`);
    for (const s of i.errors.samples) out.push(`    ! ${s}`);
  }
  const s = summary.search;
  if (s) {
    out.push('');
    out.push(
      `W2 search_runs over ${fmt(s.runsCreated)} runs: filter "${s.query.filter}", order_by ${s.query.order_by.join(',')}, max_results ${s.query.max_results}`,
    );
    line('matching runs', fmt(s.matching), `${fmt(s.resultBytes / 1024, 0)} KiB per response`);
    line(
      'setup (create + log-batch)',
      `${fmt(s.setup.wallSeconds, 1)} s`,
      `${fmt(s.setup.runsPerSecond)} runs/s, request p50 ${fmt(s.setup.requestLatencyMs.p50, 1)} ms p99 ${fmt(s.setup.requestLatencyMs.p99, 1)} ms`,
    );
    line(
      'sequential p50',
      `${fmt(s.sequential.p50, 1)} ms`,
      `${mark(s.sequential.p50 < TARGETS.searchP50Ms)} target < ${TARGETS.searchP50Ms} ms`,
    );
    line(
      'sequential p99 / max',
      `${fmt(s.sequential.p99, 1)} / ${fmt(s.sequential.max, 1)} ms`,
      `${s.sequential.count} requests, ${fmt(s.sequential.requestsPerSecond, 1)} req/s`,
    );
    line(
      `${s.concurrent.readers} readers p50`,
      `${fmt(s.concurrent.p50, 1)} ms`,
      `${mark(s.concurrent.p50 < TARGETS.searchP50Ms)} (same target, informative)`,
    );
    line(
      `${s.concurrent.readers} readers p99 / max`,
      `${fmt(s.concurrent.p99, 1)} / ${fmt(s.concurrent.max, 1)} ms`,
      `${s.concurrent.count} requests, ${fmt(s.concurrent.requestsPerSecond, 1)} req/s`,
    );
    line(
      'errors (non-200)',
      String(s.errors.total + s.setup.errors.total),
      s.setup.errors.total ? `setup ${JSON.stringify(s.setup.errors.byStatus)}` : '',
    );
    if (s.cpu) {
      const per = Object.entries(s.cpu.logbookSeconds)
        .map(([n, c]) => `${n} ${fmt(c, 1)}`)
        .join(', ');
      line('Logbook CPU (timed searches)', `${fmt(s.cpu.logbookTotalSeconds, 1)} s`, per);
      if (s.cpu.postgresSeconds !== undefined)
        line('Postgres CPU (timed searches)', `${fmt(s.cpu.postgresSeconds, 1)} s`);
      line(
        'machine CPU busy',
        `${fmt(s.cpu.machineBusySeconds, 1)} s`,
        `of ${fmt(s.cpu.wallSeconds * summary.environment.host.nproc, 1)} core-s; ${fmt(s.cpu.otherSeconds, 1)} s not ours (kernel, other users)`,
      );
    }
    if (s.memory)
      line(
        'peak RSS',
        Object.entries(s.memory.peakRssMb)
          .map(([n, mb]) => `${n} ${fmt(mb, 0)} MB`)
          .join(', '),
      );
    line(
      'correctness',
      s.verification.failures.length ? 'FAILED' : 'ok',
      `${s.verification.checked} responses compared with the expected top ${s.query.max_results}`,
    );
    for (const f of s.verification.failures) out.push(`    ! ${f}`);
    for (const e of [...s.setup.errors.samples, ...s.errors.samples]) out.push(`    ! ${e}`);
  }
  const a = summary.artifacts;
  if (a) {
    out.push('');
    out.push(
      `A1 artifacts: ${fmt(a.sizeBytes / MIB)} MiB up and down, ${a.rounds} round${a.rounds === 1 ? '' : 's'} (medians), ${a.route}`,
    );
    const d = a.direct;
    out.push(
      `  ceiling: ${d ? `direct ${d.kind === 's3' ? `S3 (${DirectS3.method(a.sizeBytes)})` : 'filesystem copy (fsync)'} ${d.target}` : 'none (no direct store known)'}`,
    );
    const ratioNote = (ratio: number | undefined, perRound: number[] | undefined) =>
      ratio === undefined
        ? ''
        : `${fmt(ratio * 100)}% of direct  ${mark(ratio >= TARGETS.artifactThroughputRatio)} target >= ${fmt(TARGETS.artifactThroughputRatio * 100)}%` +
          (perRound && perRound.length > 1 ? `  (rounds: ${perRound.map((x) => `${fmt(x * 100)}%`).join(', ')})` : '');
    const mbs = (t: TransferStats | undefined) => (t ? `${fmt(t.mbPerSecond, 1)} MB/s` : 'n/a');
    const rounds = (t: TransferStats | undefined) =>
      t && t.perRound.length > 1 ? `rounds ${t.perRound.map((x) => fmt(x)).join(', ')}` : '';
    line('upload, Logbook', mbs(a.upload), ratioNote(a.ratios.upload, a.ratios.uploadPerRound));
    if (d) line('upload, direct', mbs(d.upload), rounds(d.upload));
    line('download, Logbook', mbs(a.download), ratioNote(a.ratios.download, a.ratios.downloadPerRound));
    if (d) line('download, direct', mbs(d.download), rounds(d.download));
    if (a.download?.ttfbMs !== undefined)
      line(
        'time to first byte, Logbook',
        `${fmt(a.download.ttfbMs, 1)} ms`,
        `${mark(a.download.ttfbMs <= TARGETS.artifactTtfbMs)} target <= ${TARGETS.artifactTtfbMs} ms (max ${fmt(a.download.ttfbMsMax ?? NaN, 1)} ms, headers ${fmt(a.download.headersMs, 1)} ms)`,
      );
    if (d?.download?.ttfbMs !== undefined) line('time to first byte, direct', `${fmt(d.download.ttfbMs, 1)} ms`);
    if (a.range)
      line(
        '1 MiB range from the middle',
        `${fmt(a.range.ms, 1)} ms`,
        `status ${[...new Set(a.range.status)].join('/')}, first byte ${fmt(a.range.ttfbMs, 1)} ms, bytes ${a.range.ok ? 'ok' : 'WRONG'}`,
      );
    if (a.memory) {
      const m = a.memory;
      const peak = m.peakRssMb[m.targetProcess];
      const before = m.baselineRssMb[m.targetProcess];
      const phase = (w: MemoryWindow | undefined) =>
        Object.entries(w?.peakRssMb ?? {})
          .map(([n, mb]) => `${n} ${fmt(mb, 0)}`)
          .join(', ');
      line(
        `peak RSS, ${m.targetProcess}`,
        `${fmt(peak, 0)} MiB`,
        `${mark(peak < TARGETS.artifactPeakRssMb)} target < ${TARGETS.artifactPeakRssMb} MiB (${fmt(before, 0)} MiB before the workload, +${fmt(peak - before, 0)})`,
      );
      line('peak RSS during uploads', 'MiB', phase(m.upload));
      line('peak RSS during downloads', 'MiB', phase(m.download));
    }
    const cpuLine = (label: string, c: CpuDelta | undefined) => {
      if (!c) return;
      const parts = [
        ...Object.entries(c.logbookSeconds).map(([n, s]) => `${n} ${fmt(s, 1)}`),
        ...(c.s3proxySeconds !== undefined ? [`S3Proxy ${fmt(c.s3proxySeconds, 1)}`] : []),
        ...(c.postgresSeconds !== undefined ? [`Postgres ${fmt(c.postgresSeconds, 1)}`] : []),
        `bench ${fmt(c.generatorSeconds, 1)}`,
        `not ours ${fmt(c.otherSeconds, 1)}`,
      ];
      line(label, `${fmt(c.wallSeconds, 2)} s`, `CPU-s: ${parts.join(', ')}`);
    };
    cpuLine('CPU per direct upload', a.cpu.directUpload);
    cpuLine('CPU per Logbook upload', a.cpu.upload);
    cpuLine('CPU per direct download', a.cpu.directDownload);
    cpuLine('CPU per Logbook download', a.cpu.download);
    line(
      'correctness',
      a.failures.length ? 'FAILED' : 'ok',
      `${a.checks} checks (sha256 of every download, size listed, range bytes); cleanup ${a.cleanup.api ? 'API ok' : 'API NOT done'}${d ? `, direct ${a.cleanup.direct ? 'ok' : 'NOT done'}` : ''}`,
    );
    for (const f of a.failures) out.push(`    ! ${f}`);
  }
  if (summary.registry) printRegistry(summary.registry, line, out);
  if (summary.governance) printGovernance(summary.governance, line, out);
  if (summary.webhooks) printWebhooks(summary.webhooks, line, out);
  if (summary.grpc) printGrpc(summary.grpc, line, out);
  out.push('');
  out.push(
    `Result: ${summary.ok ? 'OK' : 'FAILED'}${summary.problems.length ? ` (${summary.problems.join('; ')})` : ''}`,
  );
  out.push(`JSON summary: ${summary.file}`);
  console.log(out.join('\n'));
}

interface Summary {
  startedAt: string;
  environment: ReturnType<typeof environmentStamp>;
  targets: typeof TARGETS;
  targetsApply: boolean;
  verdicts: Record<string, 'PASS' | 'MISS'>;
  ingest?: IngestResult;
  search?: SearchResult;
  artifacts?: ArtifactResult;
  registry?: RegistryResult<RegistryResources>;
  governance?: GovernanceResult<RegistryResources>;
  webhooks?: WebhookResult<RegistryResources>;
  grpc?: GrpcIngestResult<RegistryResources>;
  ok: boolean;
  problems: string[];
  file: string;
}

// ------------------------------------------------------------------------------------------ workload 4: registry

interface RegistryResources {
  cpu?: CpuDelta;
  memory?: MemoryWindow;
}

/** Starts a window of CPU and peak RSS of the server processes; the function returned closes it. */
function measureWindow(sampler: Sampler | undefined): () => RegistryResources | undefined {
  const closeWindow = sampler?.window();
  const before = sampler?.cpu();
  return () => {
    const after = sampler?.cpu();
    const memory = closeWindow?.();
    return before && after ? { cpu: cpuDelta(before, after), memory } : undefined;
  };
}

/** The registry workloads (registry-workload.ts), with CPU and RSS around the timed searches. */
function runRegistryWorkload(client: Client, o: Options, sampler: Sampler | undefined, server: Server, stamp: string) {
  return registryWorkload<RegistryResources>(
    client,
    {
      versions: o.registryVersions,
      models: o.registryModels,
      registrations: o.registrations,
      searchReps: o.searchReps,
      searchReaders: o.searchReaders,
      setupConcurrency: o.setupConcurrency,
      timeLimitSeconds: o.timeLimitSeconds,
    },
    {
      beforeReads: () => {
        if (!o.analyze || server.shape !== 'distributed' || !server.databaseUrl || !havePsql()) return false;
        log('registry: VACUUM ANALYZE (fairness rule: before read workloads)');
        psql(server.databaseUrl, 'VACUUM ANALYZE');
        return true;
      },
      measure: () => measureWindow(sampler),
    },
    stamp,
  );
}

function printRegistry(
  r: RegistryResult<RegistryResources>,
  line: (label: string, value: string, note?: string) => void,
  out: string[],
) {
  const t = r.roundTrip;
  out.push('');
  out.push(
    `R1 registration round trip: ${t.ready}/${t.registrations} versions create -> READY, one at a time (polled every ${t.pollIntervalMs} ms)`,
  );
  line('create -> READY p50 / p90', `${fmt(t.createToReadyMs.p50, 1)} / ${fmt(t.createToReadyMs.p90, 1)} ms`);
  line(
    'create -> READY p99 / max',
    `${fmt(t.createToReadyMs.p99, 1)} / ${fmt(t.createToReadyMs.max, 1)} ms`,
    `${mark(t.createToReadyMs.p99 < TARGETS.registrationP99Ms)} target p99 < ${TARGETS.registrationP99Ms} ms`,
  );
  line('create request p50 / p99', `${fmt(t.createRequestMs.p50, 1)} / ${fmt(t.createRequestMs.p99, 1)} ms`);
  line('get-artifact of MLmodel', t.artifactCheck);
  for (const f of t.failed) out.push(`    ! ${f}`);
  const s = r.search;
  out.push('');
  out.push(
    `R2 search_model_versions over ${fmt(s.versions)} versions of ${fmt(s.models)} models, max_results ${s.maxResults}`,
  );
  line(
    'seeding',
    `${fmt(s.seeding.wallSeconds, 1)} s`,
    `${fmt(s.seeding.versionsPerSecond)} versions/s, create p50 ${fmt(s.seeding.requestLatencyMs.p50, 1)} ms p99 ${fmt(s.seeding.requestLatencyMs.p99, 1)} ms; verdicts settled ${fmt(s.seeding.settledSeconds, 1)} s later`,
  );
  line('seeding versions/s by tenth', s.seeding.versionsPerSecondByTenth.map((rate) => fmt(rate)).join(' '));
  const seedingCpu = s.seeding.resources?.cpu;
  if (seedingCpu) {
    const perVersionMs = (seconds: number | undefined) => fmt(((seconds ?? 0) * 1000) / s.versions, 2);
    line(
      'CPU per version (seeding)',
      `Logbook ${perVersionMs(seedingCpu.logbookTotalSeconds)} ms`,
      [
        ...Object.entries(seedingCpu.logbookSeconds).map(([n, c]) => `${n} ${perVersionMs(c)}`),
        `Postgres ${perVersionMs(seedingCpu.postgresSeconds)}`,
        `Kafka ${perVersionMs(seedingCpu.kafkaSeconds)}`,
        `not ours ${fmt(seedingCpu.otherSeconds, 0)} s in ${fmt(seedingCpu.wallSeconds, 0)} s`,
      ].join(', '),
    );
  }
  for (const q of s.queries) {
    const target =
      q.label === 'tag'
        ? `${mark(q.sequential.p50 < TARGETS.registrySearchP50Ms)} target p50 < ${TARGETS.registrySearchP50Ms} ms`
        : '';
    line(
      `${q.label} p50 / p99`,
      `${fmt(q.sequential.p50, 1)} / ${fmt(q.sequential.p99, 1)} ms`,
      `${target} "${q.filter}": ${fmt(q.matching)} match, ${fmt(q.resultBytes / 1024, 0)} KiB`.trim(),
    );
  }
  line(
    `${s.concurrent.readers} readers (${s.concurrent.label}) p50 / p99`,
    `${fmt(s.concurrent.p50, 1)} / ${fmt(s.concurrent.p99, 1)} ms`,
    `${fmt(s.concurrent.requestsPerSecond, 1)} req/s`,
  );
  printCpu(s.resources, 'timed searches', line);
  const memory = s.resources?.memory;
  if (memory)
    line(
      'peak RSS',
      Object.entries(memory.peakRssMb)
        .map(([n, mb]) => `${n} ${fmt(mb, 0)} MB`)
        .join(', '),
    );
  line(
    'correctness',
    s.verification.failures.length ? 'FAILED' : 'ok',
    `${s.verification.checked} responses compared with the expected first ${s.maxResults}`,
  );
  line('errors (non-200)', String(r.errors.total), r.errors.total ? JSON.stringify(r.errors.byStatus) : '');
  for (const f of s.verification.failures) out.push(`    ! ${f}`);
  for (const e of r.errors.samples) out.push(`    ! ${e}`);
}

// ------------------------------------------------------------------------------------------ workload 5: governance

/** The governance workloads (governance-workload.ts); the audit rows are seeded straight into the registry's database. */
function runGovernanceWorkload(o: Options, sampler: Sampler | undefined, server: Server, stamp: string) {
  return governanceWorkload<RegistryResources>(
    {
      transitions: o.governanceTransitions,
      auditRows: o.auditRows,
      searchReps: o.searchReps,
      timeLimitSeconds: o.timeLimitSeconds,
      requestTimeoutMs: o.requestTimeoutMs,
    },
    {
      url: server.url,
      admin: new Client(server.url, o.requestTimeoutMs, basicAuth(...BENCH_ADMIN)),
      withDatabase: (work) => withServerDatabase(server, 'governance', work),
      beforeReads: () => {
        if (!o.analyze || server.shape !== 'distributed' || !server.databaseUrl || !havePsql()) return false;
        log('governance: VACUUM ANALYZE (fairness rule: before read workloads)');
        psql(server.databaseUrl, 'VACUUM ANALYZE');
        return true;
      },
      measure: () => measureWindow(sampler),
    },
    stamp,
  );
}

/**
 * The database for a workload's seeding: the distributed shape's Postgres beside the running services;
 * the embedded shape's PGlite folder with the process stopped (one process may hold it), started again after.
 */
async function withServerDatabase<T>(
  server: Server,
  workload: Workload,
  work: (db: Database) => Promise<T>,
): Promise<T> {
  if (server.shape === 'distributed' && server.databaseUrl) {
    const db = new PostgresDatabase(server.databaseUrl, 2, DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS);
    try {
      return await work(db);
    } finally {
      await db.close();
    }
  }
  if (server.shape !== 'embedded' || !server.stateDir || !server.started)
    throw new BenchError(`the ${workload} workload seeds the database of a shape the bench started (not --url)`);
  const { env, port } = server.started;
  log(`${workload}: stopping the embedded process to open its database`);
  run('bash', [`${REPO}/test/support/shapes.sh`, 'stop', server.stateDir], process.env, 60_000);
  const { db } = await openEmbeddedDatabase(`${server.stateDir}/data`, {
    choice: (env.LOGBOOK_EMBEDDED_DATABASE as EmbeddedDatabaseChoice | undefined) ?? 'auto',
    durability: (env.LOGBOOK_EMBEDDED_DURABILITY as EmbeddedDurability | undefined) ?? 'full',
    sharedBuffersMb: Number(env.LOGBOOK_EMBEDDED_SHARED_BUFFERS_MB ?? DEFAULT_EMBEDDED_SHARED_BUFFERS_MB),
    maxConnections: 4,
    idleInTransactionTimeoutMs: DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  });
  let result: T;
  try {
    result = await work(db);
  } finally {
    await db.close();
  }
  log(`${workload}: starting the embedded process again`);
  // After a seeding the process listens once its in-process subscriptions have followed the new events.
  const startTimeoutSeconds = 900;
  const start = run(
    'bash',
    [`${REPO}/test/support/shapes.sh`, 'start', 'embedded', String(port), server.stateDir],
    { ...env, SHAPES_START_TIMEOUT_S: String(startTimeoutSeconds) },
    (startTimeoutSeconds + 60) * 1000,
  );
  if (start.code !== 0) throw new BenchError(`shapes.sh start embedded failed:\n${start.stderr.slice(-3000)}`);
  // The sampler reads the same process list.
  const embeddedPid = Number(readFileSync(`${server.stateDir}/pids`, 'utf8').trim());
  server.procs.splice(
    0,
    server.procs.length,
    { pid: embeddedPid, name: 'gateway(embedded)' },
    ...embeddedPostgres(embeddedPid),
  );
  return result;
}

/** Logbook's, Postgres' and everyone else's CPU over a timed phase. */
function printCpu(
  resources: RegistryResources | undefined,
  phase: string,
  line: (label: string, value: string, note?: string) => void,
) {
  const cpu = resources?.cpu;
  if (!cpu) return;
  const per = Object.entries(cpu.logbookSeconds)
    .map(([n, c]) => `${n} ${fmt(c, 1)}`)
    .join(', ');
  line(`Logbook CPU (${phase})`, `${fmt(cpu.logbookTotalSeconds, 1)} s`, per);
  if (cpu.postgresSeconds !== undefined) line(`Postgres CPU (${phase})`, `${fmt(cpu.postgresSeconds, 1)} s`);
  line('not ours', `${fmt(cpu.otherSeconds, 1)} s`, `busy CPU of other processes in ${fmt(cpu.wallSeconds, 1)} s`);
}

function printWebhooks(
  w: WebhookResult<RegistryResources>,
  line: (label: string, value: string, note?: string) => void,
  out: string[],
) {
  const p50p99 = (stats: LatencyStats) => `${fmt(stats.p50, 1)} / ${fmt(stats.p99, 1)} ms`;
  out.push('');
  out.push(`W1 promotion (alias set) -> delivered to ${w.receivers} subscribing receivers, ${w.promotions} promotions`);
  line(
    'each delivery p50 / p99',
    p50p99(w.deliveryMs),
    `${mark(w.deliveryMs.p99 < TARGETS.webhookDeliveryP99Ms)} target p99 < ${TARGETS.webhookDeliveryP99Ms} ms (from the request sent)`,
  );
  line('last receiver p50 / p99', p50p99(w.lastReceiverMs), 'per promotion: the slowest of the receivers');
  line('alias request p50 / p99', p50p99(w.promotionRequestMs));
  line('duplicates / missing', `${w.duplicates} / ${w.missing}`);
  printCpu(w.resources, 'timed promotions', line);
}

/** The compat suite's virtualenv (MLflow, grpcio), made if missing. */
function compatPython(): string {
  const setup = run('bash', [`${REPO}/test/compat/setup.sh`], process.env, 600_000);
  if (setup.code !== 0) throw new BenchError(`test/compat/setup.sh failed:\n${setup.stderr.slice(-2000)}`);
  return setup.stdout.trim().split('\n').pop() as string;
}

function printGrpc(
  g: GrpcIngestResult<RegistryResources>,
  line: (label: string, value: string, note?: string) => void,
  out: string[],
) {
  out.push('');
  out.push(
    `R1 log_batch of ${g.pointsPerBatch} metrics, ${g.batches} batches per transport, ${g.clients} ${g.client} clients, ${g.rounds.length} rounds (medians)`,
  );
  const figures = (f: { pointsPerSecond: number; p50Ms: number; p99Ms: number }) =>
    `${fmt(f.pointsPerSecond)} points/s, p50 / p99 ${fmt(f.p50Ms, 1)} / ${fmt(f.p99Ms, 1)} ms`;
  line('REST (JSON over HTTP/1.1)', figures(g.rest));
  line(
    'gRPC (LogBatch over HTTP/2)',
    figures(g.grpc),
    `${mark(g.ratio >= TARGETS.grpcOverRestRatio)} gRPC / REST = ${g.ratio}, median of the rounds' (target >= ${TARGETS.grpcOverRestRatio})`,
  );
  for (const [i, round] of g.rounds.entries()) {
    line(
      `round ${i + 1} (${round.order})`,
      `REST ${fmt(round.rest.pointsPerSecond)}, gRPC ${fmt(round.grpc.pointsPerSecond)} points/s (${fmt(round.grpc.pointsPerSecond / round.rest.pointsPerSecond, 3)})`,
      `client CPU REST ${fmt(round.rest.clientCpuSeconds, 1)} s, gRPC ${fmt(round.grpc.clientCpuSeconds, 1)} s`,
    );
  }
  printCpu(g.resources?.rest, 'REST phase (last round)', line);
  printCpu(g.resources?.grpc, 'gRPC phase (last round)', line);
}

function printGovernance(
  g: GovernanceResult<RegistryResources>,
  line: (label: string, value: string, note?: string) => void,
  out: string[],
) {
  const t = g.transitions;
  const p50p99 = (stats: LatencyStats) => `${fmt(stats.p50, 1)} / ${fmt(stats.p99, 1)} ms`;
  out.push('');
  out.push(
    `G1 transition to Production: ${t.reps} plain and ${t.reps} governed (request + risk approval + owner approval that applies it), interleaved`,
  );
  line('plain transition-stage p50 / p99', p50p99(t.plainMs));
  line('request p50 / p99', p50p99(t.requestMs));
  line('first approval p50 / p99', p50p99(t.firstApprovalMs));
  line('applying approval p50 / p99', p50p99(t.applyingApprovalMs));
  line('whole flow p50 / p99', p50p99(t.flowMs), 'the three calls, one after the other');
  line(
    'added at p50 (applying - plain)',
    `${fmt(t.addedAtP50Ms, 1)} ms`,
    `${mark(t.addedAtP50Ms <= TARGETS.governanceAddedP50Ms)} target <= ${TARGETS.governanceAddedP50Ms} ms`,
  );
  printCpu(t.resources, 'timed transitions', line);
  for (const f of t.failures) out.push(`    ! ${f}`);
  const a = g.audit;
  out.push('');
  out.push(`G2 audit entries/search by model over ${fmt(a.rows)} audit rows, a page of 100, newest first`);
  line(
    'seeding',
    `${fmt(a.seeding.wallSeconds, 1)} s`,
    `${fmt(a.seeding.generatedRows)} generated rows after ${fmt(a.seeding.realRows)} real ones, ${fmt(a.seeding.rowsPerSecond)} rows/s`,
  );
  line(
    'verify',
    a.verification.valid ? 'valid' : 'BROKEN',
    `${fmt(a.verification.rowsChecked)} rows checked in ${fmt(a.verification.seconds, 1)} s${a.verification.firstBroken ? `; first broken ${JSON.stringify(a.verification.firstBroken)}` : ''}`,
  );
  a.queries.forEach((q) =>
    line(
      `${q.label} p50 / p99`,
      p50p99(q.sequential),
      `${mark(q.sequential.p50 < TARGETS.auditSearchP50Ms)} target p50 < ${TARGETS.auditSearchP50Ms} ms; ${fmt(q.matching)} rows match, ${fmt(q.resultBytes / 1024, 0)} KiB`,
    ),
  );
  printCpu(a.resources, 'timed searches', line);
  line(
    'correctness',
    a.checks.failures.length ? 'FAILED' : 'ok',
    `${a.checks.checked} pages compared with the rows expected`,
  );
  line('errors (non-200)', String(g.errors.total), g.errors.total ? JSON.stringify(g.errors.byStatus) : '');
  for (const f of a.checks.failures) out.push(`    ! ${f}`);
  for (const e of g.errors.samples) out.push(`    ! ${e}`);
}

// ------------------------------------------------------------------------------------------ main

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  try {
    clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    clockTicks = 100;
  }
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  if (o.peers) return peersMain(o, o.peers, startedAt, stamp);
  let server: Server;
  if (o.url) {
    server = { url: o.url, shape: 'attached', procs: [] };
    log(`attaching to ${o.url}: server RSS and CPU cannot be read`);
  } else {
    server = await startServer(o, stamp);
  }
  // Stamp first: nproc run after pinning would report the generator's single CPU.
  const environment = environmentStamp(o, server, 'not pinned (--no-pin)');
  if (o.pin) environment.generator = pinSelf(1);
  const client = new Client(server.url, o.requestTimeoutMs, await signIn(o, server.url));
  const health = await client.send('GET', '/health');
  if (health.status !== 200) throw new BenchError(`${server.url}/health answered ${health.status}`);
  const sampler =
    server.procs.length > 0
      ? createSampler(server.procs, server.shape === 'distributed' ? findInfra(server.pgPort) : {})
      : undefined;
  const summary: Summary = {
    startedAt: startedAt.toISOString(),
    environment,
    targets: TARGETS,
    targetsApply: server.shape !== 'embedded',
    verdicts: {},
    ok: true,
    problems: [],
    file: o.out ?? `${REPO}/.logbook/bench/${stamp}.json`,
  };
  try {
    if ((!o.only || o.only === 'ingest') && o.ingestBatches > 0)
      summary.ingest = await ingestWorkload(client, o, sampler, server, stamp);
    if (!o.only || o.only === 'search')
      summary.search = await searchWorkload(client, o, sampler, server, stamp, o.searchTag ? PEERS_QUERY : W2_QUERY);
    if (!o.only || o.only === 'artifacts')
      summary.artifacts = await artifactWorkload(client, o, sampler, server, stamp);
    if (!o.only || o.only === 'registry')
      summary.registry = await runRegistryWorkload(client, o, sampler, server, stamp);
    if (o.only === 'governance') summary.governance = await runGovernanceWorkload(o, sampler, server, stamp);
    if (o.only === 'webhooks')
      summary.webhooks = await webhookWorkload<RegistryResources>(
        { receivers: o.webhookReceivers, promotions: o.webhookPromotions, timeLimitSeconds: o.timeLimitSeconds },
        client,
        () => measureWindow(sampler),
        stamp,
      );
    if (o.only === 'grpc')
      summary.grpc = await grpcIngestWorkload<RegistryResources>(
        client,
        {
          target: o.grpcTarget ?? `127.0.0.1:${(server.started?.port ?? Number(new URL(server.url).port)) + 10_000}`,
          client:
            o.grpcClient === 'python'
              ? { kind: 'python', interpreter: compatPython(), restUrl: server.url }
              : { kind: 'node' },
          runs: o.runs,
          clients: o.clients,
          batches: o.grpcBatches,
          keys: o.keys,
          steps: o.steps,
          warmupBatches: o.warmupBatches,
          rounds: o.grpcRounds,
          timeLimitSeconds: o.timeLimitSeconds,
          authorization: client.authorization,
        },
        () => measureWindow(sampler),
        stamp,
      );
  } finally {
    sampler?.stop();
    stopServer(server, o);
    activeServer = undefined;
  }
  const { ingest, search } = summary;
  if (ingest) {
    summary.verdicts.ingestPointsPerSecond = mark(ingest.pointsPerSecond >= TARGETS.ingestPointsPerSecond);
    summary.verdicts.ingestP99Ms = mark(ingest.latencyMs.p99 < TARGETS.ingestP99Ms);
    const embeddedPeak =
      server.shape === 'embedded' && ingest.memory ? embeddedPeakMb(ingest.memory.peakRssMb) : undefined;
    if (embeddedPeak !== undefined) summary.verdicts.embeddedPeakRssMb = mark(embeddedPeak < TARGETS.embeddedPeakRssMb);
    if (ingest.errors.total > 0) summary.problems.push(`${ingest.errors.total} log-batch errors`);
    if (ingest.verification.failures.length > 0) summary.problems.push('ingest correctness check failed');
    if (ingest.batchesSent === 0) summary.problems.push('no ingest batch was sent within the time limit');
  }
  if (search) {
    summary.verdicts.searchP50Ms = mark(search.sequential.p50 < TARGETS.searchP50Ms);
    if (search.errors.total + search.setup.errors.total > 0)
      summary.problems.push(`${search.errors.total + search.setup.errors.total} search-workload errors`);
    if (search.verification.failures.length > 0 || search.verification.checked === 0)
      summary.problems.push('search correctness check failed');
  }
  const { artifacts } = summary;
  if (artifacts) {
    const { ratios, download, memory } = artifacts;
    if (ratios.upload !== undefined)
      summary.verdicts.artifactUploadRatio = mark(ratios.upload >= TARGETS.artifactThroughputRatio);
    if (ratios.download !== undefined)
      summary.verdicts.artifactDownloadRatio = mark(ratios.download >= TARGETS.artifactThroughputRatio);
    if (download?.ttfbMs !== undefined)
      summary.verdicts.artifactTtfbMs = mark(download.ttfbMs <= TARGETS.artifactTtfbMs);
    const peak = memory?.peakRssMb[memory.targetProcess];
    if (peak !== undefined) summary.verdicts.artifactPeakRssMb = mark(peak < TARGETS.artifactPeakRssMb);
    if (artifacts.failures.length > 0)
      summary.problems.push(`artifact workload: ${artifacts.failures.length} failures`);
    if (!artifacts.download) summary.problems.push('artifact workload: no complete upload and download');
  }
  const { registry } = summary;
  if (registry) {
    const tag = registry.search.queries.find((q) => q.label === 'tag');
    if (tag) summary.verdicts.registrySearchP50Ms = mark(tag.sequential.p50 < TARGETS.registrySearchP50Ms);
    summary.verdicts.registrationP99Ms = mark(registry.roundTrip.createToReadyMs.p99 < TARGETS.registrationP99Ms);
    if (registry.errors.total > 0) summary.problems.push(`${registry.errors.total} registry-workload errors`);
    if (registry.roundTrip.failed.length > 0 || registry.roundTrip.ready === 0)
      summary.problems.push('registry: registrations that did not become READY');
    if (registry.roundTrip.artifactCheck !== 'ok')
      summary.problems.push(`registry: ${registry.roundTrip.artifactCheck}`);
    if (registry.search.verification.failures.length > 0 || registry.search.verification.checked === 0)
      summary.problems.push('registry search correctness check failed');
  }
  const { governance } = summary;
  if (governance) {
    const { transitions, audit } = governance;
    summary.verdicts.governanceAddedP50Ms = mark(transitions.addedAtP50Ms <= TARGETS.governanceAddedP50Ms);
    if (audit.queries.length > 0)
      summary.verdicts.auditSearchP50Ms = mark(audit.queries.every((q) => q.sequential.p50 < TARGETS.auditSearchP50Ms));
    if (governance.errors.total > 0) summary.problems.push(`${governance.errors.total} governance-workload errors`);
    if (transitions.failures.length > 0 || transitions.reps === 0)
      summary.problems.push('governance: transitions that were not applied');
    if (!audit.verification.valid) summary.problems.push('governance: the seeded audit trail did not verify');
    if (audit.checks.failures.length > 0 || audit.checks.checked === 0)
      summary.problems.push('governance: audit search correctness check failed');
  }
  const { webhooks } = summary;
  if (webhooks) {
    summary.verdicts.webhookDeliveryP99Ms = mark(webhooks.deliveryMs.p99 < TARGETS.webhookDeliveryP99Ms);
    if (webhooks.errors.total > 0) summary.problems.push(`${webhooks.errors.total} webhook-workload errors`);
    if (webhooks.missing > 0) summary.problems.push(`webhooks: ${webhooks.missing} deliveries missing after 30 s`);
  }
  const { grpc } = summary;
  if (grpc) {
    summary.verdicts.grpcOverRestRatio = mark(grpc.ratio >= TARGETS.grpcOverRestRatio);
    const errors = grpc.rounds.reduce((n, round) => n + round.rest.errors + round.grpc.errors, 0);
    if (errors > 0) summary.problems.push(`${errors} log-batch errors in the gRPC workload`);
  }
  summary.ok = summary.problems.length === 0;
  mkdirSync(dirOf(summary.file), { recursive: true });
  writeFileSync(summary.file, `${JSON.stringify(summary, null, 2)}\n`);
  printReport(summary);
  return summary.ok ? 0 : 1;
}

/** --peers: the ingest and search workloads here and peers.ts's history read against each target in turn. */
async function peersMain(o: Options, targets: PeerTarget[], startedAt: Date, stamp: string): Promise<number> {
  const { DATABASE_URL } = infraEnvironment();
  if (!havePsql()) throw new BenchError("psql is needed to create the peers' databases");
  const environment = environmentStamp(o, { url: '', shape: 'peer', procs: [] }, 'not pinned (--no-pin)');
  if (o.pin) environment.generator = pinSelf(1);
  const rounds: PeersResult<IngestResult, SearchResult>[] = [];
  for (let round = 1; round <= o.peersRounds; round++) {
    if (o.peersRounds > 1) log(`peers: round ${round} of ${o.peersRounds}`);
    const roundStamp = o.peersRounds > 1 ? `${stamp}-round${round}` : stamp;
    const result = await runPeersRound(o, targets, DATABASE_URL, environment.commit, roundStamp);
    if (o.peersRounds > 1) console.log(`\nRound ${round} of ${o.peersRounds}:\n${formatComparison(result)}\n`);
    rounds.push(result);
  }
  const table = medianRows(rounds.map((result) => result.table));
  const targetChecks = issueTargets(table, o);
  const file = o.out ?? `${REPO}/.logbook/bench/${stamp}-peers.json`;
  const problems = rounds.flatMap((result, i) =>
    result.problems.map((p) => (o.peersRounds > 1 ? `round ${i + 1}: ${p}` : p)),
  );
  const summary: PeersSummary = {
    startedAt: startedAt.toISOString(),
    environment,
    rounds,
    table,
    targetChecks,
    problems,
    ok: problems.length === 0,
    file,
  };
  mkdirSync(dirOf(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(
    `\nPeers benchmark  commit=${environment.commit}  ${environment.host.nproc} CPU (${environment.host.cpuModel}), ${environment.host.memoryGiB} GiB, ${environment.postgres}`,
  );
  const ingest = `W1: ${o.clients} clients, ${o.ingestBatches} batches of ${o.keys * o.steps} metrics over ${o.runs} runs; `;
  const seed = o.searchSeed === 'sql' ? ' (Logbook and MLflow seeded in their databases, FastTrackML by its API)' : '';
  console.log(
    `  ${o.only === 'search' ? '' : ingest}W2: ${o.searchRuns} runs${seed}, ${o.searchReps} sequential searches of "${PEERS_QUERY.filter}" by ${SEARCH_ORDER.join(', ')}; generator ${environment.generator}\n`,
  );
  if (o.peersRounds === 1) console.log(formatComparison(rounds[0]));
  else {
    console.log(`Medians of ${o.peersRounds} rounds:`);
    console.log(formatTable(table).join('\n'));
    for (const p of problems) console.log(`  ! ${p}`);
  }
  console.log(
    o.searchRuns < ISSUE_SEARCH_RUNS
      ? `\nIssue 15's targets measured here (its search targets are at ${fmt(ISSUE_SEARCH_RUNS)} runs: --search-runs ${ISSUE_SEARCH_RUNS}):`
      : `\nIssue 15's targets measured here:`,
  );
  console.log(formatTargets(targetChecks).join('\n'));
  console.log(`\n  JSON summary: ${file}`);
  return summary.ok ? 0 : 1;
}

/** One round of the comparison: every target in turn. */
async function runPeersRound(
  o: Options,
  targets: PeerTarget[],
  databaseUrl: string,
  commit: string,
  stamp: string,
): Promise<PeersResult<IngestResult, SearchResult>> {
  const logbookServers = new Map<RunningTarget, Server>();
  return runPeers(
    {
      targets,
      databaseUrl,
      clients: o.clients,
      workloads: {
        ingest: !o.historyOnly && o.only !== 'search',
        search: !o.historyOnly,
        history: o.only !== 'search',
      },
      searchRuns: o.searchRuns,
      searchReaders: o.searchReaders,
      historyPoints: o.historyPoints,
      historyPageSize: o.historyPageSize,
      historyReads: o.historyReads,
      requestTimeoutMs: o.requestTimeoutMs,
      timeLimitSeconds: o.timeLimitSeconds,
    },
    {
      async startLogbook(shape, port) {
        const server = await startServer({ ...o, shape, port }, stamp);
        const stop = () => {
          stopServer(server, o);
          activeServer = undefined;
        };
        const running: RunningTarget = {
          target: shape,
          shape,
          url: server.url,
          procs: server.procs,
          databaseUrl: server.databaseUrl,
          pgPort: server.pgPort,
          version: `commit ${commit}`,
          stop: async () => stop(),
          kill: stop,
        };
        logbookServers.set(running, server);
        return running;
      },
      async measure(target, client, workloads) {
        const health = await client.send('GET', '/health');
        if (health.status !== 200) throw new BenchError(`${target.url}/health answered ${health.status}`);
        // A Logbook shape's own record: the embedded one is stopped and started again around a seeding.
        const server: Server = logbookServers.get(target) ?? {
          url: target.url,
          shape: target.shape,
          peer: target.target === 'mlflow' || target.target === 'fasttrackml' ? target.target : undefined,
          procs: target.procs,
          databaseUrl: target.databaseUrl,
          pgPort: target.pgPort,
        };
        const infra = findInfra(target.pgPort);
        // The peers' CPU and RSS next to Postgres only: Kafka is Logbook's alone.
        const sampler = createSampler(target.procs, target.shape === 'peer' ? { postmaster: infra.postmaster } : infra);
        try {
          const ingest = workloads.ingest ? await ingestWorkload(client, o, sampler, server, stamp) : undefined;
          const search = workloads.search
            ? await searchWorkload(client, o, sampler, server, stamp, PEERS_QUERY)
            : undefined;
          return { ingest, search };
        } finally {
          sampler.stop();
        }
      },
    },
    stamp,
  );
}

interface PeersSummary {
  startedAt: string;
  environment: ReturnType<typeof environmentStamp>;
  /** Each round's whole result, in order. */
  rounds: PeersResult<IngestResult, SearchResult>[];
  /** The comparison: each figure's median over the rounds (the one round's figures when there is one). */
  table: ReturnType<typeof medianRows>;
  targetChecks: TargetCheck[];
  problems: string[];
  ok: boolean;
  file: string;
}

function cleanupAndExit(code: number): void {
  killPeers();
  if (activeServer) {
    try {
      stopServer(activeServer, parseArgs(process.argv.slice(2)));
    } catch {
      // best effort
    }
  }
  process.exit(code);
}

process.once('SIGINT', () => cleanupAndExit(130));
process.once('SIGTERM', () => cleanupAndExit(143));

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    cleanupAndExit(1);
  },
);
