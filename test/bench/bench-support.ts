/** What every workload of the bench shares: the HTTP client, a worker pool, latency statistics, logging. */
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
