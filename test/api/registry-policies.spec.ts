import 'reflect-metadata';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { createHttpApp } from '@logbook/platform';
import { loadRegistryConfig } from '../../services/registry/src/config';
import { GovernedTargets } from '../../services/registry/src/governance/governed-targets';
import { policiesProjection } from '../../services/registry/src/governance/policies.projection';
import { RegistryModule } from '../../services/registry/src/registry.module';
import { RegistryRuntime, startRegistryRuntime } from '../../services/registry/src/registry.runtime';
import { Answer, fails, injectAnswer, Method, ok } from './identity-fixtures';
import { AuthorizedRegistryApi, startAuthorizedRegistry } from './registry-authorization-fixtures';
import { RegistryStorage, registryStorages } from './registry-fixtures';

const logger = pino({ level: 'silent' });

const SHAPES = registryStorages('policies');

const fraudPolicy = (name: string, overrides: Record<string, unknown> = {}) => ({
  name,
  applies_to: 'fraud-*',
  targets: { stages: ['production'], aliases: ['champion'] },
  approvals: [
    { count: 1, from: ['risk'] },
    { count: 1, from: ['model-owners'] },
  ],
  ...overrides,
});

const eventCount = async (runtime: RegistryRuntime, type?: string) =>
  Number(
    (
      await runtime.db.query<{ n: string }>(
        `SELECT count(*) AS n FROM registry.events WHERE stream_type = 'policy' AND ($1::text IS NULL OR type = $1)`,
        [type ?? null],
      )
    ).rows[0].n,
  );

