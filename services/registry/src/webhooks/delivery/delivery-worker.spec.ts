import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { migrate, PostgresDatabase } from '@logbook/platform';
import { createTestDatabase, mlflowSignatureValid, waitFor, WebhookReceiver } from '@logbook/testing';
import { REGISTRY_SCHEMA, registryMigrations } from '../../../migrations/001_initial';
import { WebhookDeliveryWorker, WebhookPauses } from './delivery-worker';
import { WebhookHttpSender } from './http-sender';
import { SecretBox } from './secret-box';
import { WebhookSettings } from './webhook-settings';

const logger = pino({ level: 'silent' });
const FERNET_KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';

const settings = (overrides: Partial<WebhookSettings> = {}): WebhookSettings => ({
  allowedSchemes: ['http', 'https'],
  allowPrivateIps: false,
  allowedNetworks: ['127.0.0.0/8'],
  requestTimeoutMs: 5000,
  maxRetries: 3,
  secretBox: SecretBox.fromKey(FERNET_KEY),
  maxAttempts: 100,
  maxAgeMs: 3_600_000,
  backoffBaseMs: 20,
  backoffMaxMs: 200,
  rotationOverlapMs: 60_000,
  concurrency: 16,
  ...overrides,
});

describe('the webhook delivery worker', () => {
  let database: { url: string; drop(): Promise<void> };
  let db: PostgresDatabase;
  let receiver: WebhookReceiver;
  let pauses: Array<{ kind: 'pause' | 'resume'; webhookId: string; reason: string }>;
  const workers: WebhookDeliveryWorker[] = [];

  const recordingPauses: WebhookPauses = {
    pause: async (webhookId, reason) => {
      pauses.push({ kind: 'pause', webhookId, reason });
      await db.query(`UPDATE registry.webhooks SET paused_at = $2, paused_reason = $3 WHERE webhook_id = $1`, [
        webhookId,
        Date.now(),
        reason,
      ]);
    },
    resume: async (webhookId, reason) => {
      pauses.push({ kind: 'resume', webhookId, reason });
      await db.query(`UPDATE registry.webhooks SET paused_at = NULL, paused_reason = NULL WHERE webhook_id = $1`, [
        webhookId,
      ]);
    },
  };

  const startWorker = (overrides: Partial<WebhookSettings> = {}) => {
    const chosen = settings(overrides);
    const worker = new WebhookDeliveryWorker(db, chosen, new WebhookHttpSender(chosen), logger, {
      pollIntervalMs: 50,
    });
    worker.start(recordingPauses);
    workers.push(worker);
    return worker;
  };

  async function webhook(url: string, options: { secrets?: string[]; status?: string } = {}): Promise<string> {
    const webhookId = randomUUID().replace(/-/g, '');
    const box = SecretBox.fromKey(FERNET_KEY);
    const secrets = (options.secrets ?? []).map((secret, index) => ({
      ciphertext: box.encrypt(secret),
      until: index === 0 ? null : Date.now() + 60_000,
    }));
    await db.query(
      `INSERT INTO registry.webhooks (webhook_id, flavor, name, url, events, status, secrets,
         enable_ssl_verification, creation_timestamp, last_updated_timestamp)
       VALUES ($1, 'mlflow', $1, $2, '["model_version.created"]', $3, $4::jsonb, true, 0, 0)`,
      [webhookId, url, options.status ?? 'ACTIVE', JSON.stringify(secrets)],
    );
    return webhookId;
  }

  async function queue(webhookId: string, bodies: string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const body of bodies) {
      const deliveryId = randomUUID();
      ids.push(deliveryId);
      await db.query(
        `INSERT INTO registry.webhook_deliveries
           (delivery_id, webhook_id, event_id, event_key, occurrence_key, body, status, next_attempt_at,
            occurred_at, created_at)
         VALUES ($1, $2, $3, 'model_version.created', 'model_version.created', $4, 'PENDING', 0, $5, $5)`,
        [deliveryId, webhookId, randomUUID(), body, Date.now()],
      );
    }
    return ids;
  }

  const statuses = async (ids: string[]) =>
    (
      await db.query<{ delivery_id: string; status: string; attempts: number }>(
        `SELECT delivery_id, status, attempts FROM registry.webhook_deliveries WHERE delivery_id = ANY($1::uuid[])`,
        [ids],
      )
    ).rows;

  before(async () => {
    database = await createTestDatabase('webhook_worker');
    db = new PostgresDatabase(database.url, 8);
    await migrate(db, REGISTRY_SCHEMA, registryMigrations);
  });

  beforeEach(async () => {
    pauses = [];
    receiver = await new WebhookReceiver().up();
  });

  afterEach(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await receiver.down();
  });

  after(async () => {
    await db.close();
    await database.drop();
  });

  it('delivers each webhook’s deliveries in order, signed, with one delivery id across retries', async () => {
    const webhookId = await webhook(receiver.url, { secrets: ['s3cret'] });
    const ids = await queue(webhookId, ['{"n": 1}', '{"n": 2}', '{"n": 3}']);
    let failuresLeft = 2;
    receiver.answer = () => (failuresLeft-- > 0 ? { status: 503 } : { status: 200 });
    const worker = startWorker();
    await waitFor('all delivered', async () =>
      (await statuses(ids)).every((row) => row.status === 'DELIVERED') ? true : undefined,
    );
    await worker.stop();
    assert.deepEqual(
      receiver.received.map((received) => received.deliveryId),
      [ids[0], ids[0], ids[0], ids[1], ids[2]],
      'the first was tried three times, under one id, and the others waited for it',
    );
    assert.deepEqual(
      receiver.received.map((received) => received.body),
      ['{"n": 1}', '{"n": 1}', '{"n": 1}', '{"n": 2}', '{"n": 3}'],
    );
    assert.ok(receiver.received.every((received) => mlflowSignatureValid(received, 's3cret')));
    const { rows: attempts } = await db.query<{ attempt: number; outcome: string; status_code: number }>(
      `SELECT attempt, outcome, status_code FROM registry.webhook_delivery_attempts WHERE delivery_id = $1 ORDER BY attempt`,
      [ids[0]],
    );
    assert.deepEqual(
      attempts.map((row) => [row.attempt, row.outcome, row.status_code]),
      [
        [1, 'retryable', 503],
        [2, 'retryable', 503],
        [3, 'delivered', 200],
      ],
    );
    assert.deepEqual(pauses, [], 'two failures are fewer than MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES');
  });

  it('keeps a slow receiver from delaying the other webhooks', async () => {
    const slow = await new WebhookReceiver().up();
    slow.answer = () => ({ status: 200, delayMs: 2000 });
    try {
      const slowId = await webhook(slow.url);
      const fastId = await webhook(receiver.url);
      const [slowDelivery] = await queue(slowId, ['{"slow": true}']);
      const fastDeliveries = await queue(fastId, ['{"fast": 1}', '{"fast": 2}']);
      const worker = startWorker();
      await waitFor('the fast webhook’s deliveries', async () =>
        (await statuses(fastDeliveries)).every((row) => row.status === 'DELIVERED') ? true : undefined,
      );
      assert.equal(
        (await statuses([slowDelivery]))[0].status,
        'PENDING',
        'the slow receiver had not answered yet when the fast one had both',
      );
      await waitFor('the slow webhook’s delivery', async () =>
        (await statuses([slowDelivery]))[0].status === 'DELIVERED' ? true : undefined,
      );
      await worker.stop();
    } finally {
      await slow.down();
    }
  });

  it('pauses a webhook that keeps failing, holds its deliveries, and resumes it when a probe succeeds', async () => {
    const webhookId = await webhook(receiver.url);
    const ids = await queue(webhookId, ['{"n": 1}', '{"n": 2}']);
    let down = true;
    receiver.answer = () => (down ? { status: 500 } : { status: 200 });
    const worker = startWorker({ maxRetries: 2 });
    await waitFor('paused', async () => (pauses.some((entry) => entry.webhookId === webhookId) ? true : undefined));
    assert.match(pauses[0].reason, /^3 delivery attempts failed in a row; the last: HTTP 500\./);
    assert.deepEqual(
      (await statuses(ids)).map((row) => row.status),
      ['PENDING', 'PENDING'],
    );
    down = false;
    await waitFor('delivered after the pause', async () =>
      (await statuses(ids)).every((row) => row.status === 'DELIVERED') ? true : undefined,
    );
    await worker.stop();
    assert.deepEqual(
      pauses.map((entry) => entry.kind),
      ['pause', 'resume'],
    );
    const { rows } = await db.query<{ trigger: string }>(
      `SELECT trigger FROM registry.webhook_delivery_attempts WHERE delivery_id = $1 ORDER BY attempt`,
      [ids[0]],
    );
    assert.equal(rows.at(-1)?.trigger, 'probe', 'the attempt that succeeded was a probe of the paused webhook');
  });

  it('dead-letters a refused delivery at once and one out of attempts, and goes on with the next', async () => {
    const webhookId = await webhook(receiver.url);
    const ids = await queue(webhookId, ['{"refused": true}', '{"flaky": true}', '{"fine": true}']);
    receiver.answer = ({ body }) =>
      body.includes('refused') ? { status: 404 } : body.includes('flaky') ? { status: 502 } : { status: 200 };
    const worker = startWorker({ maxAttempts: 2, maxRetries: 10 });
    await waitFor('all ended', async () =>
      (await statuses(ids)).every((row) => row.status !== 'PENDING') ? true : undefined,
    );
    await worker.stop();
    const byId = new Map((await statuses(ids)).map((row) => [row.delivery_id, row]));
    assert.deepEqual(
      ids.map((id) => [byId.get(id)?.status, byId.get(id)?.attempts]),
      [
        ['DEAD', 1],
        ['DEAD', 2],
        ['DELIVERED', 1],
      ],
    );
  });

  it('sends nothing for a disabled webhook', async () => {
    const webhookId = await webhook(receiver.url, { status: 'DISABLED' });
    const active = await webhook(receiver.url);
    const [held] = await queue(webhookId, ['{"held": true}']);
    const [sent] = await queue(active, ['{"sent": true}']);
    const worker = startWorker();
    await waitFor('the active one delivered', async () =>
      (await statuses([sent]))[0].status === 'DELIVERED' ? true : undefined,
    );
    await worker.stop();
    assert.equal((await statuses([held]))[0].status, 'PENDING');
    assert.deepEqual(
      receiver.received.map((received) => received.body),
      ['{"sent": true}'],
    );
  });

  it('signs with the new and the previous secret while a rotation overlaps', async () => {
    const webhookId = await webhook(receiver.url, { secrets: ['new-secret', 'old-secret'] });
    const [id] = await queue(webhookId, ['{"rotated": true}']);
    const worker = startWorker();
    await waitFor('delivered', async () => ((await statuses([id]))[0].status === 'DELIVERED' ? true : undefined));
    await worker.stop();
    const [received] = receiver.received;
    assert.ok(mlflowSignatureValid(received, 'new-secret'), 'a receiver with the new secret accepts it');
    assert.ok(mlflowSignatureValid(received, 'old-secret'), 'a receiver still on the old secret accepts it');
    assert.equal(String(received.headers['x-mlflow-signature']).split(' ').length, 2);
  });
});
