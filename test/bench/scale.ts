/**
 * `npm run bench:scale` (issue 15): how ingestion and search cost grows with the data. For each factor F it
 * runs bench.js twice, each on a fresh database (or embedded folder): the ingest workload at F times its
 * default volume (400 batches of 1,000 points over 100 runs), then the search workload over F times 10,000
 * runs, seeded set-based in SQL so that large factors take minutes instead of hours, with the filter
 * (a metric, a param and a tag, ordered by a metric: `--search-tag`). Every JSON summary is kept; the table
 * compares them.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { fmt, log, REPO } from './bench-support';

const BASE = { runs: 100, batches: 400, searchRuns: 10_000 };

type Workload = 'ingest' | 'search';
const WORKLOADS: readonly Workload[] = ['ingest', 'search'];

interface Options {
  factors: number[];
  workloads: Workload[];
  /** Passed to every bench.js run as given (shape, port, readers...). */
  benchArgs: string[];
}

const USAGE = `usage: npm run bench:scale -- [--factors 1,10,100] [--workloads ingest,search] [bench.js options]
  --factors F,F,...   multiples of the default volume (default 1,10); each from 0.01 to 100
  --workloads W,W     which of ingest and search to run at each factor (default both)
  anything else is passed to each bench.js run (e.g. --shape embedded, --port 7100, --search-readers 4);
  --only, --runs, --ingest-batches, --search-runs, --search-seed, --search-tag, --out and --peers are set here`;

const OWN_FLAGS = [
  '--only',
  '--runs',
  '--ingest-batches',
  '--search-runs',
  '--search-seed',
  '--out',
  '--peers',
  '--url',
];

function parseArgs(argv: string[]): Options {
  const o: Options = { factors: [1, 10], workloads: [...WORKLOADS], benchArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help') {
      console.log(USAGE);
      process.exit(0);
    }
    if (arg === '--factors' || arg.startsWith('--factors=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      const factors = (value ?? '').split(',').map(Number);
      if (factors.length === 0 || factors.some((f) => !Number.isFinite(f) || f < 0.01 || f > 100))
        throw new Error(`--factors takes numbers from 0.01 to 100, got ${value}\n${USAGE}`);
      o.factors = factors;
      continue;
    }
    if (arg === '--workloads' || arg.startsWith('--workloads=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      const workloads = (value ?? '').split(',');
      if (workloads.some((w) => !WORKLOADS.includes(w as Workload)))
        throw new Error(`--workloads takes ingest and/or search, got ${value}\n${USAGE}`);
      o.workloads = workloads as Workload[];
      continue;
    }
    if (OWN_FLAGS.some((flag) => arg === flag || arg.startsWith(`${flag}=`)))
      throw new Error(`${arg.split('=')[0]} is set by the scale run\n${USAGE}`);
    o.benchArgs.push(arg);
  }
  return o;
}

interface Latency {
  p50: number;
  p99: number;
}

interface FactorSummary {
  ok: boolean;
  problems: string[];
  ingest?: {
    pointsOk: number;
    pointsPerSecond: number;
    latencyMs: Latency;
    windows: { count: number; min: number; max: number };
    cpu?: { logbookCpuSecondsPer1kPoints: number; allServerCpuSecondsPer1kPoints?: number };
    storage?: Record<string, number>;
  };
  search?: {
    runs: number;
    setup: { wallSeconds: number };
    sequential: Latency;
    concurrent: Latency & { readers: number };
  };
}

interface Measured {
  factor: number;
  ingest?: FactorSummary['ingest'];
  search?: FactorSummary['search'];
  problems: string[];
}

/** One bench.js run of one workload; its summary, or why there is none. */
function runBench(workload: Workload, args: string[], file: string): FactorSummary | string {
  const child = spawnSync(
    process.execPath,
    [`${REPO}/dist/test/bench/bench.js`, '--only', workload, ...args, '--out', file],
    {
      stdio: 'inherit',
    },
  );
  try {
    const summary = JSON.parse(readFileSync(file, 'utf8')) as FactorSummary;
    if (child.status !== 0 || !summary.ok)
      return `${workload}: exited ${child.status}; ${summary.problems.join('; ') || 'no problem reported'}`;
    return summary;
  } catch {
    return `${workload}: exited ${child.status} without a summary`;
  }
}

function measure(factor: number, o: Options, dir: string): Measured {
  const runs = Math.max(1, Math.round(BASE.runs * factor));
  const batches = Math.max(1, Math.round(BASE.batches * factor));
  const searchRuns = Math.max(1, Math.round(BASE.searchRuns * factor));
  log(`scale ${factor}x: ${fmt(batches * 1000)} points over ${fmt(runs)} runs, search over ${fmt(searchRuns)} runs`);
  const ingest = o.workloads.includes('ingest')
    ? runBench(
        'ingest',
        [...o.benchArgs, '--runs', String(runs), '--ingest-batches', String(batches)],
        `${dir}/factor-${factor}-ingest.json`,
      )
    : undefined;
  const search = o.workloads.includes('search')
    ? runBench(
        'search',
        [...o.benchArgs, '--search-runs', String(searchRuns), '--search-seed', 'sql', '--search-tag'],
        `${dir}/factor-${factor}-search.json`,
      )
    : undefined;
  return {
    factor,
    ingest: typeof ingest === 'string' ? undefined : ingest?.ingest,
    search: typeof search === 'string' ? undefined : search?.search,
    problems: [ingest, search].filter((outcome): outcome is string => typeof outcome === 'string'),
  };
}

const ms = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(1));
const count = (value: number | undefined) => (value === undefined ? '–' : fmt(Math.round(value)));
const windowRange = (windows: { count: number; min: number; max: number } | undefined) => {
  if (windows === undefined) return '–';
  return windows.count > 0 ? `${count(windows.min)}–${count(windows.max)}` : 'under 5 s';
};
const mib = (bytes: number | undefined) => (bytes === undefined ? '–' : fmt(Math.round(bytes / 2 ** 20)));

