import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort, waitFor } from '@logbook/testing';

const DIST = join(__dirname, '../..');
export const SERVICES = ['tracking', 'artifacts', 'registry'] as const;
export type Service = (typeof SERVICES)[number];

/** One process of the platform, as an operator runs it: its own port, its log in a file. */
export class PlatformProcess {
  child!: ChildProcess;

  constructor(
    readonly name: string,
    readonly main: string,
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
    readonly logFile: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    const log = openSync(this.logFile, 'a');
    this.child = spawn(process.execPath, [this.main], {
      env: { ...this.env, PORT: String(this.port) },
      stdio: ['ignore', log, log],
    });
  }

  /** Waits until /health/ready answers 200 (the process serves and its subscriptions run). */
  async ready(timeoutMs = 60_000): Promise<void> {
    await waitFor(
      `${this.name} ready at ${this.url}`,
      async () => {
        if (!this.alive) throw new Error(`${this.name} exited; its log:\n${this.log().slice(-3000)}`);
        return (await fetch(`${this.url}/health/ready`).catch(() => undefined))?.ok ? true : undefined;
      },
      timeoutMs,
    );
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.alive) return;
    const exited = once(this.child, 'exit');
    this.child.kill(signal);
    await exited;
  }

  async metrics(): Promise<string> {
    return (await fetch(`${this.url}/metrics`)).text();
  }

  log(): string {
    return readFileSync(this.logFile, 'utf8');
  }
}

export interface PlatformOptions {
  /** Replicas of each service behind the gateway. */
  replicas: number;
  databaseUrl: string;
  brokers: string[];
  /** Its topics' and consumer groups' prefix, and its artifacts' in the test run's S3 bucket. */
  namespace: string;
  /** Settings beyond those, or in their place (another S3, Kafka's TLS and SASL...). */
  env?: NodeJS.ProcessEnv;
}

/** The distributed shape as separate processes: `replicas` of each service, one gateway in front of them all. */
export class DistributedPlatform {
  private constructor(
    readonly instances: Record<Service, PlatformProcess[]>,
    readonly gateway: PlatformProcess,
    readonly dir: string,
  ) {}

  static async start(options: PlatformOptions): Promise<DistributedPlatform> {
    const dir = mkdtempSync(join(tmpdir(), 'logbook-drill-'));
    const gatewayPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      LOG_LEVEL: 'info',
      LOGBOOK_MODE: 'distributed',
      LOGBOOK_AUTH: 'off',
      GRPC_PORT: '0',
      LOGBOOK_GATEWAY_URL: `http://127.0.0.1:${gatewayPort}`,
      DATABASE_URL: options.databaseUrl,
      KAFKA_BROKERS: options.brokers.join(','),
      LOGBOOK_KAFKA_NAMESPACE: options.namespace,
      S3_ENDPOINT: process.env.S3_ENDPOINT,
      S3_ACCESS_KEY: process.env.S3_ACCESS_KEY,
      S3_SECRET_KEY: process.env.S3_SECRET_KEY,
      S3_REGION: process.env.S3_REGION,
      S3_BUCKET: process.env.S3_BUCKET,
      S3_PREFIX: `${options.namespace}/`,
      ...options.env,
    };
    const instances = {} as Record<Service, PlatformProcess[]>;
    for (const service of SERVICES) {
      instances[service] = [];
      for (let index = 0; index < options.replicas; index++) {
        const name = `${service}-${index}`;
        const main = join(DIST, `services/${service}/src/main.js`);
        instances[service].push(new PlatformProcess(name, main, await freePort(), env, join(dir, `${name}.log`)));
      }
    }
    const urls = (service: Service) => instances[service].map((instance) => instance.url).join(',');
    const gateway = new PlatformProcess(
      'gateway',
      join(DIST, 'services/gateway/src/main.js'),
      gatewayPort,
      {
        ...env,
        TRACKING_URL: urls('tracking'),
        ARTIFACTS_URL: urls('artifacts'),
        REGISTRY_URL: urls('registry'),
        LOGBOOK_UPSTREAM_PROBE_INTERVAL_MS: '500',
      },
      join(dir, 'gateway.log'),
    );
    const platform = new DistributedPlatform(instances, gateway, dir);
    const all = platform.processes();
    for (const process of all) process.start();
    try {
      await Promise.all(all.map((process) => process.ready()));
    } catch (error) {
      await platform.stop();
      throw error;
    }
    return platform;
  }

  get url(): string {
    return this.gateway.url;
  }

  processes(): PlatformProcess[] {
    return [...SERVICES.flatMap((service) => this.instances[service]), this.gateway];
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes().map((process) => process.kill('SIGTERM')));
  }
}

