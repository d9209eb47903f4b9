import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ChannelCredentials, credentials, loadPackageDefinition, ServiceError, status as Status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { freePort, waitFor, WebhookReceiver } from '@logbook/testing';

const REPO = join(__dirname, '..', '..', '..');
const PROTO_ROOT = join(REPO, 'libs', 'contracts', 'proto');
const SHAPES = join(REPO, 'test', 'support', 'shapes.sh');

/** As the gateway decodes them, so answers read as the REST API writes them but with int64 as strings. */
const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: false, oneofs: false };

type Message = Record<string, unknown>;
type Unary = (request: Message, callback: (error: ServiceError | null, answer: Message) => void) => void;
type Client = Record<string, Unary> & { close(): void };
type ClientConstructor = new (address: string, channelCredentials: ChannelCredentials) => Client;

const protoFiles = (folder: string): string[] =>
  readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? protoFiles(join(folder, entry.name))
      : entry.name.endsWith('.proto')
        ? [relative(PROTO_ROOT, join(folder, entry.name))]
        : [],
  );

/** REST answers write int64 as JSON numbers and may hold nulls; protobuf messages hold neither. */
const isInt64 = (key: string) => key.endsWith('timestamp') || ['evaluated_at', 'expires_at', 'since'].includes(key);
function asMessage(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asMessage);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, item]) => item !== null)
      .map(([key, item]) => [key, isInt64(key) && typeof item === 'number' ? String(item) : asMessage(item)]),
  );
}

/**
 * Logbook's own gRPC services (libs/contracts/proto/logbook/v1) against the embedded shape, as a client
 * generated from the .proto files calls them: a transition request driven to its stage, the audit row
 * that recorded it, a policy and its evaluation, and the answers held against the REST routes they mirror.
 */
