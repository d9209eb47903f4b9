/**
 * `npm run bench:scale` (issue 15): how ingestion and search cost grows with the data. For each factor F it
 * runs bench.js once on a fresh database (or embedded folder): the ingest workload at F times its default
 * volume (400 batches of 1,000 points over 100 runs), then the search workload over F times 10,000 runs,
 * seeded set-based in SQL so that large factors take minutes instead of hours. Each factor's JSON summary is
 * kept; the table compares them.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { fmt, log, REPO } from './bench-support';

const BASE = { runs: 100, batches: 400, searchRuns: 10_000 };

interface Options {
  factors: number[];
  /** Passed to every bench.js run as given (shape, port, readers...). */
  benchArgs: string[];
}

const USAGE = `usage: npm run bench:scale -- [--factors 1,10,100] [bench.js options]
  --factors F,F,...   multiples of the default volume (default 1,10); each from 0.01 to 100
  anything else is passed to each bench.js run (e.g. --shape embedded, --port 7100, --search-readers 4);
  --only, --runs, --ingest-batches, --search-runs, --search-seed, --out and --peers are set here`;

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
  const o: Options = { factors: [1, 10], benchArgs: [] };
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
    windows: { min: number; median: number; max: number };
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
  file: string;
  summary?: FactorSummary;
  exitCode: number | null;
}

function measure(factor: number, o: Options, dir: string): Measured {
  const runs = Math.max(1, Math.round(BASE.runs * factor));
  const batches = Math.max(1, Math.round(BASE.batches * factor));
  const searchRuns = Math.max(1, Math.round(BASE.searchRuns * factor));
  const file = `${dir}/factor-${factor}.json`;
  const args = [
    `${REPO}/dist/test/bench/bench.js`,
    ...o.benchArgs,
    '--runs',
    String(runs),
    '--ingest-batches',
    String(batches),
    '--search-runs',
    String(searchRuns),
    '--search-seed',
    'sql',
    '--out',
    file,
  ];
  log(`scale ${factor}x: ${fmt(batches * 1000)} points over ${fmt(runs)} runs, search over ${fmt(searchRuns)} runs`);
  const child = spawnSync(process.execPath, args, { stdio: 'inherit' });
  let summary: FactorSummary | undefined;
  try {
    summary = JSON.parse(readFileSync(file, 'utf8')) as FactorSummary;
  } catch {
    summary = undefined;
  }
  return { factor, file, summary, exitCode: child.status };
}

const ms = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(1));
const count = (value: number | undefined) => (value === undefined ? '–' : fmt(Math.round(value)));
const mib = (bytes: number | undefined) => (bytes === undefined ? '–' : fmt(Math.round(bytes / 2 ** 20)));

function printTable(results: Measured[]): void {
  console.log(
    '\n| factor | points stored | ingestion, points/s (5 s windows min–max) | p50 / p99, ms | all server CPU per 1k points, s | metrics / event log on disk, MiB | runs searched | search p50 / p99, ms | 4 readers p50, ms | search seed, s |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const { factor, summary } of results) {
    const ingest = summary?.ingest;
    const search = summary?.search;
    const cpu = ingest?.cpu?.allServerCpuSecondsPer1kPoints ?? ingest?.cpu?.logbookCpuSecondsPer1kPoints;
    console.log(
      `| ${factor}x | ${count(ingest?.pointsOk)} | ${count(ingest?.pointsPerSecond)} (${count(ingest?.windows.min)}–${count(ingest?.windows.max)}) | ` +
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
  const failed = results.filter((r) => r.exitCode !== 0 || !r.summary?.ok);
  for (const r of failed)
    console.log(`factor ${r.factor}: bench exited ${r.exitCode}; ${r.summary?.problems.join('; ') ?? 'no summary'}`);
  console.log(`\nSummaries: ${dir}`);
  return failed.length === 0 ? 0 : 1;
}

process.exitCode = main();
