/**
 * The gRPC workload of `npm run bench -- --only grpc` (issue 14, "Speed"): log_batch of 1,000 metrics over
 * gRPC against the same call over REST, in one run on one server. Rounds alternate the order (REST then gRPC,
 * gRPC then REST) so neither profits from a warmer server; each phase logs to runs of its own. By default the
 * batches are sent by MLflow's Python stack in processes of their own (grpc_ingest.py: requests with a JSON body,
 * grpcio with MLflow's compiled LogBatch); `--grpc-client node` sends them from this process instead: JSON over
 * HTTP/1.1 (fetch) and the LogBatch message over HTTP/2 (grpc-js, one connection per client, as each REST client
 * keeps its own).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { performance } from 'node:perf_hooks';
import { credentials, loadPackageDefinition, Metadata, ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { BenchError, Client, LatencyStats, latencyStats, log, pool } from './bench-support';

export interface GrpcIngestOptions {
  /** host:port of the gateway's gRPC endpoint. */
  target: string;
  /**
   * Who sends: this process (fetch and grpc-js), or MLflow's Python stack (requests with a JSON body, grpcio with
   * MLflow's compiled messages) in `clients` processes of the given interpreter.
   */
  client: { kind: 'node' } | { kind: 'python'; interpreter: string; restUrl: string };
  runs: number;
  clients: number;
  batches: number;
  keys: number;
  steps: number;
  warmupBatches: number;
  rounds: number;
  timeLimitSeconds: number;
  authorization?: string;
}

export interface TransportFigures {
  pointsPerSecond: number;
  latencyMs: LatencyStats;
  errors: number;
  samples: string[];
  /** CPU the clients spent sending (encoding, their HTTP or gRPC library), on the cores Logbook runs on too. */
  clientCpuSeconds: number;
}

export interface GrpcIngestResult<Resources> {
  /** Who sent: node (this process) or python (MLflow's Python stack). */
  client: string;
  batches: number;
  pointsPerBatch: number;
  clients: number;
  rounds: { order: string; rest: TransportFigures; grpc: TransportFigures }[];
  /** Medians over the rounds. */
  rest: { pointsPerSecond: number; p50Ms: number; p99Ms: number };
  grpc: { pointsPerSecond: number; p50Ms: number; p99Ms: number };
  /**
   * The median over the rounds of each round's gRPC points/s over its REST points/s: the two phases of a round
   * run back to back on the same server, so the machine's drift between rounds cancels out of each ratio.
   */
  ratio: number;
  resources?: { rest: Resources | undefined; grpc: Resources | undefined };
}

interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

type Send = (runId: string, metrics: Metric[]) => Promise<{ ok: boolean; ms: number; error?: string }>;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function batch(keys: number, steps: number, k: number, baseTs: number): Metric[] {
  const metrics: Metric[] = [];
  for (let s = 0; s < steps; s++) {
    const step = k * steps + s;
    for (let key = 0; key < keys; key++) {
      metrics.push({ key: `metric_${key}`, value: Math.sin(step + key) * 10, timestamp: baseTs + step, step });
    }
  }
  return metrics;
}

function restSender(client: Client): Send {
  return async (runId, metrics) => {
    const reply = await client.send(
      'POST',
      '/api/2.0/mlflow/runs/log-batch',
      JSON.stringify({ run_id: runId, metrics }),
    );
    return reply.status === 200
      ? { ok: true, ms: reply.ms }
      : { ok: false, ms: reply.ms, error: `${reply.status} ${reply.body.slice(0, 200)}` };
  };
}

type LogBatchClient = {
  logBatch(
    request: object,
    metadata: Metadata,
    options: { deadline: number },
    callback: (error: Error | null) => void,
  ): void;
  close(): void;
};

function grpcSenders(o: GrpcIngestOptions): { senders: Send[]; close: () => void } {
  const protoRoot = join(__dirname, '..', '..', '..', 'libs', 'contracts', 'proto');
  const definition = loadSync('mlflow/service.proto', {
    includeDirs: [protoRoot],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: false,
  });
  const MlflowService = (loadPackageDefinition(definition).mlflow as Record<string, ServiceClientConstructor>)
    .MlflowService;
  const metadata = new Metadata();
  if (o.authorization) metadata.set('authorization', o.authorization);
  const clients = Array.from(
    { length: o.clients },
    () =>
      new MlflowService(o.target, credentials.createInsecure(), {
        'grpc.use_local_subchannel_pool': 1,
      }) as unknown as LogBatchClient,
  );
  const senders = clients.map<Send>((client) => (runId, metrics) => {
    const t0 = performance.now();
    return new Promise((resolve) =>
      client.logBatch({ run_id: runId, metrics }, metadata, { deadline: Date.now() + 60_000 }, (error) =>
        resolve(
          error
            ? { ok: false, ms: performance.now() - t0, error: error.message }
            : { ok: true, ms: performance.now() - t0 },
        ),
      ),
    );
  });
  return { senders, close: () => clients.forEach((client) => client.close()) };
}

async function createRuns(client: Client, experimentId: string, count: number, label: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const created = await client.json<{ run: { info: { run_id: string } } }>('POST', '/api/2.0/mlflow/runs/create', {
      experiment_id: experimentId,
      run_name: `${label}-${i}`,
    });
    ids.push(created.run.info.run_id);
  }
  return ids;
}

