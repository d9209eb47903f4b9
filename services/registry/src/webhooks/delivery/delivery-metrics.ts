import { Counter, Gauge, Histogram } from 'prom-client';
import { metricsRegistry, Queryable } from '@logbook/platform';
import { REGISTRY_SCHEMA } from '../../../migrations/001_initial';
import { SendOutcome } from './http-sender';

const attempts = new Counter({
  name: 'logbook_webhook_attempts_total',
  help: 'Webhook delivery attempts by outcome (delivered, retryable, failed)',
  labelNames: ['outcome'],
  registers: [metricsRegistry],
});

const attemptLatency = new Histogram({
  name: 'logbook_webhook_attempt_duration_seconds',
  help: 'Time from sending a webhook delivery to its answer (or failure)',
  labelNames: ['outcome'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [metricsRegistry],
});

export function recordWebhookAttempt(outcome: SendOutcome): void {
  attempts.inc({ outcome: outcome.outcome });
  attemptLatency.observe({ outcome: outcome.outcome }, outcome.latencyMs / 1000);
}

let backlogSource: Queryable | undefined;

/** Exports the delivery backlog (pending and dead deliveries, paused webhooks) from `db` on each scrape. */
export function reportWebhookBacklog(db: Queryable): () => void {
  backlogSource = db;
  return () => {
    if (backlogSource === db) backlogSource = undefined;
  };
}

interface Backlog {
  pending: number;
  dead: number;
  oldest_pending_seconds: number;
  paused: number;
}

async function backlog(): Promise<Backlog | undefined> {
  if (!backlogSource) return undefined;
  const { rows } = await backlogSource
    .query<Backlog>(
      `SELECT
         (SELECT count(*)::int FROM ${REGISTRY_SCHEMA}.webhook_deliveries WHERE status = 'PENDING') AS pending,
         (SELECT count(*)::int FROM ${REGISTRY_SCHEMA}.webhook_deliveries WHERE status = 'DEAD') AS dead,
         coalesce((SELECT extract(epoch FROM now())::float8 - min(created_at) / 1000.0
                   FROM ${REGISTRY_SCHEMA}.webhook_deliveries WHERE status = 'PENDING'), 0) AS oldest_pending_seconds,
         (SELECT count(*)::int FROM ${REGISTRY_SCHEMA}.webhooks WHERE paused_at IS NOT NULL) AS paused`,
    )
    .catch(() => ({ rows: [] as Backlog[] }));
  return rows[0];
}

new Gauge({
  name: 'logbook_webhook_backlog',
  help: 'Webhook deliveries by state (pending, dead), the oldest pending one in seconds, and paused webhooks',
  labelNames: ['measure'],
  registers: [metricsRegistry],
  async collect() {
    this.reset();
    const current = await backlog();
    if (!current) return;
    this.set({ measure: 'pending_deliveries' }, current.pending);
    this.set({ measure: 'dead_deliveries' }, current.dead);
    this.set({ measure: 'oldest_pending_seconds' }, Math.max(0, current.oldest_pending_seconds));
    this.set({ measure: 'paused_webhooks' }, current.paused);
  },
});
