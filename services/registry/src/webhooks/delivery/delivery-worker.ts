import { setTimeout as delay } from 'node:timers/promises';
import { AdvisoryLock } from '@logbook/messaging';
import { Database, DependencyStatus, Logger, Outage } from '@logbook/platform';
import { REGISTRY_SCHEMA } from '../../../migrations/001_initial';
import { WebhookFlavor } from '../webhook-catalog';
import { SendOutcome, WebhookHttpSender } from './http-sender';
import { retryDelayMs } from './retry-schedule';
import { deliveryHeaders } from './signing';
import { WebhookSettings } from './webhook-settings';
import { recordWebhookAttempt } from './delivery-metrics';

/** What pauses and resumes a webhook: appended to its stream, so the pause shows in its history and the API. */
export interface WebhookPauses {
  pause(webhookId: string, reason: string): Promise<void>;
  resume(webhookId: string, reason: string): Promise<void>;
}

interface StoredSecret {
  ciphertext: string;
  until: number | null;
}

/** The oldest pending delivery of a webhook, with what sending it needs. */
interface HeadDelivery {
  delivery_id: string;
  webhook_id: string;
  event_key: string;
  body: string;
  attempts: number;
  attempts_before_requeue: number;
  requeued_at: number | null;
  next_attempt_at: number;
  created_at: number;
  url: string;
  flavor: WebhookFlavor;
  secrets: StoredSecret[];
  authorization_header: string | null;
  enable_ssl_verification: boolean;
  paused_at: number | null;
}

type AttemptTrigger = 'automatic' | 'redelivery' | 'probe';

export interface WebhookDeliveryWorkerOptions {
  /** Longest wait between two looks for due deliveries when nothing wakes the worker (default 1 s). */
  pollIntervalMs?: number;
  /** How often a standby replica tries to take the worker over (default 1 s). */
  lockRetryMs?: number;
}

const HEADS = `
  SELECT d.delivery_id, d.webhook_id, d.event_key, d.body, d.attempts, d.attempts_before_requeue, d.requeued_at,
         d.next_attempt_at, d.created_at, w.url, w.flavor, w.secrets, w.authorization_header,
         w.enable_ssl_verification, w.paused_at
  FROM ${REGISTRY_SCHEMA}.webhooks w
  CROSS JOIN LATERAL (
    SELECT * FROM ${REGISTRY_SCHEMA}.webhook_deliveries d
    WHERE d.webhook_id = w.webhook_id AND d.status = 'PENDING'
    ORDER BY d.sequence LIMIT 1
  ) d
  WHERE w.status = 'ACTIVE'`;
/** The oldest pending delivery of every active webhook but those given (their lanes are running). */
const HEADS_BUT = `${HEADS} AND NOT (w.webhook_id = ANY($1::text[]))`;
/** The oldest pending delivery of one webhook, if it is active. */
const HEAD_OF = `${HEADS} AND w.webhook_id = $1`;

/**
 * Sends the queued webhook deliveries: one lane per webhook, in the order they were queued, each lane
 * independent of the others (a slow or failing receiver holds up only its own lane), at most
 * `settings.concurrency` in flight. Exactly one replica sends: the holder of the advisory lock.
 *
 * Each attempt is recorded in the ledger after it ends; a worker killed mid-attempt sends the same
 * delivery again (same delivery id) once a replica takes over, so receivers see duplicates only as
 * repeats of one id. A failed attempt is retried with backoff; after `maxRetries` failed attempts in a
 * row the webhook is paused, its deliveries wait, and its oldest is tried every `backoffMaxMs` until
 * one succeeds and the webhook resumes. A delivery past `maxAttempts` or `maxAgeMs` is dead-lettered.
 */
