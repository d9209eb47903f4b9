import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify from 'fastify';
import pino from 'pino';
import { systemActor } from '@logbook/platform';
import { createTestDatabase, testInfra } from '@logbook/testing';
import { registerRoutes, routingTable } from '../../services/gateway/src/routing';
import { upstreamPools } from '../../services/gateway/src/upstream-pool';
import { loadRegistryConfig } from '../../services/registry/src/config';
import { startRegistryRuntime } from '../../services/registry/src/registry.runtime';
import { SecretBox } from '../../services/registry/src/webhooks/delivery/secret-box';
import { webhookStream, webhookStreamId } from '../../services/registry/src/webhooks/webhook.decider';
import { WebhooksService } from '../../services/registry/src/webhooks/webhooks.service';
import { Answer, fails, Method, ok } from './identity-fixtures';
import { AuthorizedRegistryApi, startAuthorizedRegistry } from './registry-authorization-fixtures';

const ADMIN = 'root';
const PASSWORD = 'a password of 20 chars';
const asAdmin = `${ADMIN}:admin`;
/** A Fernet key: 32 random bytes in URL-safe base64, padded, as Python's Fernet.generate_key() gives. */
const fernetKey = () => randomBytes(32).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
const KEY = fernetKey();
const OVERLAP_S = 2;