describe("gRPC: Logbook's governance, audit, ledger and history services", () => {
  let stateDir: string;
  let baseUrl: string;
  let services: Record<string, Client>;

  const call = (service: string, method: string, request: Message = {}) =>
    new Promise<Message>((resolve, reject) =>
      services[service][method].call(services[service], request, (error, answer) =>
        error ? reject(error) : resolve(answer),
      ),
    );
  const refusal = async (answer: Promise<unknown>): Promise<ServiceError> => {
    try {
      await answer;
    } catch (error) {
      return error as ServiceError;
    }
    assert.fail('the call was answered where a refusal was expected');
  };
  const rest = async (path: string) => {
    const response = await fetch(`${baseUrl}/api/2.0/${path}`);
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as Message;
  };

  const registry = (method: string, request: Message) => call('mlflow.ModelRegistryService', method, request);
  const requests = (method: string, request: Message) => call('logbook.v1.TransitionRequestService', method, request);
  const policies = (method: string, request: Message) => call('logbook.v1.PolicyService', method, request);
  const audit = (method: string, request: Message = {}) => call('logbook.v1.AuditService', method, request);
  const ledger = (method: string, request: Message) => call('logbook.v1.WebhookLedgerService', method, request);
  const history = (method: string, request: Message) => call('logbook.v1.RegistryHistoryService', method, request);

  const modelWithVersion = async (prefix: string) => {
    const name = `${prefix}-${randomUUID().slice(0, 8)}`;
    await registry('createRegisteredModel', { name });
    await registry('createModelVersion', { name, source: `runs:/${'a'.repeat(32)}/model` });
    return name;
  };

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'logbook-grpc-services-'));
    const [port, grpcPort] = [await freePort(), await freePort()];
    baseUrl = execFileSync('bash', [SHAPES, 'start', 'embedded', String(port), stateDir], {
      env: { ...process.env, GRPC_PORT: String(grpcPort) },
      encoding: 'utf8',
    }).trim();
    const { mlflow, logbook } = loadPackageDefinition(
      loadSync(protoFiles(PROTO_ROOT), { ...LOADER_OPTIONS, includeDirs: [PROTO_ROOT] }),
    ) as unknown as { mlflow: Record<string, ClientConstructor>; logbook: { v1: Record<string, ClientConstructor> } };
    const client = (constructor: ClientConstructor) =>
      new constructor(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
    services = Object.fromEntries([
      ...['MlflowService', 'ModelRegistryService', 'WebhookService'].map((name) => [
        `mlflow.${name}`,
        client(mlflow[name]),
      ]),
      ...[
        'TransitionRequestService',
        'PolicyService',
        'AuditService',
        'WebhookLedgerService',
        'RegistryHistoryService',
      ].map((name) => [`logbook.v1.${name}`, client(logbook.v1[name])]),
    ]);
  });

  after(async () => {
    for (const service of Object.values(services ?? {})) service.close();
    if (stateDir) {
      execFileSync('bash', [SHAPES, 'stop', stateDir]);
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it('a transition request is made, listed and approved, and the version moves to its stage', async () => {
    const name = await modelWithVersion('grpc-flow');
    const { request } = (await requests('createTransitionRequest', {
      name,
      version: '1',
      stage: 'Staging',
      comment: 'ready for staging',
    })) as { request: Message };
    assert.equal(request.status, 'PENDING');
    assert.equal(request.to_stage, 'Staging');
    assert.equal(typeof request.creation_timestamp, 'string');

    const listed = (await requests('listTransitionRequests', { name, version: '1' })) as { requests: Message[] };
    assert.deepEqual(
      listed.requests.map(({ id, status }) => ({ id, status })),
      [{ id: request.id, status: 'PENDING' }],
    );
    assert.deepEqual(listed, asMessage(await rest(`mlflow/transition-requests/list?name=${name}&version=1`)));

    const decided = (await requests('approveTransitionRequest', {
      name,
      version: '1',
      stage: 'Staging',
      archive_existing_versions: false,
      comment: 'looks good',
    })) as { activity: Message; request: Message };
    assert.equal(decided.activity.activity_type, 'APPROVED_REQUEST');
    assert.equal(decided.activity.comment, 'looks good');
    assert.equal(decided.request.status, 'APPLIED');
    assert.deepEqual(
      (decided.request.approvals as Message[]).map(({ comment }) => comment),
      ['looks good'],
    );

    const { model_version: version } = (await registry('getModelVersion', { name, version: '1' })) as {
      model_version: Message;
    };
    assert.equal(version.current_stage, 'Staging');

    const { activities } = (await requests('getModelVersionActivities', { name, version: '1' })) as {
      activities: Message[];
    };
    assert.deepEqual(
      activities.map(({ activity_type }) => activity_type),
      ['REQUESTED_TRANSITION', 'APPROVED_REQUEST', 'SYSTEM_TRANSITION'],
    );

    const { entries } = (await audit('searchAuditEntries', { name, event_type: 'TransitionApplied' })) as {
      entries: Message[];
    };
    assert.equal(entries.length, 1);
    assert.equal(entries[0].stream_id, `transition-request-${request.id as string}`);
    assert.deepEqual(entries[0].target, { name, version: 1 });
    assert.match(entries[0].seq as string, /^[0-9]+$/);
  });

  it('a policy is created and read back as REST answers it, and holds a request to its evaluation', async () => {
    const prefix = `grpc-gov-${randomUUID().slice(0, 8)}`;
    const { policy } = (await policies('createPolicy', {
      name: prefix,
      applies_to: `${prefix}-*`,
      targets: { stages: ['Staging'] },
      approvals: [{ count: 2, from: ['reviewers'] }],
      evidence: { tags: { validated: 'true' }, metrics: [{ key: 'accuracy', op: '>=', value: 0.5 }] },
      expires_after: '72h',
    })) as { policy: Message };
    assert.equal(policy.version, 1);
    assert.deepEqual(policy.evidence, {
      tags: { validated: 'true' },
      metrics: [{ key: 'accuracy', op: '>=', value: 0.5 }],
      ready: false,
    });
    assert.deepEqual(
      await policies('getPolicy', { name: prefix }),
      asMessage(await rest(`logbook/policies/get?name=${prefix}`)),
    );
    const { policies: found } = (await policies('searchPolicies', { model_name: `${prefix}-model` })) as {
      policies: Message[];
    };
    assert.deepEqual(
      found.map(({ name }) => name),
      [prefix],
    );
    const updated = (await policies('updatePolicy', {
      name: prefix,
      evidence: { tags: {}, metrics: [] },
      description: 'two reviewers',
    })) as { policy: Message };
    assert.equal(updated.policy.version, 2);
    assert.equal(updated.policy.description, 'two reviewers');

    const name = await modelWithVersion(prefix);
    const { request } = (await requests('createTransitionRequest', { name, version: '1', stage: 'Staging' })) as {
      request: Message;
    };
    assert.equal(request.status, 'PENDING');
    assert.deepEqual(request.policy, { name: prefix, version: 2 });
    const evaluation = request.evaluation as Message;
    assert.equal(evaluation.outcome, 'pending');
    assert.deepEqual(evaluation.missing, ['2 approvals from reviewers: has 0 of 2']);
    assert.equal(typeof evaluation.expires_at, 'string');
    assert.deepEqual(
      await requests('listTransitionRequests', { name, version: '1' }),
      asMessage(await rest(`mlflow/transition-requests/list?name=${name}&version=1`)),
    );

    const { entries } = (await audit('searchAuditEntries', { name, event_type: 'TransitionRequested' })) as {
      entries: Message[];
    };
    const decision = entries[0].decision as Message;
    assert.equal(decision.requestId, request.id);
    assert.equal(decision.outcome, 'pending');
    assert.equal(decision.breakGlass, false);

    assert.deepEqual(await policies('deletePolicy', { name: prefix }), {});
    const gone = await refusal(policies('getPolicy', { name: prefix }));
    assert.equal(gone.code, Status.NOT_FOUND);
  });

  it('comments are made and edited over gRPC', async () => {
    const name = await modelWithVersion('grpc-comments');
    const { comment } = (await requests('createComment', { name, version: '1', comment: 'first' })) as {
      comment: Message;
    };
    assert.equal(comment.comment, 'first');
    const edited = (await requests('updateComment', { id: comment.id, comment: 'second' })) as { comment: Message };
    assert.equal(edited.comment.comment, 'second');
    assert.equal(edited.comment.id, comment.id);
  });

  it("a request is cancelled and a comment deleted over gRPC, the fields in the query string Databricks' routes read", async () => {
    const name = await modelWithVersion('grpc-cancel');
    const { request } = (await requests('createTransitionRequest', { name, version: '1', stage: 'Staging' })) as {
      request: Message;
    };
    await requests('deleteTransitionRequest', { name, version: '1', stage: 'Staging', creator: request.user_id });
    const listed = (await requests('listTransitionRequests', { name, version: '1' })) as { requests?: Message[] };
    assert.deepEqual(listed.requests ?? [], []);

    const { comment } = (await requests('createComment', { name, version: '1', comment: 'to go' })) as {
      comment: Message;
    };
    await requests('deleteComment', { id: comment.id });
    const again = await refusal(requests('deleteComment', { id: comment.id }));
    assert.equal(again.code, Status.NOT_FOUND);
  });

  it("the audit trail verifies and names its keys; a model's history and past state read as REST answers them", async () => {
    const verification = await audit('verifyAuditTrail');
    assert.equal(verification.valid, true);
    assert.match(verification.rows_checked as string, /^[1-9][0-9]*$/);
    const { keys } = (await audit('getAuditPublicKeys')) as { keys: Message[] };
    assert.deepEqual(keys, (asMessage(await rest('logbook/audit/checkpoints/public-keys')) as Message).keys);

    const name = await modelWithVersion('grpc-history');
    const { changes } = (await history('getRegisteredModelHistory', { name })) as { changes: Message[] };
    assert.equal(changes[0].type, 'RegisteredModelCreated');
    const restChanges = (await rest(`logbook/registered-models/history?name=${name}`)).changes as Message[];
    assert.deepEqual(changes, asMessage(restChanges.map(({ data: _data, ...change }) => change)));
    const asOf = Date.now();
    const state = (await history('getRegisteredModelState', { name, as_of: String(asOf) })) as {
      model_versions: Message[];
    };
    assert.deepEqual(
      state.model_versions.map(({ version }) => version),
      ['1'],
    );
    assert.deepEqual(
      state,
      asMessage({ ...(await rest(`logbook/registered-models/state?name=${name}&as_of=${asOf}`)), as_of: String(asOf) }),
    );
  });

  it("a version's lineage holds its run's parameters and latest metrics, as REST answers it", async () => {
    const tracking = (method: string, request: Message) => call('mlflow.MlflowService', method, request);
    const { experiment_id: experimentId } = await tracking('createExperiment', { name: `grpc-${randomUUID()}` });
    const { run } = (await tracking('createRun', { experiment_id: experimentId, start_time: '1000' })) as {
      run: { info: Message };
    };
    const runId = run.info.run_id as string;
    await tracking('logMetric', { run_id: runId, key: 'accuracy', value: 0.93, timestamp: '2000', step: '3' });
    await tracking('logParam', { run_id: runId, key: 'learning_rate', value: '0.1' });
    const name = `grpc-lineage-${randomUUID().slice(0, 8)}`;
    await registry('createRegisteredModel', { name });
    await registry('createModelVersion', { name, source: `runs:/${runId}/model`, run_id: runId });
    const lineage = await waitFor('the run in the lineage', async () => {
      const found = (await history('getModelVersionLineage', { name, version: '1' })) as { run?: Message };
      return (found.run?.metrics as Message[] | undefined)?.length === 1 && found;
    });
    assert.deepEqual((lineage.run as Message).metrics, [
      { key: 'accuracy', value: 0.93, timestamp: '2000', step: '3' },
    ]);
    assert.deepEqual(lineage, asMessage(await rest(`logbook/model-versions/lineage?name=${name}&version=1`)));
  });

  it("a webhook's delivery ledger reads as REST answers it, and takes redeliveries", async () => {
    const receiver = await new WebhookReceiver().up();
    try {
      const { webhook } = (await call('mlflow.WebhookService', 'createWebhook', {
        name: `grpc-ledger-${randomUUID().slice(0, 8)}`,
        url: receiver.url,
        events: [{ entity: 'REGISTERED_MODEL', action: 'CREATED' }],
        secret: 'receiver-secret',
      })) as { webhook: Message };
      const webhookId = webhook.webhook_id as string;
      await registry('createRegisteredModel', { name: `grpc-ledger-${randomUUID().slice(0, 8)}` });
      const [delivered] = await waitFor('the delivery', async () => {
        const { deliveries } = (await ledger('listWebhookDeliveries', { webhook_id: webhookId })) as {
          deliveries?: Message[];
        };
        return deliveries?.[0]?.status === 'DELIVERED' && deliveries;
      });

      assert.deepEqual(
        await ledger('getWebhookDeliveryState', { webhook_id: webhookId }),
        asMessage(await rest(`logbook/webhooks/${webhookId}`)),
      );
      assert.deepEqual(
        await ledger('listWebhookDeliveries', { webhook_id: webhookId, status: 'DELIVERED' }),
        asMessage(await rest(`logbook/webhooks/${webhookId}/deliveries?status=DELIVERED`)),
      );
      const ids = { webhook_id: webhookId, delivery_id: delivered.delivery_id };
      const detail = (await ledger('getWebhookDelivery', ids)) as { delivery: Message };
      assert.deepEqual(
        detail,
        asMessage(await rest(`logbook/webhooks/${webhookId}/deliveries/${delivered.delivery_id as string}`)),
      );
      assert.equal(typeof detail.delivery.body, 'string');
      assert.equal((detail.delivery.history as Message[])[0].outcome, 'delivered');

      const { delivery: requeued } = (await ledger('redeliverWebhookDelivery', ids)) as { delivery: Message };
      assert.equal(requeued.delivery_id, delivered.delivery_id);
      assert.equal(requeued.status, 'PENDING');
      await waitFor('the redelivery recorded', async () => {
        const { delivery } = (await ledger('getWebhookDelivery', ids)) as { delivery: Message };
        return delivery.status === 'DELIVERED' && delivery.attempts === 2;
      });
      assert.equal(receiver.received.length, 2);
      assert.deepEqual(
        await ledger('resumeWebhook', { webhook_id: webhookId }),
        asMessage(await rest(`logbook/webhooks/${webhookId}`)),
      );
      const { redelivered } = await ledger('redeliverWebhookDeliveries', {
        webhook_id: webhookId,
        start_time: '0',
        end_time: String(Date.now() + 60_000),
        status: 'DELIVERED',
      });
      assert.equal(redelivered, 1);
    } finally {
      await receiver.down();
    }
  });

  it("an unknown webhook's ledger answers NOT_FOUND with MLflow's error code", async () => {
    const error = await refusal(
      call('logbook.v1.WebhookLedgerService', 'getWebhookDeliveryState', { webhook_id: 'no-such-webhook' }),
    );
    assert.equal(error.code, Status.NOT_FOUND);
    assert.deepEqual(error.metadata.get('mlflow-error-code'), ['RESOURCE_DOES_NOT_EXIST']);
  });
});