export class WebhookDeliveryWorker {
  private readonly lock: AdvisoryLock;
  private readonly outage: Outage;
  private readonly pollIntervalMs: number;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly failuresInARow = new Map<string, number>();
  private readonly plaintexts = new Map<string, string>();
  private running = false;
  private leading = false;
  private loop?: Promise<void>;
  private signalStop!: () => void;
  private stopped!: Promise<void>;
  private woken = false;
  /** Counts wake() calls: a lane that found nothing left looks once more if something was queued meanwhile. */
  private queued = 0;
  private interrupt?: () => void;
  private pauses!: WebhookPauses;

  constructor(
    private readonly db: Database,
    private readonly settings: WebhookSettings,
    private readonly sender: WebhookHttpSender,
    private readonly logger: Logger,
    options: WebhookDeliveryWorkerOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.outage = new Outage(logger, 'webhook delivery');
    this.lock = new AdvisoryLock(db, `logbook-subscription:${REGISTRY_SCHEMA}.webhook-delivery`, {
      retryMs: options.lockRetryMs,
      logger,
    });
  }

  /** Whether this replica holds the lock and sends. */
  get isSending(): boolean {
    return this.leading;
  }

  /** Starts sending; `pauses` records a webhook paused after failing in a row, and resumed. */
  start(pauses: WebhookPauses): void {
    if (this.running) return;
    this.pauses = pauses;
    this.running = true;
    this.stopped = new Promise((resolve) => (this.signalStop = resolve));
    this.loop = this.lead();
  }

  /** Down while the last look for due deliveries failed; a standby replica is up. */
  status(): DependencyStatus {
    return this.leading ? this.outage.status() : { up: true, failures: 0 };
  }

  /** Looks for due deliveries now rather than at the next poll: something was queued or requeued. */
  wake(): void {
    this.queued++;
    this.woken = true;
    this.interrupt?.();
  }

  /** Stops after the attempts in flight end, and closes the sender. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.signalStop();
    this.interrupt?.();
    await this.loop;
    await this.sender.close();
  }

  private async lead(): Promise<void> {
    while (this.running) {
      const held = await this.lock.acquire(this.stopped);
      if (!held) return;
      this.leading = true;
      this.failuresInARow.clear();
      this.logger.info('sending webhook deliveries: this replica holds the delivery lock');
      let lost = false;
      void held.lost.then(() => (lost = true));
      await this.send(() => lost);
      await Promise.all(this.inFlight.values());
      this.leading = false;
      await held.release();
    }
  }

  private async send(lost: () => boolean): Promise<void> {
    let failures = 0;
    while (this.running && !lost()) {
      this.woken = false;
      let waitMs = this.pollIntervalMs;
      try {
        waitMs = await this.dispatchDue();
        failures = 0;
        this.outage.recovered();
      } catch (error) {
        failures++;
        waitMs = Math.min(this.settings.backoffMaxMs, this.pollIntervalMs * 2 ** Math.min(failures, 6));
        this.outage.failed(error, waitMs);
      }
      if (!this.woken) await this.sleep(waitMs);
    }
  }

  /** Starts a lane for every due head whose webhook has none; answers how long until the next one is due. */
  private async dispatchDue(): Promise<number> {
    const { rows } = await this.db.query<HeadDelivery>(HEADS_BUT, [[...this.inFlight.keys()]]);
    const now = Date.now();
    let nextDueMs = this.pollIntervalMs;
    for (const head of rows) {
      const dueInMs = Number(head.next_attempt_at) - now;
      if (dueInMs > 0) {
        nextDueMs = Math.min(nextDueMs, dueInMs);
      } else if (this.inFlight.size < this.settings.concurrency) {
        const lane = this.runLane(head)
          .catch((error: unknown) =>
            this.logger.error({ err: error, webhookId: head.webhook_id }, 'recording a webhook attempt failed'),
          )
          .finally(() => this.inFlight.delete(head.webhook_id));
        this.inFlight.set(head.webhook_id, lane);
      }
    }
    return nextDueMs;
  }

