import { Inject, Injectable } from '@nestjs/common';
import { Database, invalidParameter, notFound } from '@logbook/platform';
import { decodeOffsetToken, encodeOffsetToken } from '@logbook/search';
import { checkMaxResults } from '../../model-versions/model-versions.queries';
import { DATABASE } from '../../shared/tokens';
import { REGISTRY_SCHEMA } from '../../../migrations/001_initial';
import { DeliveryStatus, LIST_DELIVERIES } from './ledger.dto';

interface DeliveryRow {
  delivery_id: string;
  webhook_id: string;
  event_id: string;
  event_key: string;
  status: DeliveryStatus;
  attempts: number;
  occurred_at: string | number;
  created_at: string | number;
  next_attempt_at: string | number;
  last_attempt_at: string | number | null;
  completed_at: string | number | null;
  last_status_code: number | null;
  last_error: string | null;
  last_latency_ms: number | null;
  last_response_excerpt: string | null;
  body?: string;
}

interface AttemptRow {
  attempt: number;
  trigger: string;
  started_at: string | number;
  latency_ms: number;
  status_code: number | null;
  outcome: string;
  error: string | null;
  response_excerpt: string | null;
}

const optional = <T>(key: string, value: T | null | undefined) =>
  value === null || value === undefined ? {} : { [key]: value };

/** A delivery as the ledger API answers it; absent fields were never set (protobuf JSON leaves them out). */
function deliveryView(row: DeliveryRow) {
  return {
    delivery_id: row.delivery_id,
    webhook_id: row.webhook_id,
    event_id: row.event_id,
    event_key: row.event_key,
    status: row.status,
    attempts: row.attempts,
    occurred_timestamp: Number(row.occurred_at),
    created_timestamp: Number(row.created_at),
    ...(row.status === 'PENDING' ? { next_attempt_timestamp: Number(row.next_attempt_at) } : {}),
    ...optional('last_attempt_timestamp', row.last_attempt_at === null ? null : Number(row.last_attempt_at)),
    ...optional('completed_timestamp', row.completed_at === null ? null : Number(row.completed_at)),
    ...optional('last_status_code', row.last_status_code),
    ...optional('last_error', row.last_error),
    ...optional('last_latency_ms', row.last_latency_ms),
    ...optional('last_response_excerpt', row.last_response_excerpt),
  };
}

function attemptView(row: AttemptRow) {
  return {
    attempt: row.attempt,
    trigger: row.trigger,
    started_timestamp: Number(row.started_at),
    latency_ms: row.latency_ms,
    outcome: row.outcome,
    ...optional('status_code', row.status_code),
    ...optional('error', row.error),
    ...optional('response_excerpt', row.response_excerpt),
  };
}

const DELIVERY_COLUMNS = `delivery_id, webhook_id, event_id, event_key, status, attempts, occurred_at, created_at,
  next_attempt_at, last_attempt_at, completed_at, last_status_code, last_error, last_latency_ms, last_response_excerpt`;

/** MLflow's words for a webhook that does not exist (or was deleted). */
export const webhookNotFound = (webhookId: string) => notFound(`Webhook with ID ${webhookId} not found.`);

/** The delivery ledger of a webhook: what was queued for it, each attempt, and where its deliveries stand. */
@Injectable()
export class LedgerQueries {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async webhook(webhookId: string): Promise<{ webhook_id: string; flavor: string; status: string }> {
    const { rows } = await this.db.query<{
      webhook_id: string;
      flavor: string;
      status: string;
      paused_reason: string | null;
      paused_at: string | number | null;
    }>(
      `SELECT webhook_id, flavor, status, paused_reason, paused_at FROM ${REGISTRY_SCHEMA}.webhooks WHERE webhook_id = $1`,
      [webhookId],
    );
    if (rows.length === 0) throw webhookNotFound(webhookId);
    const [row] = rows;
    return {
      webhook_id: row.webhook_id,
      flavor: row.flavor,
      status: row.status,
      ...(row.paused_at === null ? {} : { paused: { reason: row.paused_reason ?? '', since: Number(row.paused_at) } }),
    };
  }

  /** The webhook, and how many of its deliveries are in each state, with its latest success and failure. */
  async summary(webhookId: string) {
    const webhook = await this.webhook(webhookId);
    const { rows } = await this.db.query<{ status: DeliveryStatus; count: number }>(
      `SELECT status, count(*)::int AS count FROM ${REGISTRY_SCHEMA}.webhook_deliveries WHERE webhook_id = $1 GROUP BY status`,
      [webhookId],
    );
    const counts = Object.fromEntries(rows.map((row) => [row.status.toLowerCase(), row.count]));
    const last = async (outcomes: string) => {
      const { rows: found } = await this.db.query<AttemptRow & { delivery_id: string }>(
        `SELECT a.*, a.delivery_id FROM ${REGISTRY_SCHEMA}.webhook_delivery_attempts a
         JOIN ${REGISTRY_SCHEMA}.webhook_deliveries d USING (delivery_id)
         WHERE d.webhook_id = $1 AND a.outcome = ANY($2::text[])
         ORDER BY a.started_at DESC LIMIT 1`,
        [webhookId, outcomes.split(',')],
      );
      return found.length === 0 ? null : { delivery_id: found[0].delivery_id, ...attemptView(found[0]) };
    };
    const [lastSuccess, lastFailure] = await Promise.all([last('delivered'), last('retryable,failed')]);
    return {
      ...webhook,
      deliveries: {
        pending: counts.pending ?? 0,
        delivered: counts.delivered ?? 0,
        dead: counts.dead ?? 0,
        cancelled: counts.cancelled ?? 0,
      },
      ...optional('last_success', lastSuccess),
      ...optional('last_failure', lastFailure),
    };
  }