/** What a local receiver was sent. */
interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1 that answers `status` with `reply`, and keeps what it was sent. */
async function startReceiver(status = 200, reply = 'received') {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(status, { 'content-type': 'text/plain' }).end(reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * MLflow's documented check, written from its webhook docs: `X-MLflow-Signature` holds `v1,<base64 of
 * HMAC-SHA256(secret, "<delivery id>.<timestamp>.<body>")>`, one per secret, separated by spaces.
 */
function mlflowSignatureVerifies(received: Received, secret: string): boolean {
  const id = String(received.headers['x-mlflow-delivery-id']);
  const timestamp = String(received.headers['x-mlflow-timestamp']);
  const expected = createHmac('sha256', secret).update(`${id}.${timestamp}.${received.body}`).digest('base64');
  return String(received.headers['x-mlflow-signature'] ?? '')
    .split(' ')
    .includes(`v1,${expected}`);
}

/** Databricks' scheme: `X-Databricks-Signature` is the hex HMAC-SHA256 of the body with the secret. */
function databricksSignatureVerifies(received: Received, secret: string): boolean {
  const expected = createHmac('sha256', secret).update(received.body).digest('hex');
  return String(received.headers['x-databricks-signature'] ?? '')
    .split(' ')
    .includes(expected);
}

/**
 * Both webhook APIs on the registry with authentication on (identity's grants), settings that let a
 * webhook call a receiver on 127.0.0.1 over plain http, and a Fernet key for the secrets.
 */
describe('webhooks API (MLflow 3 and Databricks) on real Postgres', () => {
  let api: AuthorizedRegistryApi;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let owner: string;
  let stranger: string;
  const box = SecretBox.fromKey(KEY);

  const withQuery = (url: string, query?: Record<string, string | string[]>) => {
    if (!query) return url;
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query))
      for (const one of ([] as string[]).concat(value)) search.append(key, one);
    return `${url}?${search}`;
  };
  const webhooks = (method: Method, path = '', body?: unknown, as = asAdmin, prefix = 'api') =>
    api.call(method, `/${prefix}/2.0/mlflow/webhooks${path}`, { as, body });
  const registryWebhooks = (method: Method, path: string, as: string, params: Record<string, any> = {}) =>
    method === 'GET' || method === 'DELETE'
      ? api.call(method, withQuery(`/api/2.0/mlflow/registry-webhooks/${path}`, params), { as })
      : api.call(method, `/api/2.0/mlflow/registry-webhooks/${path}`, { as, body: params });
  const identity = (path: string, body: unknown, version = '3.0') =>
    api.call('POST', `/api/${version}/mlflow/${path}`, { as: asAdmin, body });

  /** The webhook rows and webhook events stored: a refused request leaves both as they were. */
  const stored = async () => {
    const rows = await api.registry.db.query(`SELECT count(*)::int AS n FROM registry.webhooks`);
    const events = await api.registry.db.query(
      `SELECT count(*)::int AS n FROM registry.events WHERE stream_type = 'webhook'`,
    );
    return { rows: rows.rows[0].n as number, events: events.rows[0].n as number };
  };
  const refusesUnchanged = async (request: () => Promise<Answer>, status: number, code: string, message?: string) => {
    const before = await stored();
    fails(await request(), status, code, message);
    assert.deepEqual(await stored(), before);
  };
  const storedRow = async (webhookId: string) =>
    (await api.registry.db.query(`SELECT * FROM registry.webhooks WHERE webhook_id = $1`, [webhookId]))
      .rows[0] as Record<string, any>;
  const service = () => api.app.get(WebhooksService);
  const meta = () => ({ now: Date.now(), actor: systemActor('delivery'), requestId: 'delivery-worker' });

  const createMlflow = async (overrides: Record<string, unknown> = {}) =>
    ok(
      await webhooks('POST', '', {
        name: 'promotions',
        url: receiver.url,
        events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
        ...overrides,
      }),
    ).webhook as Record<string, any>;

  before(async () => {
    api = await startAuthorizedRegistry('registry_webhooks', [ADMIN, PASSWORD], 'NO_PERMISSIONS', undefined, {
      MLFLOW_WEBHOOK_ALLOWED_SCHEMES: 'http,https',
      LOGBOOK_WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8',
      MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY: KEY,
      LOGBOOK_WEBHOOK_SECRET_ROTATION_OVERLAP_S: String(OVERLAP_S),
    });
    receiver = await startReceiver();
    for (const username of ['owner', 'stranger']) {
      ok(await identity('users/create', { username, password: PASSWORD }, '2.0'));
    }
    owner = 'owner';
    stranger = 'stranger';
    ok(await api.call('POST', '/api/2.0/mlflow/registered-models/create', { as: owner, body: { name: 'fraud' } }));
  });

  after(async () => {
    await receiver?.close();
    await api?.close();
  });

  describe('MLflow webhooks', () => {
    it("creates, gets, lists, updates and deletes a webhook in MLflow's JSON, under both prefixes", async () => {
      const webhook = await createMlflow({
        name: 'crud.hook-1',
        description: 'deploy bot',
        secret: 'first-secret',
        logbook_events: ['transition_request.approved'],
      });
      assert.deepEqual(Object.keys(webhook).sort(), [
        'creation_timestamp',
        'description',
        'events',
        'last_updated_timestamp',
        'logbook_events',
        'name',
        'status',
        'url',
        'webhook_id',
      ]);
      assert.equal(webhook.name, 'crud.hook-1');
      assert.equal(webhook.description, 'deploy bot');
      assert.equal(webhook.url, receiver.url);
      assert.deepEqual(webhook.events, [{ entity: 'MODEL_VERSION', action: 'CREATED' }]);
      assert.deepEqual(webhook.logbook_events, ['transition_request.approved']);
      assert.equal(webhook.status, 'ACTIVE');
      assert.equal(webhook.creation_timestamp, webhook.last_updated_timestamp);
      const id = webhook.webhook_id as string;

      assert.deepEqual(ok(await webhooks('GET', `/${id}`)).webhook, webhook);
      assert.deepEqual(ok(await webhooks('GET', `/${id}`, undefined, asAdmin, 'ajax-api')).webhook, webhook);
      assert.ok(ok(await webhooks('GET')).webhooks.some((listed: any) => listed.webhook_id === id));

      const updated = ok(
        await webhooks('PATCH', `/${id}`, {
          name: '',
          description: '',
          events: [
            { entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' },
            { entity: 'MODEL_VERSION_TAG', action: 'SET' },
          ],
          status: 'DISABLED',
        }),
      ).webhook;
      assert.equal(updated.name, 'crud.hook-1', 'an empty name keeps the name');
      assert.equal(updated.description, undefined, 'an empty description clears it');
      assert.deepEqual(updated.events, [
        { entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' },
        { entity: 'MODEL_VERSION_TAG', action: 'SET' },
      ]);
      assert.deepEqual(updated.logbook_events, ['transition_request.approved'], 'events replace only MLflow events');
      assert.equal(updated.status, 'DISABLED');
      assert.ok(updated.last_updated_timestamp >= webhook.last_updated_timestamp);

      ok(await webhooks('DELETE', `/${id}`));
      fails(await webhooks('GET', `/${id}`), 404, 'RESOURCE_DOES_NOT_EXIST', `Webhook with ID ${id} not found.`);
      fails(await webhooks('DELETE', `/${id}`), 404, 'RESOURCE_DOES_NOT_EXIST', `Webhook with ID ${id} not found.`);
      fails(await webhooks('PATCH', `/${id}`, { name: 'again' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    });

    it('lists newest first, a page at a time, and refuses a page size outside 1..1000', async () => {
      const first = await createMlflow({ name: 'page-a' });
      const second = await createMlflow({ name: 'page-b' });
      const page = ok(await webhooks('GET', '?max_results=1'));
      assert.deepEqual(
        page.webhooks.map((w: any) => w.webhook_id),
        [second.webhook_id],
      );
      const next = ok(await webhooks('GET', `?max_results=1&page_token=${encodeURIComponent(page.next_page_token)}`));
      assert.deepEqual(
        next.webhooks.map((w: any) => w.webhook_id),
        [first.webhook_id],
      );
      fails(
        await webhooks('GET', '?max_results=1001'),
        400,
        'INVALID_PARAMETER_VALUE',
        'max_results must be between 1 and 1000.',
      );
    });

    it('refuses each bad input with 400 and stores nothing', async () => {
      const body = (overrides: Record<string, unknown>) => ({
        name: 'valid',
        url: receiver.url,
        events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
        ...overrides,
      });
      const create = (overrides: Record<string, unknown>) => () => webhooks('POST', '', body(overrides));
      await refusesUnchanged(
        create({ name: '-bad name' }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Webhook name '-bad name' is invalid. It must start and end with a letter or digit, be less than 63 characters long, and contain only letters, digits, dots (.), underscores (_), and hyphens (-).",
      );
      await refusesUnchanged(create({ url: 'ftp://127.0.0.1/hook' }), 400, 'INVALID_PARAMETER_VALUE');
      await refusesUnchanged(create({ url: 'http://10.1.2.3/hook' }), 400, 'INVALID_PARAMETER_VALUE');
      await refusesUnchanged(
        create({ events: [] }),
        400,
        'INVALID_PARAMETER_VALUE',
        'Webhook events must be a non-empty list of WebhookEvent objects: [].',
      );
      await refusesUnchanged(
        create({ events: [{ entity: 'MODEL_VERSION_TAG', action: 'CREATED' }] }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Invalid action 'created' for entity 'model_version_tag'. Valid actions are: ['deleted', 'set']",
      );
      await refusesUnchanged(
        create({ events: [{ entity: 'EXPERIMENT', action: 'CREATED' }] }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      await refusesUnchanged(create({ logbook_events: ['run.created'] }), 400, 'INVALID_PARAMETER_VALUE');
      await refusesUnchanged(create({ name: undefined }), 400, 'INVALID_PARAMETER_VALUE');
      await refusesUnchanged(create({ status: 'PAUSED' }), 400, 'INVALID_PARAMETER_VALUE');
      const webhook = await createMlflow({ name: 'to-refuse' });
      const update = (changes: Record<string, unknown>) => () => webhooks('PATCH', `/${webhook.webhook_id}`, changes);
      await refusesUnchanged(update({ url: 'http://169.254.169.254/latest' }), 400, 'INVALID_PARAMETER_VALUE');
      await refusesUnchanged(update({ name: 'no spaces allowed' }), 400, 'INVALID_PARAMETER_VALUE');
      assert.deepEqual(ok(await webhooks('GET', `/${webhook.webhook_id}`)).webhook, webhook);
    });

    it('is for admins only, as MLflow 3.17 has it', async () => {
      const webhook = await createMlflow({ name: 'admins-only' });
      await refusesUnchanged(
        () => webhooks('POST', '', { name: 'mine', url: receiver.url, events: [] }, owner),
        403,
        'PERMISSION_DENIED',
      );
      fails(await webhooks('GET', '', undefined, owner), 403, 'PERMISSION_DENIED');
      fails(await webhooks('GET', `/${webhook.webhook_id}`, undefined, owner), 403, 'PERMISSION_DENIED');
      fails(await webhooks('DELETE', `/${webhook.webhook_id}`, undefined, owner), 403, 'PERMISSION_DENIED');
    });

    it('never answers the secret, and stores it only as Fernet ciphertext, in the table and in the log', async () => {
      const secret = 'a-secret-nobody-reads';
      const answer = await webhooks('POST', '', {
        name: 'secretive',
        url: receiver.url,
        events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
        secret,
      });
      const webhook = ok(answer).webhook;
      assert.ok(!answer.text.includes(secret));
      assert.ok(!(await webhooks('GET', `/${webhook.webhook_id}`)).text.includes(secret));
      const row = await storedRow(webhook.webhook_id);
      assert.equal(row.secrets.length, 1);
      assert.equal(row.secrets[0].until, null);
      assert.notEqual(row.secrets[0].ciphertext, secret);
      assert.equal(box.decrypt(row.secrets[0].ciphertext), secret);
      const logged = await api.registry.db.query(
        `SELECT data::text AS data FROM registry.events WHERE stream_id = $1`,
        [webhookStreamId(webhook.webhook_id)],
      );
      assert.ok(logged.rows.length > 0);
      for (const { data } of logged.rows) assert.ok(!String(data).includes(secret));
      const audit = await api.registry.db.query(`SELECT * FROM registry.audit_log WHERE stream_id = $1`, [
        webhookStreamId(webhook.webhook_id),
      ]);
      assert.equal(audit.rows.length, 1, 'the creation is in the audit trail');
      assert.ok(!JSON.stringify(audit.rows).includes(row.secrets[0].ciphertext));
    });

    it('sends a signed example through the test endpoint, and keeps the old secret signing until the overlap ends', async () => {
      const webhook = await createMlflow({ name: 'rotating', secret: 'old-secret' });
      const id = webhook.webhook_id as string;
      const tested = ok(await webhooks('POST', `/${id}/test`, {}));
      assert.deepEqual(tested, { result: { success: true, response_status: 200, response_body: 'received' } });
      const first = receiver.received.at(-1)!;
      assert.ok(mlflowSignatureVerifies(first, 'old-secret'));
      assert.equal(JSON.parse(first.body).entity, 'model_version');

      ok(await webhooks('PATCH', `/${id}`, { secret: 'new-secret' }));
      const rotated = await storedRow(id);
      assert.deepEqual(
        rotated.secrets.map((s: any) => [box.decrypt(s.ciphertext), s.until === null]),
        [
          ['new-secret', true],
          ['old-secret', false],
        ],
      );
      assert.equal(Number(rotated.secrets[1].until), Number(rotated.last_updated_timestamp) + OVERLAP_S * 1000);
      ok(await webhooks('POST', `/${id}/test`, { event: { entity: 'MODEL_VERSION_TAG', action: 'SET' } }));
      const during = receiver.received.at(-1)!;
      assert.equal(JSON.parse(during.body).entity, 'model_version_tag');
      assert.ok(mlflowSignatureVerifies(during, 'new-secret') && mlflowSignatureVerifies(during, 'old-secret'));

      await sleep(OVERLAP_S * 1000 + 100);
      ok(await webhooks('PATCH', `/${id}`, { description: 'after the overlap' }));
      const afterOverlap = await storedRow(id);
      assert.deepEqual(
        afterOverlap.secrets.map((s: any) => box.decrypt(s.ciphertext)),
        ['new-secret'],
      );
      ok(await webhooks('POST', `/${id}/test`, {}));
      const later = receiver.received.at(-1)!;
      assert.ok(mlflowSignatureVerifies(later, 'new-secret') && !mlflowSignatureVerifies(later, 'old-secret'));
    });

    it('answers what the receiver said, or why nothing was said', async () => {
      const failing = await startReceiver(500, 'boom');
      try {
        const webhook = await createMlflow({ name: 'failing', url: failing.url });
        assert.deepEqual(ok(await webhooks('POST', `/${webhook.webhook_id}/test`, {})), {
          result: { success: false, response_status: 500, response_body: 'boom' },
        });
      } finally {
        await failing.close();
      }
      const gone = await createMlflow({ name: 'gone', url: failing.url });
      const { result } = ok(await webhooks('POST', `/${gone.webhook_id}/test`, {}));
      assert.equal(result.success, false);
      assert.match(result.error_message, /^Failed to test webhook: /);
    });

    it('shows a pause of the delivery worker, with its reason, until it resumes', async () => {
      const webhook = await createMlflow({ name: 'pausable' });
      const id = webhook.webhook_id as string;
      await service().pause(id, '4 failed attempts in a row: HTTP 503', meta());
      await service().pause(id, 'again', meta());
      const paused = ok(await webhooks('GET', `/${id}`)).webhook;
      assert.equal(paused.paused.reason, '4 failed attempts in a row: HTTP 503');
      assert.equal(typeof paused.paused.since, 'number');
      await service().resume(id, 'probe delivered: HTTP 200', meta());
      assert.equal(ok(await webhooks('GET', `/${id}`)).webhook.paused, undefined);
      const types = await api.registry.db.query(
        `SELECT type FROM registry.events WHERE stream_id = $1 ORDER BY stream_position`,
        [webhookStreamId(id)],
      );
      assert.deepEqual(
        types.rows.map((row) => row.type),
        ['WebhookCreated', 'WebhookPaused', 'WebhookResumed'],
      );
    });
  });

  it('is routed to the registry by the distributed gateway: both APIs and the ledger, under both prefixes', async () => {
    await api.app.listen(0, '127.0.0.1');
    const registry = `http://127.0.0.1:${(api.app.getHttpServer().address() as AddressInfo).port}`;
    const gateway = Fastify();
    // Nothing listens on port 9: a route that went to tracking or artifacts would answer 503.
    const nowhere = 'http://127.0.0.1:9';
    await registerRoutes(
      gateway,
      routingTable(upstreamPools({ tracking: nowhere, artifacts: nowhere, registry })),
      pino({ level: 'silent' }),
    );
    const base = await gateway.listen({ port: 0, host: '127.0.0.1' });
    const send = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      assert.equal(response.status, 200, `${method} ${path}: ${await response.clone().text()}`);
      return (await response.json()) as Record<string, any>;
    };
    try {
      for (const prefix of ['/api', '/ajax-api']) {
        const { webhook } = await send('POST', `${prefix}/2.0/mlflow/webhooks`, {
          name: 'routed',
          url: receiver.url,
          events: [{ entity: 'REGISTERED_MODEL', action: 'CREATED' }],
        });
        assert.ok((await send('GET', `${prefix}/2.0/mlflow/webhooks`)).webhooks.length > 0);
        await send('PATCH', `${prefix}/2.0/mlflow/webhooks/${webhook.webhook_id}`, { description: 'via the gateway' });
        assert.equal(
          (await send('POST', `${prefix}/2.0/mlflow/webhooks/${webhook.webhook_id}/test`, {})).result.success,
          true,
        );
        assert.equal(
          (await send('GET', `${prefix}/2.0/logbook/webhooks/${webhook.webhook_id}`)).webhook.status,
          'ACTIVE',
        );
        await send('GET', `${prefix}/2.0/logbook/webhooks/${webhook.webhook_id}/deliveries`);
        await send('DELETE', `${prefix}/2.0/mlflow/webhooks/${webhook.webhook_id}`);
        await send('GET', `${prefix}/2.0/mlflow/registry-webhooks/list?model_name=fraud`);
      }
    } finally {
      await gateway.close();
    }
  });

  describe('Databricks registry webhooks', () => {
    const spec = (overrides: Record<string, unknown> = {}) => ({ url: receiver.url, ...overrides });

    it("creates, lists, updates, tests and deletes a model webhook as its manager, in the SDK's shapes", async () => {
      const created = ok(
        await registryWebhooks('POST', 'create', owner, {
          model_name: 'fraud',
          events: ['MODEL_VERSION_CREATED', 'TRANSITION_REQUEST_TO_PRODUCTION_CREATED', 'TRANSITION_REQUEST_APPROVED'],
          description: 'risk team',
          http_url_spec: spec({ secret: 'db-secret', authorization: 'Bearer t0ken' }),
        }),
      ).webhook;
      assert.deepEqual(Object.keys(created).sort(), [
        'creation_timestamp',
        'description',
        'events',
        'http_url_spec',
        'id',
        'last_updated_timestamp',
        'model_name',
        'status',
      ]);
      assert.deepEqual(created.http_url_spec, { url: receiver.url, enable_ssl_verification: true });
      assert.equal(created.status, 'ACTIVE');
      assert.equal(created.model_name, 'fraud');
      const row = await storedRow(created.id);
      assert.equal(box.decrypt(row.authorization_header), 'Bearer t0ken');

      const listed = ok(await registryWebhooks('GET', 'list', owner, { model_name: 'fraud' })).webhooks;
      assert.deepEqual(listed, [created]);
      const byEvent = ok(await registryWebhooks('GET', 'list', asAdmin, { events: 'TRANSITION_REQUEST_APPROVED' }));
      assert.deepEqual(
        byEvent.webhooks.map((w: any) => w.id),
        [created.id],
      );
      assert.deepEqual(
        ok(await registryWebhooks('GET', 'list', asAdmin, { events: 'COMMENT_CREATED' })),
        {},
        'an empty list is left out, as protobuf JSON does',
      );

      const updated = ok(
        await registryWebhooks('PATCH', 'update', owner, {
          id: created.id,
          status: 'TEST_MODE',
          http_url_spec: spec({ enable_ssl_verification: false, authorization: '' }),
        }),
      ).webhook;
      assert.equal(updated.status, 'TEST_MODE');
      assert.deepEqual(updated.http_url_spec, { url: receiver.url, enable_ssl_verification: false });
      assert.equal((await storedRow(created.id)).authorization_header, null, 'an empty authorization removes it');

      const tested = ok(await registryWebhooks('POST', 'test', owner, { id: created.id }));
      assert.deepEqual(tested, { webhook: { status_code: 200, body: 'received' }, status_code: 200, body: 'received' });
      const delivery = receiver.received.at(-1)!;
      assert.ok(databricksSignatureVerifies(delivery, 'db-secret'));
      assert.equal(delivery.headers.authorization, undefined);

      // Each API sees only its own webhooks.
      fails(await webhooks('GET', `/${created.id}`), 404, 'RESOURCE_DOES_NOT_EXIST');
      assert.ok(!ok(await webhooks('GET')).webhooks.some((w: any) => w.webhook_id === created.id));

      ok(await registryWebhooks('DELETE', 'delete', owner, { id: created.id }));
      fails(await registryWebhooks('DELETE', 'delete', owner, { id: created.id }), 404, 'RESOURCE_DOES_NOT_EXIST');
    });

    it('keeps its scope rules: MANAGE on the model, admins for registry-wide, REGISTERED_MODEL_CREATED registry-wide only', async () => {
      await refusesUnchanged(
        () =>
          registryWebhooks('POST', 'create', stranger, {
            model_name: 'fraud',
            events: ['MODEL_VERSION_CREATED'],
            http_url_spec: spec(),
          }),
        403,
        'PERMISSION_DENIED',
      );
      await refusesUnchanged(
        () =>
          registryWebhooks('POST', 'create', owner, { events: ['REGISTERED_MODEL_CREATED'], http_url_spec: spec() }),
        403,
        'PERMISSION_DENIED',
      );
      await refusesUnchanged(
        () =>
          registryWebhooks('POST', 'create', owner, {
            model_name: 'fraud',
            events: ['REGISTERED_MODEL_CREATED'],
            http_url_spec: spec(),
          }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      await refusesUnchanged(
        () =>
          registryWebhooks('POST', 'create', asAdmin, {
            model_name: 'no-such-model',
            events: ['MODEL_VERSION_CREATED'],
            http_url_spec: spec(),
          }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'Registered Model with name=no-such-model not found',
      );
      await refusesUnchanged(
        () =>
          registryWebhooks('POST', 'create', asAdmin, {
            events: ['MODEL_VERSION_CREATED'],
            job_spec: { job_id: '1', access_token: 'x' },
          }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      await refusesUnchanged(
        () => registryWebhooks('POST', 'create', asAdmin, { events: ['SOMETHING_ELSE'], http_url_spec: spec() }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      await refusesUnchanged(
        () =>
          registryWebhooks('POST', 'create', asAdmin, {
            events: ['MODEL_VERSION_CREATED'],
            http_url_spec: spec({ url: 'http://192.168.1.1/' }),
          }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      const wide = ok(
        await registryWebhooks('POST', 'create', asAdmin, {
          events: ['REGISTERED_MODEL_CREATED'],
          http_url_spec: spec(),
        }),
      ).webhook;
      assert.equal(wide.model_name, undefined);
      fails(await registryWebhooks('GET', 'list', owner), 403, 'PERMISSION_DENIED');
      fails(
        await registryWebhooks('PATCH', 'update', owner, { id: wide.id, status: 'DISABLED' }),
        403,
        'PERMISSION_DENIED',
      );
      fails(await registryWebhooks('DELETE', 'delete', owner, { id: wide.id }), 403, 'PERMISSION_DENIED');
      const scoped = ok(
        await registryWebhooks('POST', 'create', owner, {
          model_name: 'fraud',
          events: ['COMMENT_CREATED'],
          http_url_spec: spec(),
        }),
      ).webhook;
      fails(await registryWebhooks('POST', 'test', stranger, { id: scoped.id }), 403, 'PERMISSION_DENIED');
      fails(
        await registryWebhooks('PATCH', 'update', owner, { id: scoped.id, events: ['REGISTERED_MODEL_CREATED'] }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
    });
  });
});

describe('a registry holding webhook secrets, started again', () => {
  it('refuses to start without the encryption key, or with another key', async () => {
    const database = await createTestDatabase('registry_webhook_keys');
    const env = (key?: string) => ({
      LOGBOOK_MODE: 'distributed',
      DATABASE_URL: database.url,
      KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
      ...(key ? { MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY: key } : {}),
    });
    const logger = pino({ level: 'silent' });
    try {
      const first = await startRegistryRuntime(loadRegistryConfig(env(KEY)), logger);
      const webhookId = 'b1c7a0de-5f3e-4c1a-9d2b-7e6f5a4b3c2d';
      const metadata = { now: Date.now(), actor: systemActor('registry'), requestId: 'seed' };
      await first.store.handle(
        webhookStream,
        webhookStreamId(webhookId),
        {
          type: 'CreateWebhook',
          data: {
            webhookId,
            flavor: 'mlflow',
            name: 'signed',
            description: null,
            url: 'https://hooks.example.com/',
            events: ['model_version.created'],
            modelName: null,
            status: 'ACTIVE',
            secretCiphertext: SecretBox.fromKey(KEY).encrypt('s3cret'),
            authorizationCiphertext: null,
            enableSslVerification: true,
          },
          metadata,
        },
        metadata,
      );
      await first.close();
      await assert.rejects(
        startRegistryRuntime(loadRegistryConfig(env()), logger),
        /MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY is not set/,
      );
      await assert.rejects(
        startRegistryRuntime(loadRegistryConfig(env(fernetKey())), logger),
        /MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY cannot decrypt/,
      );
      const again = await startRegistryRuntime(loadRegistryConfig(env(KEY)), logger);
      await again.close();
    } finally {
      await database.drop();
    }
  });

  it('refuses a secret while no key is configured, naming the variable', async () => {
    const api = await startAuthorizedRegistry(
      'registry_webhooks_no_key',
      [ADMIN, PASSWORD],
      'NO_PERMISSIONS',
      undefined,
      {
        MLFLOW_WEBHOOK_ALLOWED_SCHEMES: 'http,https',
        LOGBOOK_WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8',
      },
    );
    try {
      const body = {
        name: 'keyless',
        url: 'http://127.0.0.1:9/hook',
        events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
      };
      const refused = await api.call('POST', '/api/2.0/mlflow/webhooks', {
        as: asAdmin,
        body: { ...body, secret: 'x' },
      });
      fails(refused, 400, 'INVALID_PARAMETER_VALUE');
      assert.match(refused.json.message, /MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY/);
      ok(await api.call('POST', '/api/2.0/mlflow/webhooks', { as: asAdmin, body }));
    } finally {
      await api.close();
    }
  });
});