function printTable(results: Measured[]): void {
  console.log(
    '\n| factor | points stored | ingestion, points/s (5 s windows min–max) | p50 / p99, ms | all server CPU per 1k points, s | metrics / event log on disk, MiB | runs searched | search p50 / p99, ms | 4 readers p50, ms | search seed, s |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const { factor, ingest, search } of results) {
    const cpu = ingest?.cpu?.allServerCpuSecondsPer1kPoints ?? ingest?.cpu?.logbookCpuSecondsPer1kPoints;
    console.log(
      `| ${factor}x | ${count(ingest?.pointsOk)} | ${count(ingest?.pointsPerSecond)} (${windowRange(ingest?.windows)}) | ` +
        `${ms(ingest?.latencyMs.p50)} / ${ms(ingest?.latencyMs.p99)} | ${cpu === undefined ? '–' : cpu.toFixed(4)} | ` +
        `${mib(ingest?.storage?.metricsBytes)} / ${mib(ingest?.storage?.eventsBytes)} | ${count(search?.runs)} | ${ms(search?.sequential.p50)} / ${ms(search?.sequential.p99)} | ` +
        `${ms(search?.concurrent.p50)} | ${search ? search.setup.wallSeconds.toFixed(0) : '–'} |`,
    );
  }
}

function main(): number {
  const o = parseArgs(process.argv.slice(2));
  const dir = `${REPO}/.logbook/bench/scale-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  mkdirSync(dir, { recursive: true });
  const results = o.factors.map((factor) => measure(factor, o, dir));
  printTable(results);
  const failed = results.filter((r) => r.problems.length > 0);
  for (const r of failed) console.log(`factor ${r.factor}: ${r.problems.join('; ')}`);
  console.log(`\nSummaries: ${dir}`);
  return failed.length === 0 ? 0 : 1;
}

process.exitCode = main();
