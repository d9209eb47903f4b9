/**
 * The webhook workload of `npm run bench -- --only webhooks` (issue 13, "Speed"), W1: a promotion
 * committed, delivered to 100 subscribing receivers. Each round points the `champion` alias of one
 * model at a new version (MLflow's `model_version_alias.created`), which 100 webhooks subscribe to,
 * each with its own receiver (an HTTP server of its own in this process, answering 200 at once). The
 * latency of a delivery runs from the moment the alias request was sent (an upper bound on "from its
 * commit") to the moment the receiver had the whole request; a round ends when all 100 have theirs.
 */
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { BenchError, Client, ErrorLog, LatencyStats, latencyStats, log } from './bench-support';

export interface WebhookOptions {
  receivers: number;
  promotions: number;
  timeLimitSeconds: number;
}

export interface WebhookResult<Resources> {
  receivers: number;
  promotions: number;
  /** Every delivery: alias request sent → receiver has it. */
  deliveryMs: LatencyStats;
  /** Per promotion: alias request sent → the last of the receivers has it. */
  lastReceiverMs: LatencyStats;
  /** The alias request itself. */
  promotionRequestMs: LatencyStats;
  /** Deliveries that arrived more than once (retries), and deliveries missing at a round's deadline. */
  duplicates: number;
  missing: number;
  resources?: Resources;
  errors: ErrorLog;
}

const ROUND_DEADLINE_MS = 30_000;
const WARMUPS = 3;

interface Receiver {
  server: Server;
  url: string;
  /** Delivery ids seen, with when. */
  seen: Map<string, number>;
}

async function startReceiver(onDelivery: (id: string, at: number) => void): Promise<Receiver> {
  const seen = new Map<string, number>();
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const at = performance.now();
      const id = String(request.headers['x-mlflow-delivery-id']);
      if (!seen.has(id)) seen.set(id, at);
      onDelivery(id, at);
      response.writeHead(200).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, seen };
}

export async function webhookWorkload<Resources>(
  options: WebhookOptions,
  client: Client,
  measure: () => () => Resources | undefined,
  stamp: string,
): Promise<WebhookResult<Resources>> {
  const errors = new ErrorLog();
  let arrivals = 0;
  let duplicates = 0;
  let roundDone: (() => void) | undefined;
  const receivers: Receiver[] = [];
  for (let i = 0; i < options.receivers; i++) {
    const receiver = await startReceiver(() => {
      arrivals++;
      if (arrivals >= options.receivers) roundDone?.();
    });
    receivers.push(receiver);
  }
  const model = `bench-webhooks-${stamp}`;
  try {
    await client.json('POST', '/api/2.0/mlflow/registered-models/create', { name: model });
    for (const [index, receiver] of receivers.entries()) {
      await client.json('POST', '/api/2.0/mlflow/webhooks', {
        name: `bench-${stamp}-${index}`.replace(/[^a-z0-9._-]/gi, '-'),
        url: receiver.url,
        events: [{ entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' }],
        secret: `bench-secret-${index}`,
      });
    }
    const versions = WARMUPS + options.promotions;
    for (let v = 0; v < versions; v++) {
      await client.json('POST', '/api/2.0/mlflow/model-versions/create', {
        name: model,
        source: `mlflow-artifacts:/bench/${stamp}/${v}/model`,
      });
    }
    log(
      `webhooks: ${options.receivers} receivers subscribed; ${WARMUPS} warm-up and ${options.promotions} timed promotions`,
    );

    const deliveryMs: number[] = [];
    const lastReceiverMs: number[] = [];
    const promotionRequestMs: number[] = [];
    let missing = 0;
    let stopMeasuring: (() => Resources | undefined) | undefined;
    const deadline = performance.now() + options.timeLimitSeconds * 1000;
    for (let v = 1; v <= versions && performance.now() < deadline; v++) {
      const timed = v > WARMUPS;
      if (v === WARMUPS + 1) stopMeasuring = measure();
      for (const receiver of receivers) receiver.seen.clear();
      arrivals = 0;
      const allArrived = new Promise<void>((resolve) => (roundDone = resolve));
      const sentAt = performance.now();
      const reply = await client.send('POST', '/api/2.0/mlflow/registered-models/alias', {
        name: model,
        alias: 'champion',
        version: String(v),
      });
      if (reply.status !== 200) {
        errors.add('set alias', reply);
        continue;
      }
      await Promise.race([allArrived, new Promise((resolve) => setTimeout(resolve, ROUND_DEADLINE_MS))]);
      roundDone = undefined;
      const firsts = receivers.flatMap((receiver) => [...receiver.seen.values()]);
      const distinct = receivers.reduce((sum, receiver) => sum + receiver.seen.size, 0);
      duplicates += Math.max(0, arrivals - distinct);
      if (!timed) continue;
      missing += options.receivers - firsts.length;
      promotionRequestMs.push(reply.ms);
      for (const at of firsts) deliveryMs.push(at - sentAt);
      if (firsts.length > 0) lastReceiverMs.push(Math.max(...firsts) - sentAt);
    }
    const resources = stopMeasuring?.();
    if (deliveryMs.length === 0) throw new BenchError('webhooks: no promotion was delivered');
    return {
      receivers: options.receivers,
      promotions: lastReceiverMs.length,
      deliveryMs: latencyStats(deliveryMs),
      lastReceiverMs: latencyStats(lastReceiverMs),
      promotionRequestMs: latencyStats(promotionRequestMs),
      duplicates,
      missing,
      resources,
      errors,
    };
  } finally {
    await Promise.all(
      receivers.map((receiver) => {
        receiver.server.closeAllConnections();
        return new Promise((resolve) => receiver.server.close(resolve));
      }),
    );
  }
}