/** What a load generator saw: points acknowledged per run, and the attempts its requests took. */
export interface LoadOutcome {
  /** run id -> steps acknowledged (one point per step, all of key `m`). */
  acknowledged: Map<string, number[]>;
  /** Batches that failed for good (after every retry): the platform refused them. */
  failedBatches: number;
  /** Requests that needed more than one attempt, and the most attempts one needed. */
  retried: number;
  maxAttempts: number;
  /** The longest a batch took, its retries included. */
  slowestMs: number;
  /** Statuses of the attempts that failed, and how many of each (0: no answer). */
  failures: Map<number, number>;
}

const RETRIED_STATUSES = new Set([0, 429, 500, 502, 503, 504]);

/**
 * A request retried as MLflow's client retries it: on 429 and 5xx answers and on no answer at all, with
 * exponential backoff; the last answer is returned.
 */
export async function withRetries(
  send: () => Promise<Response>,
  attempts = 6,
  record?: (status: number) => void,
): Promise<{ response?: Response; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    const response = await send().catch(() => undefined);
    const status = response?.status ?? 0;
    if (!RETRIED_STATUSES.has(status) || attempt === attempts) return { response, attempts: attempt };
    record?.(status);
    await response?.arrayBuffer().catch(() => undefined);
    await delay(100 * 2 ** (attempt - 1));
  }
}

export async function postJson(baseUrl: string, path: string, body: unknown): Promise<Record<string, any>> {
  const { response } = await withRetries(() =>
    fetch(`${baseUrl}/api/2.0/mlflow/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );
  assert.ok(response, `${path}: no answer`);
  const answer = (await response.json()) as Record<string, any>;
  assert.equal(response.status, 200, `${path}: ${JSON.stringify(answer)}`);
  return answer;
}

/**
 * `clients` clients, each logging batches of `batchSize` points of metric `m` to its own run, steps
 * numbered on, until stop() is called: what each acknowledged is what the platform must keep.
 */
export class LogBatchLoad {
  private running = true;
  private readonly loops: Promise<void>[];
  private readonly outcome: LoadOutcome = {
    acknowledged: new Map(),
    failedBatches: 0,
    retried: 0,
    maxAttempts: 0,
    slowestMs: 0,
    failures: new Map(),
  };

  constructor(
    private readonly baseUrl: string,
    runIds: string[],
    private readonly batchSize = 100,
  ) {
    this.loops = runIds.map((runId) => this.client(runId));
  }

  /** Points acknowledged so far, all runs together. */
  get acknowledgedPoints(): number {
    return [...this.outcome.acknowledged.values()].reduce((sum, steps) => sum + steps.length, 0);
  }

  async stop(): Promise<LoadOutcome> {
    this.running = false;
    await Promise.all(this.loops);
    return this.outcome;
  }

  private async client(runId: string): Promise<void> {
    const acknowledged: number[] = [];
    this.outcome.acknowledged.set(runId, acknowledged);
    for (let first = 0; this.running; first += this.batchSize) {
      const steps = Array.from({ length: this.batchSize }, (_, offset) => first + offset);
      const body = JSON.stringify({
        run_id: runId,
        metrics: steps.map((step) => ({ key: 'm', value: step / 7, timestamp: 1_700_000_000_000 + step, step })),
      });
      const started = Date.now();
      const { response, attempts } = await withRetries(
        () =>
          fetch(`${this.baseUrl}/api/2.0/mlflow/runs/log-batch`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          }),
        6,
        (status) => this.outcome.failures.set(status, (this.outcome.failures.get(status) ?? 0) + 1),
      );
      await response?.arrayBuffer();
      this.outcome.slowestMs = Math.max(this.outcome.slowestMs, Date.now() - started);
      if (attempts > 1) this.outcome.retried++;
      this.outcome.maxAttempts = Math.max(this.outcome.maxAttempts, attempts);
      if (response?.status === 200) acknowledged.push(...steps);
      else this.outcome.failedBatches++;
    }
  }
}

/** The steps of metric `m` the platform has for `runId`, read back through MLflow's API, page by page. */
export async function storedSteps(baseUrl: string, runId: string): Promise<number[]> {
  const steps: number[] = [];
  let pageToken: string | undefined;
  do {
    const query = new URLSearchParams({ run_id: runId, metric_key: 'm', max_results: '25000' });
    if (pageToken) query.set('page_token', pageToken);
    const response = await fetch(`${baseUrl}/api/2.0/mlflow/metrics/get-history?${query}`);
    const page = (await response.json()) as { metrics?: Array<{ step: string | number }>; next_page_token?: string };
    assert.equal(response.status, 200, JSON.stringify(page));
    steps.push(...(page.metrics ?? []).map((metric) => Number(metric.step)));
    pageToken = page.next_page_token;
  } while (pageToken);
  return steps;
}

/** Steps of `acknowledged` missing from `stored`. */
export function lost(acknowledged: number[], stored: number[]): number[] {
  const kept = new Set(stored);
  return acknowledged.filter((step) => !kept.has(step));
}