  /**
   * Sends one webhook's due deliveries one after the other, each found by its own indexed lookup, so a
   * burst to many webhooks costs one scan of them all, not one per delivery. A delivery due later is
   * left to the loop, woken when it is due.
   */
  private async runLane(first: HeadDelivery): Promise<void> {
    let head: HeadDelivery | undefined = first;
    while (head && this.running && this.leading) {
      await this.attempt(head);
      let next: HeadDelivery | undefined;
      let queuedBefore: number;
      do {
        queuedBefore = this.queued;
        next = (await this.db.query<HeadDelivery>(HEAD_OF, [head.webhook_id])).rows[0];
      } while (!next && queuedBefore !== this.queued);
      const dueInMs: number = next ? Number(next.next_attempt_at) - Date.now() : 0;
      if (next && dueInMs > 0) setTimeout(() => this.wake(), dueInMs).unref();
      head = dueInMs > 0 ? undefined : next;
    }
  }

  private async attempt(head: HeadDelivery): Promise<void> {
    const startedAt = Date.now();
    const trigger: AttemptTrigger =
      head.paused_at !== null
        ? 'probe'
        : head.requeued_at !== null && head.attempts === head.attempts_before_requeue
          ? 'redelivery'
          : 'automatic';
    const outcome = await this.sendHead(head, startedAt);
    recordWebhookAttempt(outcome);
    await this.record(head, trigger, startedAt, outcome);
  }

  private async sendHead(head: HeadDelivery, startedAt: number): Promise<SendOutcome> {
    let headers: Record<string, string>;
    try {
      headers = deliveryHeaders(head.flavor, {
        deliveryId: head.delivery_id,
        timestampSeconds: String(Math.floor(startedAt / 1000)),
        body: head.body,
        secrets: this.liveSecrets(head.secrets, startedAt),
        authorization: head.authorization_header === null ? null : this.decrypt(head.authorization_header),
      });
    } catch (error) {
      // Retried with backoff like an unreachable receiver: the key may be fixed by a restart.
      const reason = `cannot sign the delivery: ${(error as Error).message}`;
      return {
        outcome: 'retryable',
        statusCode: null,
        latencyMs: 0,
        responseBody: null,
        error: reason,
        retryAfterMs: null,
      };
    }
    return this.sender.send({ url: head.url, headers, body: head.body, verifyTls: head.enable_ssl_verification });
  }

  private async record(head: HeadDelivery, trigger: AttemptTrigger, startedAt: number, outcome: SendOutcome) {
    const now = Date.now();
    const attempt = head.attempts + 1;
    const failures = outcome.outcome === 'delivered' ? 0 : (await this.failuresOf(head.webhook_id)) + 1;
    this.failuresInARow.set(head.webhook_id, failures);
    const paused = head.paused_at !== null || failures > this.settings.maxRetries;
    const status = this.statusAfter(head, attempt, now, outcome);
    const nextAttemptAt =
      status !== 'PENDING'
        ? head.next_attempt_at
        : now +
          (paused
            ? Math.max(this.settings.backoffMaxMs, outcome.retryAfterMs ?? 0)
            : retryDelayMs(attempt - head.attempts_before_requeue, this.settings, outcome.retryAfterMs));
    // One statement records the attempt and the delivery's new state together: atomic without a
    // transaction's extra round trips, which PGlite's single session would run one delivery at a time.
    await this.db.query(
      `WITH attempt AS (
         INSERT INTO ${REGISTRY_SCHEMA}.webhook_delivery_attempts
           (delivery_id, attempt, trigger, started_at, latency_ms, status_code, outcome, error, response_excerpt)
         VALUES ($1, $2, $11, $5, $9, $7, $12, $8, $10))
       UPDATE ${REGISTRY_SCHEMA}.webhook_deliveries
       SET attempts = $2, status = $3, next_attempt_at = $4, last_attempt_at = $5,
           completed_at = CASE WHEN $3 = 'PENDING' THEN NULL ELSE $6::bigint END,
           last_status_code = $7, last_error = $8, last_latency_ms = $9, last_response_excerpt = $10
       WHERE delivery_id = $1`,
      [
        head.delivery_id,
        attempt,
        status,
        nextAttemptAt,
        startedAt,
        now,
        outcome.statusCode,
        outcome.error,
        Math.round(outcome.latencyMs),
        excerpt(outcome.responseBody),
        trigger,
        outcome.outcome,
      ],
    );
    if (outcome.outcome === 'delivered' && head.paused_at !== null) {
      await this.pauses.resume(head.webhook_id, `a delivery succeeded (${describe(outcome)})`);
    } else if (head.paused_at === null && paused) {
      await this.pauses.pause(
        head.webhook_id,
        `${failures} delivery attempts failed in a row; the last: ${describe(outcome)}. ` +
          `Deliveries wait; the oldest is retried every ${Math.round(this.settings.backoffMaxMs / 1000)} s ` +
          'and the webhook resumes when one succeeds.',
      );
    }
  }

