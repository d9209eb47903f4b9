import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { systemActor } from '@logbook/platform';
import { ModelVersionsService } from '../../services/registry/src/model-versions/model-versions.service';
import { Method, ok } from './identity-fixtures';
import { AuthorizedRegistryApi, startAuthorizedRegistry } from './registry-authorization-fixtures';

const ADMIN: [string, string] = ['root', 'root password 123'];
const SOURCE = `runs:/${'c'.repeat(32)}/model`;

/** The policy decision in the audit trail: what allowed a governed change, and every break-glass use, findable. */
describe('registry audit trail: policy decisions and break-glass', () => {
  let api: AuthorizedRegistryApi;

  const call = (method: Method, path: string, as: string, body?: Record<string, unknown>) =>
    method === 'GET'
      ? api.call(method, `/api/2.0/${path}?${new URLSearchParams(body as Record<string, string>)}`, { as })
      : api.call(method, `/api/2.0/${path}`, { as, body: body ?? {} });
  const admin = (method: Method, path: string, body?: Record<string, unknown>) =>
    call(method, path, `${ADMIN[0]}:admin`, body);
  const auditRows = async (query: Record<string, string>) =>
    (ok(await admin('GET', 'logbook/audit/entries/search', { order: 'oldest', ...query })).entries ?? []) as Array<
      Record<string, any>
    >;

  const governedModel = async () => {
    const name = `fraud-${randomUUID().slice(0, 8)}`;
    ok(await call('POST', 'mlflow/registered-models/create', 'carol', { name }));
    ok(await call('POST', 'mlflow/model-versions/create', 'carol', { name, source: SOURCE }));
    const { rows } = await api.registry.db.query<{ registered_model_id: string }>(
      `SELECT registered_model_id FROM registry.registered_models WHERE name = $1`,
      [name],
    );
    await api.app
      .get(ModelVersionsService)
      .completeRegistration(
        rows[0].registered_model_id,
        1,
        { digest: 'sha256:v1' },
        { now: Date.now(), actor: systemActor('artifacts'), requestId: 'verification' },
      );
    return name;
  };

  before(async () => {
    api = await startAuthorizedRegistry('registry_audit_decisions', ADMIN, 'EDIT');
    for (const username of ['carol', 'alice', 'dave', 'oncall']) {
      ok(await admin('POST', 'mlflow/users/create', { username, password: 'a password of some length' }));
    }
    for (const [role, member] of [
      ['risk', 'alice'],
      ['model-owners', 'dave'],
    ]) {
      const created = ok(
        await api.call('POST', '/api/3.0/mlflow/roles/create', {
          as: `${ADMIN[0]}:admin`,
          body: { name: role, workspace: 'default' },
        }),
      );
      ok(
        await api.call('POST', '/api/3.0/mlflow/roles/assign', {
          as: `${ADMIN[0]}:admin`,
          body: { username: member, role_id: created.role.id },
        }),
      );
    }
    ok(
      await admin('POST', 'logbook/policies/create', {
        name: 'fraud-production',
        applies_to: 'fraud-*',
        targets: { stages: ['Production'] },
        approvals: [
          { count: 1, from: ['risk'] },
          { count: 1, from: ['model-owners'] },
        ],
        break_glass: { principals: ['oncall'] },
      }),
    );
  });
  after(() => api.close());

  it("records the policy's evaluation on each governance row and on the transition the request applied", async () => {
    const name = await governedModel();
    const body = { name, version: '1', stage: 'Production' };
    ok(await call('POST', 'mlflow/transition-requests/create', 'carol', body));
    ok(
      await call('POST', 'mlflow/transition-requests/approve', 'alice', { ...body, archive_existing_versions: false }),
    );
    const last = ok(
      await call('POST', 'mlflow/transition-requests/approve', 'dave', { ...body, archive_existing_versions: false }),
    );
    assert.equal(last.request.status, 'APPLIED');

    const rows = (await auditRows({ name })).filter((row) => row.decision);
    assert.deepEqual(
      rows.map((row) => [row.event_type, row.actor.name, row.decision.outcome, row.decision.breakGlass]),
      [
        ['TransitionRequested', 'carol', 'pending', false],
        ['ApprovalGiven', 'alice', 'pending', false],
        ['ApprovalGiven', 'dave', 'approved', false],
        ['TransitionApplied', 'dave', 'approved', false],
        ['ModelVersionStageTransitioned', 'registry', 'approved', false],
      ],
    );
    const requestId = rows[0].decision.requestId;
    assert.ok(
      rows.every((row) => row.decision.requestId === requestId && row.decision.policy.name === 'fraud-production'),
    );
    const applied = rows[4];
    assert.deepEqual(
      applied.decision,
      rows[3].decision,
      'the transition carries the decision of the request it applied',
    );
    assert.equal(applied.after.stages['1'], 'Production');
    assert.deepEqual(applied.decision.satisfied.length, 2);

    const direct = await auditRows({ name, event_type: 'ModelVersionCreated' });
    assert.equal(direct[0].decision, null, 'an ungoverned change carries no decision');
    assert.deepEqual(await auditRows({ name, break_glass: 'true' }), []);
    assert.equal((await auditRows({ name, break_glass: 'false' })).length, (await auditRows({ name })).length);
  });

  it('flags a break-glass application, which an auditor lists with break_glass=true', async () => {
    const name = await governedModel();
    const glass = ok(
      await call('POST', 'mlflow/transition-requests/create', 'oncall', {
        name,
        version: '1',
        stage: 'Production',
        break_glass_reason: 'INC-7 rollback',
      }),
    );
    assert.equal(glass.request.status, 'APPLIED');

    const uses = await auditRows({ name, break_glass: 'true' });
    assert.deepEqual(
      uses.map((row) => [row.event_type, row.actor.name]),
      [
        ['TransitionRequested', 'oncall'],
        ['TransitionApplied', 'oncall'],
        ['ModelVersionStageTransitioned', 'registry'],
      ],
    );
    for (const row of uses) {
      assert.equal(row.decision.breakGlass, true);
      assert.ok(
        row.decision.reasons.some((reason: string) => reason.includes('INC-7 rollback')),
        row.decision.reasons,
      );
    }
    const everywhere = await auditRows({ break_glass: 'true', event_type: 'TransitionApplied' });
    assert.ok(everywhere.some((row) => row.target.name === name));
    assert.ok(everywhere.every((row) => row.decision.breakGlass === true));

    const refused = await admin('GET', 'logbook/audit/entries/search', { break_glass: 'maybe' });
    assert.equal(refused.status, 400);
    assert.equal(refused.json.error_code, 'INVALID_PARAMETER_VALUE');
    const verified = ok(await admin('GET', 'logbook/audit/verify'));
    assert.equal(verified.valid, true, JSON.stringify(verified));
  });
});
