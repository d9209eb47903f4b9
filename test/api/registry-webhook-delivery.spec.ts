import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { createHttpApp } from '@logbook/platform';
import { databricksSignatureValid, mlflowSignatureValid, waitFor, WebhookReceiver } from '@logbook/testing';
import { loadRegistryConfig } from '../../services/registry/src/config';
import { RegistryModule } from '../../services/registry/src/registry.module';
import { RegistryRuntime, startRegistryRuntime } from '../../services/registry/src/registry.runtime';
import { injectAnswer, Method, ok } from './identity-fixtures';
import { RegistryStorage, registryStorages } from './registry-fixtures';

const logger = pino({ level: 'silent' });
const SECRET = 'receiver-secret';

/** Local receivers allowed, and retries fast enough for a test. */
const WEBHOOK_ENV = {
  MLFLOW_WEBHOOK_ALLOWED_SCHEMES: 'http,https',
  LOGBOOK_WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8',
  MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY: 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=',
  MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES: '3',
  LOGBOOK_WEBHOOK_BACKOFF_BASE_MS: '50',
  LOGBOOK_WEBHOOK_BACKOFF_MAX_MS: '400',
};

const SHAPES = registryStorages('webhooks');

for (const { shape, storage } of SHAPES) {
  describe(`webhook delivery on ${shape}`, () => {
    let app: NestFastifyApplication;
    let runtime: RegistryRuntime;
    let data: RegistryStorage;
    const receivers: WebhookReceiver[] = [];

    const call = (method: Method, path: string, body?: unknown) => injectAnswer(app, method, path, { body });
    const mlflow = (method: Method, path: string, body?: unknown) => call(method, `/api/2.0/mlflow/${path}`, body);
    const logbook = (method: Method, path: string, body?: unknown) =>
      call(method, `/api/2.0/logbook/webhooks/${path}`, body);
    const receiver = async () => {
      const started = await new WebhookReceiver().up();
      receivers.push(started);
      return started;
    };
    const createWebhook = async (url: string, body: Record<string, unknown>): Promise<string> =>
      ok(await mlflow('POST', 'webhooks', { name: `hook-${receivers.length}-${Date.now()}`, url, ...body })).webhook
        .webhook_id;
    const deliveries = async (webhookId: string) =>
      (ok(await logbook('GET', `${webhookId}/deliveries?max_results=1000`)).deliveries ?? []) as Array<
        Record<string, any>
      >;

    before(async () => {
      data = await storage();
      runtime = await startRegistryRuntime(loadRegistryConfig({ ...data.env, ...WEBHOOK_ENV }), logger);
      @Module({ imports: [RegistryModule.with(runtime)] })
      class TestModule {}
      app = await createHttpApp(TestModule, { logger, bodyLimitBytes: 1024 * 1024 });
      await app.init();
      await app.getHttpAdapter().getInstance().ready();
    });

    after(async () => {
      await app.close();
      await runtime.close();
      await Promise.all(receivers.map((started) => started.down()));
      await data.drop();
    });

    it('delivers every event committed while the receiver was down, in order, once it is back, under stable ids', async () => {
      const target = await receiver();
      const webhookId = await createWebhook(target.url, {
        events: [{ entity: 'REGISTERED_MODEL', action: 'CREATED' }],
        secret: SECRET,
      });
      await target.down();
      const names = Array.from({ length: 6 }, (_, index) => `down-${index}-${webhookId.slice(0, 6)}`);
      for (const name of names) ok(await mlflow('POST', 'registered-models/create', { name }));
      await waitFor('the first delivery failed twice', async () => {
        const [first] = (await deliveries(webhookId)).slice(-1);
        return first?.attempts >= 2 ? true : undefined;
      });
      await target.up();
      await waitFor('all six delivered', async () =>
        (await deliveries(webhookId)).every((delivery) => delivery.status === 'DELIVERED') &&
        (await deliveries(webhookId)).length === names.length
          ? true
          : undefined,
      );
      assert.deepEqual(
        target.deliveredBodies().map((body) => body.data.name),
        names,
        'each model arrived once, in the order it was created',
      );
      assert.ok(target.received.every((delivery) => mlflowSignatureValid(delivery, SECRET)));
      const ledger = await deliveries(webhookId);
      assert.deepEqual(
        new Set(ledger.map((delivery) => delivery.delivery_id)),
        new Set(target.deliveryIds()),
        'the ids the receiver saw are the ledger’s',
      );
      const [body] = target.deliveredBodies();
      assert.deepEqual(Object.keys(body).slice(0, 4), ['entity', 'action', 'timestamp', 'data']);
      assert.equal(body.entity, 'registered_model');
      assert.equal(body.action, 'created');
      const first = ledger.find((delivery) => delivery.delivery_id === target.deliveryIds()[0])!;
      const { delivery } = ok(await logbook('GET', `${webhookId}/deliveries/${first.delivery_id}`));
      assert.ok(delivery.history.length >= 3, 'two failed attempts while down, then the one delivered');
      assert.deepEqual(
        delivery.history.slice(0, 2).map((attempt: Record<string, unknown>) => [attempt.outcome, attempt.status_code]),
        [
          ['retryable', undefined],
          ['retryable', undefined],
        ],
      );
      assert.equal(delivery.history.at(-1).outcome, 'delivered');
      assert.equal(delivery.body, target.received.find((received) => received.deliveryId === first.delivery_id)?.body);
    });

    it('pauses a webhook that keeps failing, says why through the API, and resumes it once the receiver answers', async () => {
      const target = await receiver();
      let failing = true;
      target.answer = () => ({ status: failing ? 503 : 200 });
      const webhookId = await createWebhook(target.url, {
        events: [{ entity: 'REGISTERED_MODEL', action: 'CREATED' }],
      });
      ok(await mlflow('POST', 'registered-models/create', { name: `paused-${webhookId.slice(0, 6)}` }));
      const paused = await waitFor('paused', async () => {
        const { webhook } = ok(await logbook('GET', webhookId));
        return webhook.paused;
      });
      assert.match(paused.reason, /4 delivery attempts failed in a row; the last: HTTP 503/);
      const { webhook: listed } = ok(await mlflow('GET', `webhooks/${webhookId}`));
      assert.equal(listed.status, 'ACTIVE', "a pause is not the user's DISABLED");
      assert.deepEqual(listed.paused?.reason, paused.reason);
      failing = false;
      await waitFor('resumed', async () => {
        const { webhook } = ok(await logbook('GET', webhookId));
        return webhook.paused === undefined && webhook.deliveries.delivered === 1 ? true : undefined;
      });
    });

    it('dead-letters a refused delivery and redelivers it on request under the same id', async () => {
      const target = await receiver();
      let refusing = true;
      target.answer = () => ({ status: refusing ? 410 : 200 });
      const webhookId = await createWebhook(target.url, {
        events: [{ entity: 'REGISTERED_MODEL', action: 'CREATED' }],
      });
      ok(await mlflow('POST', 'registered-models/create', { name: `dead-${webhookId.slice(0, 6)}` }));
      const [dead] = await waitFor('dead-lettered', async () => {
        const found = (await deliveries(webhookId)).filter((delivery) => delivery.status === 'DEAD');
        return found.length === 1 ? found : undefined;
      });
      assert.equal(dead.last_status_code, 410);
      refusing = false;
      const { delivery } = ok(await logbook('POST', `${webhookId}/deliveries/${dead.delivery_id}/redeliver`));
      assert.equal(delivery.status, 'PENDING');
      await waitFor('redelivered', async () =>
        (await deliveries(webhookId))[0].status === 'DELIVERED' ? true : undefined,
      );
      assert.deepEqual(
        target.received.map((received) => [received.deliveryId, received.status]),
        [
          [dead.delivery_id, 410],
          [dead.delivery_id, 200],
        ],
      );
      const { delivery: detail } = ok(await logbook('GET', `${webhookId}/deliveries/${dead.delivery_id}`));
      assert.deepEqual(
        detail.history.map((attempt: Record<string, unknown>) => attempt.trigger),
        ['automatic', 'redelivery'],
      );
      const { redelivered } = ok(
        await logbook('POST', `${webhookId}/redeliver`, {
          start_time: 0,
          end_time: Date.now() + 1000,
          status: 'DELIVERED',
        }),
      );
      assert.equal(redelivered, 1);
      await waitFor('delivered a third time', async () => (target.received.length === 3 ? true : undefined));
    });

    it('sends nothing to a disabled webhook, at once, and nothing it was not subscribed to when it happened', async () => {
      const target = await receiver();
      const webhookId = await createWebhook(target.url, {
        events: [{ entity: 'REGISTERED_MODEL', action: 'CREATED' }],
      });
      ok(await mlflow('PATCH', `webhooks/${webhookId}`, { status: 'DISABLED' }));
      ok(await mlflow('POST', 'registered-models/create', { name: `while-disabled-${webhookId.slice(0, 6)}` }));
      ok(await mlflow('PATCH', `webhooks/${webhookId}`, { status: 'ACTIVE' }));
      ok(await mlflow('POST', 'registered-models/create', { name: `after-${webhookId.slice(0, 6)}` }));
      await waitFor('one delivered', async () => (target.deliveredBodies().length === 1 ? true : undefined));
      assert.deepEqual(
        target.deliveredBodies().map((body) => body.data.name),
        [`after-${webhookId.slice(0, 6)}`],
      );
      assert.equal((await deliveries(webhookId)).length, 1, 'nothing was queued while it was disabled');
    });

    it('refuses to follow a redirect, even to an allowed address', async () => {
      const target = await receiver();
      target.answer = () => ({ status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data/' } });
      const webhookId = await createWebhook(target.url, {
        events: [{ entity: 'REGISTERED_MODEL', action: 'CREATED' }],
      });
      ok(await mlflow('POST', 'registered-models/create', { name: `redirected-${webhookId.slice(0, 6)}` }));
      const [dead] = await waitFor('dead-lettered', async () => {
        const found = (await deliveries(webhookId)).filter((delivery) => delivery.status === 'DEAD');
        return found.length === 1 ? found : undefined;
      });
      assert.equal(dead.last_status_code, 302);
      assert.match(dead.last_error, /redirect/i);
      assert.equal(target.received.length, 1);
    });

    it('delivers Logbook’s events with the actor and Databricks’ with its signature, to a model-scoped webhook', async () => {
      const name = `scoped-${Date.now()}`;
      ok(await mlflow('POST', 'registered-models/create', { name }));
      ok(await mlflow('POST', 'model-versions/create', { name, source: 'mlflow-artifacts:/0/abc/artifacts/model' }));
      const mlflowTarget = await receiver();
      const databricksTarget = await receiver();
      await createWebhook(mlflowTarget.url, {
        events: [{ entity: 'MODEL_VERSION_TAG', action: 'SET' }],
        logbook_events: ['model_version.stage_transitioned'],
      });
      ok(
        await mlflow('POST', 'registry-webhooks/create', {
          model_name: name,
          events: ['MODEL_VERSION_TRANSITIONED_STAGE', 'MODEL_VERSION_TRANSITIONED_TO_STAGING'],
          http_url_spec: { url: databricksTarget.url, secret: SECRET },
        }),
      );
      ok(
        await mlflow('POST', 'model-versions/transition-stage', {
          name,
          version: '1',
          stage: 'Staging',
          archive_existing_versions: false,
        }),
      );
      const [transitioned] = await waitFor('the MLflow-style delivery', async () => {
        const bodies = mlflowTarget.deliveredBodies();
        return bodies.length === 1 ? bodies : undefined;
      });
      assert.equal(transitioned.entity, 'model_version');
      assert.equal(transitioned.action, 'stage_transitioned');
      assert.ok(transitioned.logbook.event_id, 'the event id');
      assert.ok(transitioned.logbook.actor, 'the actor');
      const databricks = await waitFor('both Databricks deliveries', async () => {
        const bodies = databricksTarget.deliveredBodies();
        return bodies.length === 2 ? bodies : undefined;
      });
      assert.deepEqual(
        databricks.map((body) => [body.event, body.model_name, body.version, body.from_stage, body.to_stage]),
        [
          ['MODEL_VERSION_TRANSITIONED_STAGE', name, '1', 'None', 'Staging'],
          ['MODEL_VERSION_TRANSITIONED_TO_STAGING', name, '1', 'None', 'Staging'],
        ],
      );
      assert.ok(databricksTarget.received.every((delivery) => databricksSignatureValid(delivery, SECRET)));
    });
  });
}