  /** A page of a webhook's deliveries, newest first. */
  async list(
    webhookId: string,
    request: { status?: DeliveryStatus; max_results?: number; page_token?: string },
  ): Promise<{ deliveries: ReturnType<typeof deliveryView>[]; next_page_token?: string }> {
    await this.webhook(webhookId);
    const maxResults = checkMaxResults(request.max_results, LIST_DELIVERIES);
    const offset = decodeOffsetToken(request.page_token);
    const { rows } = await this.db.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM ${REGISTRY_SCHEMA}.webhook_deliveries
       WHERE webhook_id = $1 AND ($2::text IS NULL OR status = $2)
       ORDER BY created_at DESC, sequence DESC LIMIT $3 OFFSET $4`,
      [webhookId, request.status ?? null, maxResults + 1, offset],
    );
    const page = rows.slice(0, maxResults).map(deliveryView);
    return {
      deliveries: page,
      ...(rows.length > maxResults ? { next_page_token: encodeOffsetToken(offset + maxResults) } : {}),
    };
  }

  /** One delivery with the exact body sent and every attempt. */
  async get(webhookId: string, deliveryId: string) {
    await this.webhook(webhookId);
    const row = await this.delivery(webhookId, deliveryId);
    const { rows: attempts } = await this.db.query<AttemptRow>(
      `SELECT * FROM ${REGISTRY_SCHEMA}.webhook_delivery_attempts WHERE delivery_id = $1 ORDER BY attempt`,
      [deliveryId],
    );
    return { ...deliveryView(row), body: row.body, history: attempts.map(attemptView) };
  }

  private async delivery(webhookId: string, deliveryId: string): Promise<DeliveryRow> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(deliveryId)) {
      throw invalidParameter(`Delivery ID ${JSON.stringify(deliveryId)} is not a UUID.`);
    }
    const { rows } = await this.db.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS}, body FROM ${REGISTRY_SCHEMA}.webhook_deliveries
       WHERE webhook_id = $1 AND delivery_id = $2::uuid`,
      [webhookId, deliveryId],
    );
    if (rows.length === 0) throw notFound(`Delivery ${deliveryId} of webhook ${webhookId} not found.`);
    return rows[0];
  }

  /**
   * Queues an ended delivery again, with the same delivery id, so a receiver that has it can tell; it
   * gets a fresh budget of attempts and time. A pending one is tried at once.
   */
  async redeliver(webhookId: string, deliveryId: string, now: number) {
    await this.webhook(webhookId);
    await this.delivery(webhookId, deliveryId);
    const { rows } = await this.db.query<DeliveryRow>(
      `UPDATE ${REGISTRY_SCHEMA}.webhook_deliveries
       SET status = 'PENDING', next_attempt_at = $3, requeued_at = $3, attempts_before_requeue = attempts,
           completed_at = NULL
       WHERE webhook_id = $1 AND delivery_id = $2::uuid
       RETURNING ${DELIVERY_COLUMNS}`,
      [webhookId, deliveryId, now],
    );
    return deliveryView(rows[0]);
  }

  /** Makes the webhook's pending deliveries due at `now` (those waiting for a later retry or probe). */
  async dueNow(webhookId: string, now: number): Promise<void> {
    await this.db.query(
      `UPDATE ${REGISTRY_SCHEMA}.webhook_deliveries SET next_attempt_at = $2
       WHERE webhook_id = $1 AND status = 'PENDING' AND next_attempt_at > $2`,
      [webhookId, now],
    );
  }

  /** Queues again every delivery of events from `start` to `end` that ended in `status`; answers how many. */
  async redeliverRange(webhookId: string, range: { start: number; end: number; status: string }, now: number) {
    await this.webhook(webhookId);
    if (range.end <= range.start) throw invalidParameter('end_time must be after start_time.');
    const { rowCount } = await this.db.query(
      `UPDATE ${REGISTRY_SCHEMA}.webhook_deliveries
       SET status = 'PENDING', next_attempt_at = $5, requeued_at = $5, attempts_before_requeue = attempts,
           completed_at = NULL
       WHERE webhook_id = $1 AND status = $2 AND occurred_at >= $3 AND occurred_at < $4`,
      [webhookId, range.status, range.start, range.end, now],
    );
    return rowCount ?? 0;
  }
}
