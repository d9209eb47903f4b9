/** What every workload of the bench shares: the HTTP client, a worker pool, latency statistics, logging, processes and ports. */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export interface LatencyStats {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function latencyStats(samples: number[]): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  const r = (n: number) => Math.round(n * 100) / 100;
  return {
    count: sorted.length,
    p50: r(percentile(sorted, 50)),
    p90: r(percentile(sorted, 90)),
    p99: r(percentile(sorted, 99)),
    max: r(sorted.length ? sorted[sorted.length - 1] : NaN),
    mean: r(sorted.length ? sum / sorted.length : NaN),
  };
}

/** Deterministic PRNG (mulberry32), so every run writes the same data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

export const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : 'n/a';

// ------------------------------------------------------------------------------------------ HTTP

export interface Reply {
  status: number;
  ms: number;
  body: string;
}

export class Client {
  constructor(
    readonly base: string,
    private readonly timeoutMs: number,
    /** Sent with every request when Logbook authenticates. */
    readonly authorization?: string,
  ) {}

  async send(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    payload?: unknown | string,
  ): Promise<Reply> {
    const t0 = performance.now();
    try {
      const response = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.authorization ? { authorization: this.authorization } : {}),
        },
        body: payload === undefined ? undefined : typeof payload === 'string' ? payload : JSON.stringify(payload),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const body = await response.text();
      return { status: response.status, ms: performance.now() - t0, body };
    } catch (error) {
      // status 0: no HTTP answer (connection refused, reset, timeout)
      return {
        status: 0,
        ms: performance.now() - t0,
        body: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      };
    }
  }

  /** The same client, waiting up to `timeoutMs` for each answer. */
  withTimeout(timeoutMs: number): Client {
    return new Client(this.base, timeoutMs, this.authorization);
  }

  /** A request that must succeed: setup steps and correctness reads. */
  async json<T>(method: 'GET' | 'POST', path: string, payload?: unknown): Promise<T> {
    const reply = await this.send(method, path, payload);
    if (reply.status !== 200)
      throw new BenchError(`${method} ${path} answered ${reply.status}: ${reply.body.slice(0, 300)}`);
    return JSON.parse(reply.body) as T;
  }
}

/** An HTTP Basic Authorization header. */
export const basicAuth = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

export class BenchError extends Error {}

/** Counts non-200 answers by status and keeps the first few bodies. */
export class ErrorLog {
  readonly byStatus: Record<string, number> = {};
  readonly samples: string[] = [];
  total = 0;

  add(what: string, reply: Reply): void {
    this.total++;
    this.byStatus[String(reply.status)] = (this.byStatus[String(reply.status)] ?? 0) + 1;
    if (this.samples.length < 5) this.samples.push(`${what}: ${reply.status} ${reply.body.slice(0, 200)}`);
  }
}

/** Runs `work(i)` for i in [0, count) on `concurrency` workers; stops taking new items after the deadline. */
export async function pool(
  count: number,
  concurrency: number,
  deadline: number,
  work: (i: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < count && performance.now() < deadline) {
      const i = next++;
      await work(i);
      done++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(count, 1)) }, worker));
  return done;
}

// ------------------------------------------------------------------------------------------ processes and ports

export const REPO = dirOf(dirOf(dirOf(__dirname))); // <repo>/dist/test/bench -> <repo>

export function dirOf(path: string): string {
  const i = path.replace(/\/+$/, '').lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export function readStat(pid: number): { ppid: number; comm: string; ticks: number; childTicks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const fields = text.slice(close + 2).split(' '); // fields[0] is field 3 (state)
    const n = (field: number) => Number(fields[field - 3]);
    return { ppid: n(4), comm, ticks: n(14) + n(15), childTicks: n(16) + n(17) };
  } catch {
    return undefined;
  }
}

/**
 * A process whose CPU and memory a benchmark reports; `withChildren`: with its child processes' (the embedded
 * shape's Postgres server and its backends), whose memory is counted by PSS, so the shared buffers every
 * backend maps count once, not once per backend as a sum of RSS would.
 */
export interface MeasuredProcess {
  pid: number;
  name: string;
  withChildren?: boolean;
}

export function processTree(pid: number): number[] {
  return [pid, ...allPids().filter((child) => readStat(child)?.ppid === pid)];
}

/** The process's RSS, or its tree's PSS (`withChildren`), in kB. */
export function memoryKb(p: MeasuredProcess): number | undefined {
  if (!p.withChildren) return readRssKb(p.pid);
  const pss = processTree(p.pid).map(readPssKb);
  return pss[0] === undefined ? undefined : pss.reduce((sum: number, kb) => sum + (kb ?? 0), 0);
}

function readPssKb(pid: number): number | undefined {
  try {
    const match = /^Pss:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function readRssKb(pid: number): number | undefined {
  return readStatusKb(pid, 'VmRSS');
}

/** The highest RSS the process has had since it started (the kernel's high-water mark), in kB. */
export function readPeakRssKb(pid: number): number | undefined {
  return readStatusKb(pid, 'VmHWM');
}

/** Starts the process's high-water mark again from its present RSS (Linux's clear_refs); false where refused. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

function readStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

export function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(command, args, {
    env,
    encoding: 'utf8',
    timeout: timeoutMs,
    cwd: REPO,
    maxBuffer: 64 * 1024 * 1024,
  });
  return {
    code: result.status ?? -1,
    stdout: result.stdout ?? '',
    stderr: `${result.stderr ?? ''}${result.error ? String(result.error) : ''}`,
  };
}

export function psql(url: string, sql: string, timeoutMs = 600_000): string {
  const result = run(
    'psql',
    ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql],
    process.env,
    timeoutMs,
  );
  if (result.code !== 0) throw new BenchError(`psql failed (${sql.slice(0, 80)}): ${result.stderr.trim()}`);
  return result.stdout.trim();
}

export function havePsql(): boolean {
  return run('psql', ['--version'], process.env, 10_000).code === 0;
}

export async function portFree(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
    return false;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code === 'ECONNREFUSED';
  }
}

/** The first of `span` consecutive free ports in [from, to), unless one is wanted. */
export async function choosePort(wanted: number | undefined, span: number, from = 15700, to = 15900): Promise<number> {
  if (wanted !== undefined) return wanted;
  for (let port = from; port + span <= to; port += span) {
    let free = true;
    for (let k = 0; k < span && free; k++) free = await portFree(port + k);
    if (free) return port;
  }
  throw new BenchError(`no ${span} free consecutive ports found in ${from}-${to}; pass --port`);
}