  /** DELIVERED, DEAD (refused, or out of attempts or time), or still PENDING. */
  private statusAfter(head: HeadDelivery, attempt: number, now: number, outcome: SendOutcome): string {
    if (outcome.outcome === 'delivered') return 'DELIVERED';
    if (outcome.outcome === 'failed') return 'DEAD';
    const attemptsUsed = attempt - head.attempts_before_requeue;
    const age = now - Number(head.requeued_at ?? head.created_at);
    return attemptsUsed >= this.settings.maxAttempts || age >= this.settings.maxAgeMs ? 'DEAD' : 'PENDING';
  }

  /** Failed attempts of the webhook since its last delivered one (remembered while this replica sends). */
  private async failuresOf(webhookId: string): Promise<number> {
    const known = this.failuresInARow.get(webhookId);
    if (known !== undefined) return known;
    const { rows } = await this.db.query<{ failures: number }>(
      `WITH attempts AS (
         SELECT a.started_at, a.outcome FROM ${REGISTRY_SCHEMA}.webhook_delivery_attempts a
         JOIN ${REGISTRY_SCHEMA}.webhook_deliveries d USING (delivery_id)
         WHERE d.webhook_id = $1)
       SELECT count(*)::int AS failures FROM attempts
       WHERE outcome <> 'delivered'
         AND started_at > coalesce((SELECT max(started_at) FROM attempts WHERE outcome = 'delivered'), -1)`,
      [webhookId],
    );
    return rows[0].failures;
  }

  /** The current secret and any previous one still inside its rotation overlap, current first. */
  private liveSecrets(secrets: StoredSecret[], now: number): string[] {
    return secrets
      .filter((secret) => secret.until === null || secret.until > now)
      .map((secret) => this.decrypt(secret.ciphertext));
  }

  private decrypt(ciphertext: string): string {
    let plaintext = this.plaintexts.get(ciphertext);
    if (plaintext === undefined) {
      if (!this.settings.secretBox) throw new Error('MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY is not set');
      plaintext = this.settings.secretBox.decrypt(ciphertext);
      this.plaintexts.set(ciphertext, plaintext);
    }
    return plaintext;
  }

  private async sleep(ms: number): Promise<void> {
    const controller = new AbortController();
    this.interrupt = () => controller.abort();
    try {
      await delay(ms, undefined, { signal: controller.signal });
    } catch {
      // woken early
    } finally {
      this.interrupt = undefined;
    }
  }
}

const EXCERPT_CHARS = 1024;

function excerpt(body: string | null): string | null {
  return body === null ? null : body.slice(0, EXCERPT_CHARS);
}

function describe(outcome: SendOutcome): string {
  if (outcome.statusCode !== null) return `HTTP ${outcome.statusCode}`;
  return outcome.error ?? 'no answer';
}
