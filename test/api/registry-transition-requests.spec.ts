import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { systemActor } from '@logbook/platform';
import { ModelVersionsService } from '../../services/registry/src/model-versions/model-versions.service';
import { TransitionRequestsService } from '../../services/registry/src/transition-requests/transition-requests.service';
import { Answer, Method, ok } from './identity-fixtures';
import { AuthorizedRegistryApi, startAuthorizedRegistry } from './registry-authorization-fixtures';

const ADMIN: [string, string] = ['root', 'root password 123'];
const PASSWORD = 'a password of some length';
const SOURCE = `runs:/${'b'.repeat(32)}/model`;
const HOUR = 3_600_000;

/** The governed flow end to end over HTTP, with authorization on: identity's users and roles decide who approves. */
describe('transition requests (Databricks-compatible), governed by approval policies', () => {
  let api: AuthorizedRegistryApi;

  const call = (method: Method, path: string, as: string, body?: Record<string, unknown>) =>
    method === 'GET' || method === 'DELETE'
      ? api.call(method, `/api/2.0/${path}?${new URLSearchParams(body as Record<string, string>)}`, { as })
      : api.call(method, `/api/2.0/${path}`, { as, body: body ?? {} });
  const admin = (method: Method, path: string, body?: Record<string, unknown>) =>
    call(method, path, `${ADMIN[0]}:admin`, body);
  const refused = (answer: Answer, status: number, errorCode: string, includes: string) => {
    assert.equal(answer.status, status, answer.text);
    assert.equal(answer.json.error_code, errorCode, answer.text);
    assert.ok(String(answer.json.message).includes(includes), `"${answer.json.message}" lacks "${includes}"`);
  };

  const createUser = async (username: string) =>
    ok(await admin('POST', 'mlflow/users/create', { username, password: PASSWORD }));
  const createRole = async (name: string, members: string[]) => {
    const role = ok(
      await api.call('POST', '/api/3.0/mlflow/roles/create', {
        as: `${ADMIN[0]}:admin`,
        body: { name, workspace: 'default' },
      }),
    ).role as { id: number };
    for (const username of members) {
      ok(
        await api.call('POST', '/api/3.0/mlflow/roles/assign', {
          as: `${ADMIN[0]}:admin`,
          body: { username, role_id: role.id },
        }),
      );
    }
  };

  /** A model with a READY version 1 (and more, pending, when asked), tagged as the policy's evidence wants. */
  const modelWithVersions = async (prefix: string, versions = 1) => {
    const name = `${prefix}-${randomUUID().slice(0, 8)}`;
    ok(await call('POST', 'mlflow/registered-models/create', 'carol', { name }));
    for (let v = 1; v <= versions; v++) {
      ok(await call('POST', 'mlflow/model-versions/create', 'carol', { name, source: SOURCE }));
    }
    const { rows } = await api.registry.db.query<{ registered_model_id: string }>(
      `SELECT registered_model_id FROM registry.registered_models WHERE name = $1`,
      [name],
    );
    await api.app
      .get(ModelVersionsService)
      .completeRegistration(rows[0].registered_model_id, 1, { digest: 'sha256:v1' }, verdictMetadata());
    ok(
      await call('POST', 'mlflow/model-versions/set-tag', 'carol', {
        name,
        version: '1',
        key: 'validation',
        value: 'passed',
      }),
    );
    return { name, modelId: rows[0].registered_model_id };
  };
  const verdictMetadata = () => ({ now: Date.now(), actor: systemActor('artifacts'), requestId: 'verification' });
  const request = (as: string, body: Record<string, unknown>) =>
    call('POST', 'mlflow/transition-requests/create', as, body);
  const approve = (as: string, body: Record<string, unknown>) =>
    call('POST', 'mlflow/transition-requests/approve', as, { archive_existing_versions: false, ...body });
  const versionOf = async (name: string, version: string) =>
    ok(await call('GET', 'mlflow/model-versions/get', 'carol', { name, version })).model_version;
  const activities = async (name: string, version: string) =>
    (ok(await call('GET', 'mlflow/model-versions/get-activities', 'carol', { name, version })).activities ??
      []) as Array<Record<string, any>>;

  before(async () => {
    api = await startAuthorizedRegistry('registry_transition_requests', ADMIN, 'EDIT');
    for (const user of ['carol', 'alice', 'bob', 'dave', 'frank', 'oncall']) await createUser(user);
    await createRole('risk', ['alice', 'bob']);
    await createRole('model-owners', ['dave']);
    ok(
      await admin('POST', 'logbook/policies/create', {
        name: 'fraud-production',
        applies_to: 'fraud-*',
        targets: { stages: ['Production'], aliases: ['champion'] },
        approvals: [
          { count: 1, from: ['risk'] },
          { count: 1, from: ['model-owners'] },
        ],
        evidence: { tags: { validation: 'passed' } },
        expires_after: '72h',
        break_glass: { principals: ['oncall'] },
      }),
    );
  });
  after(() => api.close());

  it('refuses direct changes of a governed stage and a protected alias, naming the request flow', async () => {
    const { name } = await modelWithVersions('fraud');
    refused(
      await call('POST', 'mlflow/model-versions/transition-stage', 'carol', {
        name,
        version: '1',
        stage: 'production',
      }),
      403,
      'PERMISSION_DENIED',
      "is governed by policy 'fraud-production': request it with POST /api/2.0/mlflow/transition-requests/create",
    );
    refused(
      await call('POST', 'mlflow/registered-models/alias', 'carol', { name, alias: 'champion', version: '1' }),
      403,
      'PERMISSION_DENIED',
      "Alias 'champion'",
    );
    assert.equal((await versionOf(name, '1')).current_stage, 'None');
    ok(await call('POST', 'mlflow/model-versions/transition-stage', 'carol', { name, version: '1', stage: 'Staging' }));
  });

  it('applies a promotion once one approver from each required role approved, as the system', async () => {
    const { name } = await modelWithVersions('fraud');
    const created = ok(
      await request('carol', { name, version: '1', stage: 'Production', comment: 'AUC 0.93' }),
    ).request;
    assert.equal(created.status, 'PENDING');
    assert.equal(created.to_stage, 'Production');
    assert.equal(created.user_id, 'carol');
    assert.deepEqual(created.policy, { name: 'fraud-production', version: 1 });
    assert.deepEqual(created.available_actions, ['CANCEL_TRANSITION_REQUEST']);
    assert.ok(created.expires_at - created.creation_timestamp === 72 * HOUR);

    refused(
      await approve('carol', { name, version: '1', stage: 'Production' }),
      403,
      'PERMISSION_DENIED',
      'cannot approve it',
    );
    refused(
      await approve('frank', { name, version: '1', stage: 'Production' }),
      403,
      'PERMISSION_DENIED',
      '(risk, model-owners)',
    );
    const listed = ok(await call('GET', 'mlflow/transition-requests/list', 'alice', { name, version: '1' })).requests;
    assert.deepEqual(
      listed.map((r: Record<string, any>) => r.available_actions),
      [['APPROVE_TRANSITION_REQUEST', 'REJECT_TRANSITION_REQUEST']],
    );

    const first = ok(await approve('alice', { name, version: '1', stage: 'Production', comment: 'risk ok' }));
    assert.equal(first.activity.activity_type, 'APPROVED_REQUEST');
    assert.equal(first.activity.user_id, 'alice');
    assert.equal(first.request.status, 'PENDING');
    const second = ok(await approve('bob', { name, version: '1', stage: 'Production' }));
    assert.equal(second.request.status, 'PENDING');
    assert.deepEqual(second.request.evaluation.missing, ['1 approval from model-owners: has 0 of 1']);
    assert.equal(
      (await versionOf(name, '1')).current_stage,
      'None',
      'two approvals from risk do not make one from owners',
    );

    const last = ok(
      await approve('dave', { name, version: '1', stage: 'Production', archive_existing_versions: true }),
    );
    assert.equal(last.request.status, 'APPLIED');
    assert.equal(last.request.evaluation.outcome, 'approved');
    assert.equal(last.request.evaluation.break_glass, false, 'named as the REST API names fields');
    assert.equal(typeof last.request.evaluation.evaluated_at, 'number');
    assert.equal(last.request.evaluation.evaluatedAt, undefined);
    assert.deepEqual(
      last.request.approvals.map((a: Record<string, any>) => a.user_id),
      ['alice', 'bob', 'dave'],
    );
    assert.equal((await versionOf(name, '1')).current_stage, 'Production');
    assert.deepEqual(ok(await call('GET', 'mlflow/transition-requests/list', 'alice', { name, version: '1' })), {});

    assert.deepEqual(
      (await activities(name, '1')).map((a) => [a.activity_type, a.user_id, a.to_stage ?? null]),
      [
        ['REQUESTED_TRANSITION', 'carol', 'Production'],
        ['APPROVED_REQUEST', 'alice', null],
        ['APPROVED_REQUEST', 'bob', null],
        ['APPROVED_REQUEST', 'dave', null],
        ['SYSTEM_TRANSITION', 'registry', 'Production'],
      ],
    );
  });

  it('refuses a request whose version lacks the evidence, and a second open request for the same target', async () => {
    const { name } = await modelWithVersions('fraud');
    ok(
      await call('POST', 'mlflow/model-versions/set-tag', 'carol', {
        name,
        version: '1',
        key: 'validation',
        value: 'failed',
      }),
    );
    refused(
      await request('carol', { name, version: '1', stage: 'Production' }),
      400,
      'INVALID_STATE',
      "version tag validation is 'failed' (required: validation=passed)",
    );
    ok(
      await call('POST', 'mlflow/model-versions/set-tag', 'carol', {
        name,
        version: '1',
        key: 'validation',
        value: 'passed',
      }),
    );
    ok(await request('carol', { name, version: '1', stage: 'Production' }));
    refused(
      await request('alice', { name, version: '1', stage: 'production' }),
      400,
      'RESOURCE_ALREADY_EXISTS',
      'requested by carol',
    );
  });

  it('voids the approvals when the registered content changes before the request applies', async () => {
    const { name, modelId } = await modelWithVersions('fraud', 2);
    ok(
      await call('POST', 'mlflow/model-versions/set-tag', 'carol', {
        name,
        version: '2',
        key: 'validation',
        value: 'passed',
      }),
    );
    ok(await request('carol', { name, version: '2', stage: 'Production' }));
    ok(await approve('alice', { name, version: '2', stage: 'Production' }));
    await api.app
      .get(ModelVersionsService)
      .completeRegistration(modelId, 2, { digest: 'sha256:v2-registered' }, verdictMetadata());
    refused(await approve('dave', { name, version: '2', stage: 'Production' }), 400, 'INVALID_STATE', 'was voided');
    assert.equal((await versionOf(name, '2')).current_stage, 'None');
    assert.deepEqual(ok(await call('GET', 'mlflow/transition-requests/list', 'dave', { name, version: '2' })), {});
    const voided = (await activities(name, '2')).at(-1) as Record<string, any>;
    assert.equal(voided.activity_type, 'CANCELLED_REQUEST');
    assert.match(voided.system_comment, /voided/);
  });

  it('moves a protected alias through a request, and lets a break-glass principal apply at once with a reason', async () => {
    const { name } = await modelWithVersions('fraud');
    ok(await request('carol', { name, version: '1', alias: 'champion' }));
    ok(await approve('bob', { name, version: '1', alias: 'champion' }));
    const applied = ok(await approve('dave', { name, version: '1', alias: 'champion' }));
    assert.equal(applied.request.status, 'APPLIED');
    assert.deepEqual((await versionOf(name, '1')).aliases, ['champion']);

    refused(
      await request('carol', { name, version: '1', stage: 'Production', break_glass_reason: 'hurry' }),
      403,
      'PERMISSION_DENIED',
      'not a break-glass principal',
    );
    const glass = ok(
      await request('oncall', { name, version: '1', stage: 'Production', break_glass_reason: 'INC-42 rollback' }),
    );
    assert.equal(glass.request.status, 'APPLIED');
    assert.deepEqual(glass.request.break_glass, { user_id: 'oncall', reason: 'INC-42 rollback' });
    assert.equal((await versionOf(name, '1')).current_stage, 'Production');
  });

  it('rejects, and cancels only for the requester named as creator', async () => {
    const { name } = await modelWithVersions('fraud');
    ok(await request('carol', { name, version: '1', stage: 'Production' }));
    refused(
      await call('DELETE', 'mlflow/transition-requests/delete', 'alice', {
        name,
        version: '1',
        stage: 'Production',
        creator: 'alice',
      }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      'by alice',
    );
    refused(
      await call('DELETE', 'mlflow/transition-requests/delete', 'alice', {
        name,
        version: '1',
        stage: 'Production',
        creator: 'carol',
      }),
      403,
      'PERMISSION_DENIED',
      'Only carol',
    );
    ok(
      await call('DELETE', 'mlflow/transition-requests/delete', 'carol', {
        name,
        version: '1',
        stage: 'Production',
        creator: 'carol',
      }),
    );
    ok(await request('carol', { name, version: '1', stage: 'Production', comment: 'again' }));
    const rejected = ok(
      await call('POST', 'mlflow/transition-requests/reject', 'alice', {
        name,
        version: '1',
        stage: 'Production',
        comment: 'drift',
      }),
    );
    assert.equal(rejected.activity.activity_type, 'REJECTED_REQUEST');
    assert.equal(rejected.request.status, 'REJECTED');
    assert.deepEqual(
      (await activities(name, '1')).map((a) => a.activity_type),
      ['REQUESTED_TRANSITION', 'CANCELLED_REQUEST', 'REQUESTED_TRANSITION', 'REJECTED_REQUEST'],
    );
  });

  it('applies a request for an ungoverned stage on the first approval by anyone who may transition, as Databricks does', async () => {
    const { name } = await modelWithVersions('plain');
    ok(await request('carol', { name, version: '1', stage: 'Staging' }));
    const applied = ok(await approve('carol', { name, version: '1', stage: 'Staging' }));
    assert.equal(applied.request.status, 'APPLIED');
    assert.equal(applied.request.policy, undefined);
    assert.equal((await versionOf(name, '1')).current_stage, 'Staging');
  });

  it('answers bad requests with 400 and changes nothing', async () => {
    const { name } = await modelWithVersions('fraud');
    const events = async () =>
      Number((await api.registry.db.query<{ n: string }>(`SELECT count(*) AS n FROM registry.events`)).rows[0].n);
    const before = await events();
    refused(
      await request('carol', { name, version: '1' }),
      400,
      'INVALID_PARAMETER_VALUE',
      'exactly one of stage and alias',
    );
    refused(
      await request('carol', { name, version: '1', stage: 'Production', alias: 'champion' }),
      400,
      'INVALID_PARAMETER_VALUE',
      'exactly one',
    );
    refused(await request('carol', { name, version: '1', stage: 'None' }), 400, 'INVALID_PARAMETER_VALUE', "to 'None'");
    refused(
      await request('carol', { name, version: '1', stage: 'Prod' }),
      400,
      'INVALID_PARAMETER_VALUE',
      'Invalid Model Version stage',
    );
    refused(await request('carol', { name, version: '1', alias: 'v3' }), 400, 'INVALID_PARAMETER_VALUE', 'reserved');
    refused(
      await request('carol', { name, version: '9', stage: 'Staging' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      'not found',
    );
    refused(
      await approve('alice', { name, version: '1', stage: 'Production' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      'No open transition request',
    );
    refused(
      await call('POST', 'mlflow/transition-requests/approve', 'alice', { name, version: '1', stage: 'Production' }),
      400,
      'INVALID_PARAMETER_VALUE',
      'archive_existing_versions',
    );
    refused(
      await request('carol', { name, version: '51078644229', stage: 'Staging' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      'not found',
    );
    refused(
      await request('carol', { name, version: '1', stage: 'Staging', comment: 'x'.repeat(100_001) }),
      400,
      'INVALID_PARAMETER_VALUE',
      "'comment' exceeds the maximum length of 100000 characters",
    );
    refused(
      await request('oncall', { name, version: '1', stage: 'Production', break_glass_reason: '🔥'.repeat(100_001) }),
      400,
      'INVALID_PARAMETER_VALUE',
      "'break_glass_reason' exceeds the maximum length",
    );
    refused(
      await call('DELETE', 'mlflow/transition-requests/delete', 'carol', {
        name,
        version: '1',
        stage: 'Staging',
        creator: 'carol',
        comment: 'x'.repeat(1001),
      }),
      400,
      'INVALID_PARAMETER_VALUE',
      "'comment' exceeds the maximum length of 1000 characters",
    );
    assert.equal(await events(), before);
  });

  it('expires open requests past their time', async () => {
    const { name } = await modelWithVersions('fraud');
    ok(await request('carol', { name, version: '1', stage: 'Production' }));
    const requests = api.app.get(TransitionRequestsService);
    const later = { now: Date.now() + 72 * HOUR + 1000, actor: systemActor('registry'), requestId: 'expiry' };
    assert.ok((await requests.expireDue(later)) >= 1);
    assert.deepEqual(ok(await call('GET', 'mlflow/transition-requests/list', 'alice', { name, version: '1' })), {});
    assert.equal(
      (await activities(name, '1')).at(-1)?.system_comment,
      'The request expired before its approvals arrived.',
    );
    ok(await request('carol', { name, version: '1', stage: 'Production' }));
  });
});