/** A phase sent by test/bench/grpc_ingest.py: MLflow's Python stack, one process per client. */
async function pythonPhase(
  o: GrpcIngestOptions,
  python: { interpreter: string; restUrl: string },
  transport: 'rest' | 'grpc',
  runIds: string[],
  batches: number,
): Promise<TransportFigures> {
  const args = [
    join(__dirname, '..', '..', '..', 'test', 'bench', 'grpc_ingest.py'),
    transport,
    python.restUrl,
    o.target,
    runIds.join(','),
    String(batches),
    String(o.clients),
    String(o.keys),
    String(o.steps),
    ...(o.authorization ? [o.authorization] : []),
  ];
  const { stdout } = await promisify(execFile)(python.interpreter, args, { maxBuffer: 64 * 1024 * 1024 });
  const answer = JSON.parse(stdout) as {
    pointsPerSecond: number;
    latenciesMs: number[];
    errors: number;
    samples: string[];
    clientCpuSeconds: number;
  };
  return {
    pointsPerSecond: answer.pointsPerSecond,
    latencyMs: latencyStats(answer.latenciesMs),
    errors: answer.errors,
    samples: answer.samples,
    clientCpuSeconds: answer.clientCpuSeconds,
  };
}

/** One phase: `batches` log_batch calls spread over fresh runs, `clients` at a time, each client its own sender. */
async function phase(
  client: Client,
  experimentId: string,
  o: GrpcIngestOptions,
  transport: 'rest' | 'grpc',
  label: string,
  senders: Send[],
  batches: number,
): Promise<TransportFigures> {
  const runIds = await createRuns(client, experimentId, o.runs, label);
  if (o.client.kind === 'python') return pythonPhase(o, o.client, transport, runIds, batches);
  const baseTs = Date.now() - 3_600_000;
  const latencies: number[] = [];
  const samples: string[] = [];
  let errors = 0;
  let ok = 0;
  let nextSender = 0;
  const deadline = performance.now() + o.timeLimitSeconds * 1000;
  const t0 = performance.now();
  const cpuAtStart = process.cpuUsage();
  await pool(batches, o.clients, deadline, async (i) => {
    const send = senders[nextSender++ % senders.length];
    const result = await send(runIds[i % o.runs], batch(o.keys, o.steps, Math.floor(i / o.runs), baseTs));
    latencies.push(result.ms);
    if (result.ok) ok++;
    else {
      errors++;
      if (samples.length < 5) samples.push(`${label} batch ${i}: ${result.error}`);
    }
  });
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  return {
    pointsPerSecond: Math.round((ok * o.keys * o.steps) / wall),
    latencyMs: latencyStats(latencies),
    errors,
    samples,
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

export async function grpcIngestWorkload<Resources>(
  client: Client,
  o: GrpcIngestOptions,
  measure: () => () => Resources | undefined,
  stamp: string,
): Promise<GrpcIngestResult<Resources>> {
  const { experiment_id: experimentId } = await client.json<{ experiment_id: string }>(
    'POST',
    '/api/2.0/mlflow/experiments/create',
    { name: `bench-grpc-${stamp}` },
  );
  const rest = Array.from({ length: o.clients }, () => restSender(client));
  const grpc = grpcSenders(o);
  try {
    log(`grpc: ${o.warmupBatches} warm-up batches per transport (not timed)`);
    await phase(client, experimentId, o, 'rest', 'warm-rest', rest, o.warmupBatches);
    const warm = await phase(client, experimentId, o, 'grpc', 'warm-grpc', grpc.senders, o.warmupBatches);
    if (warm.errors > 0) throw new BenchError(`gRPC log_batch failed: ${warm.samples.join('; ')}`);
    const rounds: GrpcIngestResult<Resources>['rounds'] = [];
    const resources: { rest: Resources | undefined; grpc: Resources | undefined } = {
      rest: undefined,
      grpc: undefined,
    };
    for (let round = 0; round < o.rounds; round++) {
      const order = round % 2 === 0 ? (['rest', 'grpc'] as const) : (['grpc', 'rest'] as const);
      const figures: Partial<Record<'rest' | 'grpc', TransportFigures>> = {};
      for (const transport of order) {
        log(
          `grpc: round ${round + 1}, ${transport}: ${o.batches} batches x ${o.keys * o.steps} points, ${o.clients} clients`,
        );
        const close = measure();
        figures[transport] = await phase(
          client,
          experimentId,
          o,
          transport,
          `${transport}-${round}`,
          transport === 'rest' ? rest : grpc.senders,
          o.batches,
        );
        resources[transport] = close();
      }
      rounds.push({
        order: order.join(' then '),
        rest: figures.rest as TransportFigures,
        grpc: figures.grpc as TransportFigures,
      });
    }
    const summary = (transport: 'rest' | 'grpc') => ({
      pointsPerSecond: median(rounds.map((r) => r[transport].pointsPerSecond)),
      p50Ms: median(rounds.map((r) => r[transport].latencyMs.p50)),
      p99Ms: median(rounds.map((r) => r[transport].latencyMs.p99)),
    });
    const restSummary = summary('rest');
    const grpcSummary = summary('grpc');
    return {
      client: o.client.kind,
      batches: o.batches,
      pointsPerBatch: o.keys * o.steps,
      clients: o.clients,
      rounds,
      rest: restSummary,
      grpc: grpcSummary,
      ratio: Math.round(median(rounds.map((r) => r.grpc.pointsPerSecond / r.rest.pointsPerSecond)) * 1000) / 1000,
      resources,
    };
  } finally {
    grpc.close();
  }
}