for (const { shape, storage } of SHAPES) {
  describe(`policies API on ${shape}`, () => {
    let app: NestFastifyApplication;
    let runtime: RegistryRuntime;
    let data: RegistryStorage;

    const call = (method: Method, path: string, body?: unknown, prefix = 'api') =>
      injectAnswer(app, method, `/${prefix}/2.0/logbook/policies/${path}`, { body });
    const get = (query: Record<string, string>) => call('GET', `get?${new URLSearchParams(query)}`);
    const events = (type?: string) => eventCount(runtime, type);

    before(async () => {
      data = await storage();
      runtime = await startRegistryRuntime(loadRegistryConfig(data.env), logger);
      @Module({ imports: [RegistryModule.with(runtime)] })
      class TestModule {}
      app = await createHttpApp(TestModule, { logger, bodyLimitBytes: 1024 * 1024 });
      await app.init();
      await app.getHttpAdapter().getInstance().ready();
    });

    after(async () => {
      await app.close();
      await runtime.close();
      await data.drop();
    });

    it('creates a policy, completes it with its defaults, and answers it under both prefixes (empty lists left out)', async () => {
      const { policy } = ok(await call('POST', 'create', fraudPolicy('fraud-prod', { expires_after: '72h' })));
      assert.deepEqual(
        { ...policy, hash: undefined, creation_timestamp: undefined, last_updated_timestamp: undefined },
        {
          name: 'fraud-prod',
          description: '',
          applies_to: 'fraud-*',
          targets: { stages: ['Production'], aliases: ['champion'] },
          approvals: [
            { count: 1, from: ['risk'] },
            { count: 1, from: ['model-owners'] },
          ],
          evidence: { tags: {}, ready: false },
          expires_after: '72h',
          break_glass: {},
          version: 1,
          hash: undefined,
          creation_timestamp: undefined,
          last_updated_timestamp: undefined,
        },
      );
      assert.match(policy.hash, /^sha256:[0-9a-f]{64}$/);
      assert.equal(policy.creation_timestamp, policy.last_updated_timestamp);
      assert.deepEqual(ok(await get({ name: 'fraud-prod' })).policy, policy);
      const ajax = await injectAnswer(app, 'GET', '/ajax-api/2.0/logbook/policies/get?name=fraud-prod');
      assert.deepEqual(ok(ajax).policy, policy);
      fails(
        await call('POST', 'create', fraudPolicy('fraud-prod')),
        400,
        'RESOURCE_ALREADY_EXISTS',
        'Policy (name=fraud-prod) already exists.',
      );
      fails(await get({ name: 'nope' }), 404, 'RESOURCE_DOES_NOT_EXIST', 'Policy with name=nope not found');
    });

    it('records each change as a new version, keeps the old ones readable, and records nothing unchanged', async () => {
      ok(await call('POST', 'create', fraudPolicy('fraud-versions')));
      const updated = ok(
        await call('PATCH', 'update', { name: 'fraud-versions', approvals: [{ count: 2, from: ['risk'] }] }),
      ).policy;
      assert.equal(updated.version, 2);
      assert.deepEqual(updated.approvals, [{ count: 2, from: ['risk'] }]);
      assert.deepEqual(updated.targets, { stages: ['Production'], aliases: ['champion'] });
      const first = ok(await get({ name: 'fraud-versions', version: '1' })).policy;
      assert.equal(first.version, 1);
      assert.equal(first.approvals.length, 2);
      assert.notEqual(first.hash, updated.hash);

      const before = await events();
      const same = ok(
        await call('PATCH', 'update', {
          name: 'fraud-versions',
          targets: { stages: ['PRODUCTION'], aliases: ['champion'] },
        }),
      );
      assert.equal(same.policy.version, 2);
      assert.equal(await events(), before);
      fails(await get({ name: 'fraud-versions', version: '3' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    });

    it('answers bad definitions 400, naming the policy and the field, and changes nothing', async () => {
      ok(await call('POST', 'create', fraudPolicy('fraud-strict')));
      const before = await events();
      const refused = async (answer: Promise<Answer>, message: string) => {
        const got = await answer;
        assert.equal(got.status, 400, got.text);
        assert.equal(got.json.error_code, 'INVALID_PARAMETER_VALUE');
        assert.ok(String(got.json.message).includes(message), got.json.message);
      };
      await refused(
        call('POST', 'create', fraudPolicy('fraud-bad', { approvals: [{ count: 0, from: ['risk'] }] })),
        "Invalid policy 'fraud-bad': field 'approvals[0].count' must be at least 1",
      );
      await refused(
        call('POST', 'create', fraudPolicy('fraud-bad', { targets: { stages: ['Prod'] } })),
        "field 'targets.stages[0]' must be one of Staging, Production, Archived (in any case), not 'Prod'",
      );
      await refused(
        call('POST', 'create', fraudPolicy('fraud-bad', { min_auc: 0.9 })),
        "field 'min_auc' is not a policy field",
      );
      await refused(call('POST', 'create', ['not', 'a', 'policy']), 'the policy must be an object');
      await refused(
        call('PATCH', 'update', { name: 'fraud-strict', expires_after: 'a while' }),
        "Invalid policy 'fraud-strict': field 'expires_after' must be a duration such as 30m, 72h or 7d",
      );
      await refused(
        call('PATCH', 'update', { name: 'fraud-strict', name_: 'x' }),
        "field 'name_' is not a policy field",
      );
      await refused(call('PATCH', 'update', { approvals: [] }), "Missing value for required parameter 'name'");
      await refused(call('GET', 'get?name=fraud-strict&version=two'), 'version');
      fails(await call('PATCH', 'update', { name: 'nope', description: 'x' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      fails(await get({ name: 'fraud-strict', version: '9007199254740990' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      assert.equal(await events(), before);
      assert.equal(ok(await get({ name: 'fraud-strict' })).policy.version, 1);
      fails(await get({ name: 'fraud-bad' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    });

    it('lists the live policies by name, a page at a time', async () => {
      for (const name of ['page-c', 'page-a', 'page-b']) {
        ok(await call('POST', 'create', fraudPolicy(name, { applies_to: 'paging-only' })));
      }
      const names: string[] = [];
      let token: string | undefined;
      do {
        const page = ok(
          await call(
            'GET',
            `search?${new URLSearchParams({ max_results: '2', ...(token ? { page_token: token } : {}) })}`,
          ),
        );
        assert.ok(page.policies.length <= 2);
        names.push(...page.policies.map((policy: { name: string }) => policy.name));
        token = page.next_page_token;
      } while (token);
      assert.deepEqual(names, [...names].sort());
      assert.deepEqual(
        names.filter((name) => name.startsWith('page-')),
        ['page-a', 'page-b', 'page-c'],
      );
      fails(await call('GET', 'search?max_results=0'), 400, 'INVALID_PARAMETER_VALUE');
      const applying = ok(await call('GET', 'search?model_name=paging-only')).policies.map(
        (p: { name: string }) => p.name,
      );
      assert.deepEqual(applying, ['page-a', 'page-b', 'page-c']);
      assert.equal(ok(await call('GET', 'search?model_name=paging_only')).policies, undefined);
    });

    it('deletes a policy, keeps its versions readable, and counts on when it is created again', async () => {
      ok(await call('POST', 'create', fraudPolicy('fraud-doomed')));
      ok(await call('PATCH', 'update', { name: 'fraud-doomed', description: 'second' }));
      assert.deepEqual(ok(await call('DELETE', 'delete', { name: 'fraud-doomed' })), {});
      fails(await get({ name: 'fraud-doomed' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      assert.equal(ok(await get({ name: 'fraud-doomed', version: '2' })).policy.description, 'second');
      const listed = ok(await call('GET', 'search?max_results=1000')).policies.map((p: { name: string }) => p.name);
      assert.ok(!listed.includes('fraud-doomed'));
      fails(await call('DELETE', 'delete', { name: 'fraud-doomed' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      fails(await call('DELETE', 'delete', {}), 400, 'INVALID_PARAMETER_VALUE');
      assert.equal(ok(await call('POST', 'create', fraudPolicy('fraud-doomed'))).policy.version, 3);
      ok(await call('DELETE', 'delete', { name: 'fraud-doomed' }));
    });

    it('tells which stages and aliases of a model are governed, and by which policy', async () => {
      const governed = app.get(GovernedTargets);
      ok(
        await call('POST', 'create', {
          name: 'gov-all',
          applies_to: 'gov-*',
          targets: { stages: ['Production', 'Staging'], aliases: ['champion'] },
          approvals: [{ count: 1, from: ['risk'] }],
        }),
      );
      ok(
        await call('POST', 'create', {
          name: 'gov-eu',
          applies_to: 'gov-eu',
          targets: { stages: ['Production'] },
          approvals: [{ count: 2, from: ['risk'] }],
        }),
      );
      ok(await call('PATCH', 'update', { name: 'gov-eu', description: 'stricter for the EU model' }));
      ok(
        await call('POST', 'create', {
          name: 'gov-a-eu-glob',
          applies_to: 'gov-eu*',
          targets: { stages: ['Production'] },
          approvals: [{ count: 1, from: ['risk'] }],
        }),
      );
      const eu = await governed.forModel('gov-eu');
      assert.deepEqual(eu.stages, {
        Production: { name: 'gov-eu', version: 2 },
        Staging: { name: 'gov-all', version: 1 },
      });
      assert.deepEqual(eu.aliases, { champion: { name: 'gov-all', version: 1 } });
      const us = await governed.forModel('gov-us');
      assert.deepEqual(us.stages.Production, { name: 'gov-all', version: 1 });
      const other = await governed.forModel('gov_other');
      assert.equal(
        Object.keys(other.stages).length + Object.keys(other.aliases).length,
        0,
        'the glob is not a LIKE pattern: _ is literal',
      );
      assert.deepEqual(
        (await governed.forModel('gov-eu-2')).stages.Production,
        { name: 'gov-a-eu-glob', version: 1 },
        'the glob with more literal characters',
      );
      ok(await call('DELETE', 'delete', { name: 'gov-all' }));
      const after = await governed.forModel('gov-eu');
      assert.deepEqual(Object.keys(after.stages), ['Production']);
      assert.deepEqual(after.aliases, {});
    });

    it('rebuilds the policy tables from the log to the same rows', async () => {
      const rows = () =>
        Promise.all(
          ['policies ORDER BY name', 'policy_versions ORDER BY name, version'].map(
            async (table) => (await runtime.db.query(`SELECT * FROM registry.${table}`)).rows,
          ),
        );
      const live = await rows();
      assert.ok(live[1].length > live[0].length, 'deleted policies and past versions are part of the comparison');
      await runtime.db.query(`UPDATE registry.policies SET version = 99`);
      await runtime.db.query(`DELETE FROM registry.policy_versions WHERE version = 1`);
      await runtime.store.rebuild(policiesProjection);
      assert.deepEqual(await rows(), live);
    });

    it('applies a policies file at start, again without new events, and a changed definition as a version', async () => {
      const seedData = await storage();
      const file = join(await mkdtemp(join(tmpdir(), 'logbook-policies-file-')), 'policies.yaml');
      const yaml = (threshold: number) => `policies:
  - name: seeded-prod
    applies_to: "seeded-*"
    targets: { stages: [production], aliases: [champion] }
    approvals:
      - { count: 1, from: [risk] }
      - { count: 1, from: [model-owners] }
    evidence:
      tags: { validation: passed }
      metrics: [{ key: auc, op: ">=", value: ${threshold} }]
      ready: true
    expires_after: 72h
    break_glass: { principals: [oncall-lead] }
  - name: seeded-staging
    applies_to: seeded-model
    targets: { stages: [Staging] }
    approvals: [{ count: 1, from: [ml-leads] }]
`;
      const start = async () =>
        startRegistryRuntime(loadRegistryConfig({ ...seedData.env, LOGBOOK_POLICIES_FILE: file }), logger);
      try {
        await writeFile(file, yaml(0.9));
        let seeded = await start();
        assert.equal(await eventCount(seeded, 'PolicyCreated'), 2);
        await seeded.close();
        seeded = await start();
        assert.equal(await eventCount(seeded), 2, 'an unchanged file records nothing');
        await seeded.close();
        await writeFile(file, yaml(0.95));
        seeded = await start();
        assert.equal(await eventCount(seeded), 3);
        const { rows } = await seeded.db.query<{ version: number; threshold: number }>(
          `SELECT version, (definition->'evidence'->'metrics'->0->>'value')::float8 AS threshold
           FROM registry.policies WHERE name = 'seeded-prod'`,
        );
        assert.deepEqual(rows, [{ version: 2, threshold: 0.95 }]);
        await seeded.close();
      } finally {
        await seedData.drop();
        await rm(file, { force: true });
      }
    });
  });
}

describe('policies file checked at start', () => {
  let folder: string;
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'logbook-policies-bad-'));
  });
  after(() => rm(folder, { recursive: true, force: true }));

  const configWith = async (content: string) => {
    const file = join(folder, `p${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, content);
    return () => loadRegistryConfig({ LOGBOOK_MODE: 'embedded', LOGBOOK_POLICIES_FILE: file });
  };

  it('fails the start, naming the file, the policy and the field', async () => {
    const load = await configWith(
      `policies:\n  - name: ok-policy\n    applies_to: m\n    targets: { stages: [Production] }\n    approvals: [{ count: 1, from: [risk] }]\n  - name: broken\n    applies_to: m\n    targets: { stages: [Production] }\n    approvals: [{ count: -1, from: [risk] }]\n`,
    );
    assert.throws(
      load,
      /LOGBOOK_POLICIES_FILE: .*policy 2: Invalid policy 'broken': field 'approvals\[0\]\.count' must be at least 1/,
    );
  });

  it('refuses a file that is not a list of policies, repeats a name, or cannot be read', async () => {
    assert.throws(await configWith('- name: x\n'), /must hold one field, 'policies', a list of policies/);
    assert.throws(await configWith('policies: [\n'), /is neither YAML nor JSON/);
    const twice = JSON.stringify({
      policies: [1, 2].map(() => ({
        name: 'twice',
        applies_to: 'm',
        targets: { stages: ['Staging'] },
        approvals: [{ count: 1, from: ['r'] }],
      })),
    });
    assert.throws(await configWith(twice), /defines policy 'twice' more than once/);
    assert.throws(
      () => loadRegistryConfig({ LOGBOOK_MODE: 'embedded', LOGBOOK_POLICIES_FILE: join(folder, 'missing.yaml') }),
      /LOGBOOK_POLICIES_FILE: cannot read/,
    );
  });
});

describe('policies API with authentication on', () => {
  let api: AuthorizedRegistryApi;
  const admin = 'root:admin';
  before(async () => {
    api = await startAuthorizedRegistry('registry_policies_auth', ['root', 'a password of 20 chars'], 'READ');
  });
  after(() => api.close());

  const policies = (method: Method, path: string, as: string, body?: unknown) =>
    api.call(method, `/api/2.0/logbook/policies/${path}`, { as, body });

  it('lets only admins create, update and delete policies, and anyone signed in read them', async () => {
    fails(await policies('POST', 'create', 'alice', fraudPolicy('auth-prod')), 403, 'PERMISSION_DENIED');
    fails(await policies('GET', 'get?name=auth-prod', admin), 404, 'RESOURCE_DOES_NOT_EXIST');
    ok(await policies('POST', 'create', admin, fraudPolicy('auth-prod')));
    fails(
      await policies('PATCH', 'update', 'alice', { name: 'auth-prod', description: 'x' }),
      403,
      'PERMISSION_DENIED',
    );
    fails(await policies('DELETE', 'delete', 'alice', { name: 'auth-prod' }), 403, 'PERMISSION_DENIED');
    assert.equal(ok(await policies('GET', 'get?name=auth-prod', 'alice')).policy.version, 1);
    assert.equal(ok(await policies('GET', 'search', 'alice')).policies.length, 1);
    assert.equal(
      ok(await policies('PATCH', 'update', admin, { name: 'auth-prod', description: 'x' })).policy.version,
      2,
    );
    ok(await policies('DELETE', 'delete', admin, { name: 'auth-prod' }));
  });
});
