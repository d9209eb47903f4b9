import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  createTestDatabase,
  freePort,
  mlflowSignatureValid,
  testInfra,
  uniqueName,
  waitFor,
  WebhookReceiver,
} from '@logbook/testing';

const SECRET = 'crash-drill-secret';
const REGISTRY_MAIN = join(__dirname, '../../services/registry/src/main.js');

/** The registry as its own process, distributed, as an operator runs it. */
function startRegistry(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [REGISTRY_MAIN], {
    env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function healthy(url: string): Promise<void> {
  await waitFor(
    `the registry at ${url}`,
    async () => ((await fetch(`${url}/health`).catch(() => undefined))?.ok ? true : undefined),
    60_000,
  );
}

async function post(url: string, body: unknown): Promise<Record<string, any>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as Record<string, any>;
  assert.equal(response.status, 200, JSON.stringify(answer));
  return answer;
}

describe('webhook delivery across a SIGKILL of the registry', () => {
  it('delivers every committed event after the worker is killed mid-retry; duplicates only repeat one id', async () => {
    const database = await createTestDatabase('webhook_crash');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = {
      LOGBOOK_MODE: 'distributed',
      LOGBOOK_AUTH: 'off',
      PORT: String(port),
      DATABASE_URL: database.url,
      KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
      LOGBOOK_KAFKA_NAMESPACE: uniqueName('webhook-crash'),
      MLFLOW_WEBHOOK_ALLOWED_SCHEMES: 'http',
      LOGBOOK_WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8',
      MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY: 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=',
      LOGBOOK_WEBHOOK_BACKOFF_BASE_MS: '100',
      LOGBOOK_WEBHOOK_BACKOFF_MAX_MS: '500',
    };
    const receiver = await new WebhookReceiver().up();
    let registry = startRegistry(env);
    try {
      await healthy(url);
      // The first attempt fails; the retry is held open until the registry is killed under it.
      let retryArrived!: () => void;
      const retryInFlight = new Promise<void>((resolve) => (retryArrived = resolve));
      receiver.answer = (_delivery, index) => {
        if (index === 0) return { status: 503 };
        if (index === 1) {
          retryArrived();
          return { status: 0, hold: true };
        }
        return { status: 200 };
      };
      await post(`${url}/api/2.0/mlflow/webhooks`, {
        name: 'crash-drill',
        url: receiver.url,
        events: [{ entity: 'REGISTERED_MODEL', action: 'CREATED' }],
        secret: SECRET,
      });
      const names = Array.from({ length: 5 }, (_, index) => `crash-${index}`);
      for (const name of names) await post(`${url}/api/2.0/mlflow/registered-models/create`, { name });

      await retryInFlight;
      registry.kill('SIGKILL');
      await once(registry, 'exit');

      registry = startRegistry(env);
      await healthy(url);
      await waitFor(
        'every model delivered',
        async () => (receiver.deliveredBodies().length === names.length ? true : undefined),
        60_000,
      );

      assert.deepEqual(
        receiver.deliveredBodies().map((body) => body.data.name),
        names,
        'each committed model arrived, in the order it was created',
      );
      const ids = receiver.received.map((delivery) => delivery.deliveryId);
      assert.equal(new Set(ids).size, names.length, 'one delivery id per event, however many times it was sent');
      assert.deepEqual(
        ids.slice(0, 3),
        [ids[0], ids[0], ids[0]],
        'the delivery tried before the kill, during it and after it kept its id',
      );
      assert.ok(receiver.received.every((delivery) => mlflowSignatureValid(delivery, SECRET)));
    } finally {
      registry.kill('SIGKILL');
      if (registry.exitCode === null && registry.signalCode === null) await once(registry, 'exit');
      await receiver.down();
      await database.drop();
    }
  });
});
