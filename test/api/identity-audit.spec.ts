import 'reflect-metadata';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { verifyExport } from '@logbook/audit';
import { Method, ok } from './identity-fixtures';
import { AuthorizedRegistryApi, startAuthorizedRegistry } from './registry-authorization-fixtures';

const ADMIN: [string, string] = ['root', 'root password 123'];
const PASSWORD = 'alice first password';
const NEW_PASSWORD = 'alice second password';
const run = promisify(execFile);

/** Users, roles, grants and tokens: each change leaves a row in identity's own audit trail, never a secret. */
describe('identity audit trail on real Postgres', () => {
  let api: AuthorizedRegistryApi;
  let scratch: string;
  let tokenSecret: string;

  const as = (caller: string, method: Method, url: string, body?: Record<string, unknown>) =>
    api.call(method, url, { as: caller, ...(body === undefined ? {} : { body }) });
  const admin = (method: Method, url: string, body?: Record<string, unknown>) =>
    as(`${ADMIN[0]}:admin`, method, url, body);
  const audit = (path: string, query: Record<string, string | number> = {}, caller = `${ADMIN[0]}:admin`) =>
    api.call(
      'GET',
      `/api/2.0/logbook/identity-audit/${path}?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]))}`,
      { as: caller },
    );
  const rows = async (query: Record<string, string | number>) =>
    (ok(await audit('entries/search', { order: 'oldest', max_results: 1000, ...query })).entries ?? []) as Array<
      Record<string, any>
    >;
  const exported = async () => {
    const answer = await audit('entries/export');
    assert.equal(answer.status, 200, answer.text);
    assert.match(String(answer.contentType), /application\/x-ndjson/);
    return answer.text;
  };
  const asSuperuserWithoutTriggers = async (work: (client: Client) => Promise<unknown>) => {
    const client = new Client({ connectionString: api.identity.config.databaseUrl });
    await client.connect();
    try {
      await client.query(`SET session_replication_role = replica`);
      await work(client);
    } finally {
      await client.end();
    }
  };

  before(async () => {
    api = await startAuthorizedRegistry('identity_audit', ADMIN, 'READ');
    scratch = await mkdtemp(join(tmpdir(), 'logbook-identity-audit-'));
    ok(await admin('POST', '/api/2.0/mlflow/users/create', { username: 'alice', password: PASSWORD }));
    ok(await admin('PATCH', '/api/2.0/mlflow/users/update-password', { username: 'alice', password: NEW_PASSWORD }));
    ok(await admin('PATCH', '/api/2.0/mlflow/users/update-admin', { username: 'alice', is_admin: true }));
    ok(await admin('PATCH', '/api/2.0/mlflow/users/update-admin', { username: 'alice', is_admin: false }));
    const role = ok(await admin('POST', '/api/3.0/mlflow/roles/create', { name: 'risk', workspace: 'default' })).role;
    ok(
      await admin('POST', '/api/3.0/mlflow/roles/permissions/add', {
        role_id: role.id,
        resource_type: 'registered_model',
        resource_pattern: '*',
        permission: 'EDIT',
      }),
    );
    ok(await admin('POST', '/api/3.0/mlflow/roles/assign', { username: 'alice', role_id: role.id }));
    ok(
      await admin('POST', '/api/3.0/mlflow/users/permissions/grant', {
        username: 'alice',
        resource_type: 'experiment',
        resource_id: '0',
        permission: 'MANAGE',
      }),
    );
    const issued = ok(await as('alice', 'POST', '/api/2.0/logbook/tokens/create', { name: 'ci', scope: 'READ' }));
    tokenSecret = issued.secret;
    ok(await as('alice', 'POST', '/api/2.0/logbook/tokens/revoke', { token_id: issued.token.id }));
  });

  after(async () => {
    await api.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('records one row per identity event, in its own schema, apart from the registry trail', async () => {
    const events = await api.identity.db.query<{ event_id: string; type: string }>(
      `SELECT event_id, type FROM identity.events ORDER BY global_position`,
    );
    const all = await rows({});
    assert.deepEqual(
      all.map((row) => [row.event_id, row.event_type]),
      events.rows.map((event) => [event.event_id, event.type]),
      'every event has its row, in commit order',
    );
    for (const type of [
      'UserCreated',
      'UserPasswordChanged',
      'UserAdminChanged',
      'RoleCreated',
      'RolePermissionAdded',
      'UserAssigned',
      'TokenIssued',
      'TokenRevoked',
    ]) {
      assert.ok(
        all.some((row) => row.event_type === type),
        `a ${type} row`,
      );
    }
    const registryRows = await api.registry.db.query<{ count: string }>(`SELECT count(*) FROM registry.audit_log`);
    assert.equal(Number(registryRows.rows[0].count), 0, 'identity changes stay out of the registry trail');
  });

  it("names who changed whose access, and how, with the state around it; a user's search finds their tokens", async () => {
    const [admined, unadmined] = await rows({ name: 'alice', event_type: 'UserAdminChanged' });
    assert.equal(admined.actor.name, 'root');
    assert.equal(admined.actor.auth_method, 'basic');
    assert.deepEqual([admined.before.isAdmin, admined.after.isAdmin], [false, true]);
    assert.deepEqual([unadmined.before.isAdmin, unadmined.after.isAdmin], [true, false]);
    assert.equal(admined.stream_type, 'user');

    const granted = await rows({ name: 'risk', event_type: 'RolePermissionAdded' });
    assert.deepEqual(
      granted[0].after.permissions.map((p: Record<string, unknown>) => [p.resourceType, p.permission]),
      [['registered_model', 'EDIT']],
    );
    const tokens = await rows({ name: 'alice', actor: 'alice' });
    assert.deepEqual(
      tokens.map((row) => [row.event_type, row.stream_type]),
      [
        ['TokenIssued', 'token'],
        ['TokenRevoked', 'token'],
      ],
    );
    assert.equal(tokens[1].after.revoked, true);
  });

  it('never holds a password, a password hash, a token or its hash', async () => {
    const hashes = [
      ...(await api.identity.db.query<{ secret: string }>(`SELECT password_hash AS secret FROM identity.users`)).rows,
      ...(await api.identity.db.query<{ secret: string }>(`SELECT secret_hash AS secret FROM identity.tokens`)).rows,
    ].map((row) => row.secret);
    const log = (await api.identity.db.query<{ data: string }>(`SELECT data::text FROM identity.events`)).rows
      .map((row) => row.data)
      .join('\n');
    assert.ok(
      hashes.every((hash) => log.includes(hash)),
      'the events do carry the hashes (what the trail must leave out)',
    );
    const stored = (
      await api.identity.db.query<{ row: string }>(`SELECT row_to_json(a)::text AS row FROM identity.audit_log a`)
    ).rows
      .map((row) => row.row)
      .join('\n');
    for (const text of [stored, await exported()]) {
      for (const secret of [...hashes, PASSWORD, NEW_PASSWORD, tokenSecret]) {
        assert.ok(!text.includes(secret), `the trail holds a secret: ${secret.slice(0, 12)}…`);
      }
    }
  });

  it('is for admins only, and answers bad filters with MLflow errors', async () => {
    for (const path of ['entries/search', 'entries/export', 'verify', 'checkpoints/public-keys']) {
      const refused = await audit(path, {}, 'alice');
      assert.equal(refused.status, 403, `${path}: ${refused.text}`);
      assert.equal(refused.json.error_code, 'PERMISSION_DENIED');
    }
    const badQueries: Record<string, string | number>[] = [
      { version: 'abc' },
      { from: -1 },
      { break_glass: 'maybe' },
      { max_results: 0 },
      { order: 'x' },
    ];
    for (const query of badQueries) {
      const answer = await audit('entries/search', query);
      assert.equal(answer.status, 400, `${JSON.stringify(query)}: ${answer.text}`);
      assert.equal(answer.json.error_code, 'INVALID_PARAMETER_VALUE');
    }
    const ajax = await api.call('GET', '/ajax-api/2.0/logbook/identity-audit/entries/search?name=alice', {
      as: `${ADMIN[0]}:admin`,
    });
    assert.ok(ok(ajax).entries.length > 0, 'also served under ajax-api');
  });

  it('refuses UPDATE and DELETE of its rows, and verifies with the checkpoints signed over it', async () => {
    assert.ok(await api.identity.auditCheckpointer.checkpoint());
    await assert.rejects(api.identity.db.query(`UPDATE identity.audit_log SET actor_name = 'mallory'`), /append-only/);
    await assert.rejects(api.identity.db.query(`DELETE FROM identity.audit_log`), /append-only/);
    const verified = ok(await audit('verify'));
    assert.equal(verified.valid, true, JSON.stringify(verified));
    assert.ok(verified.checkpoints_checked >= 1);

    const file = join(scratch, 'identity-audit.jsonl');
    await writeFile(file, await exported());
    const keyFile = join(scratch, 'identity.pem');
    await writeFile(keyFile, ok(await audit('checkpoints/public-keys')).keys[0].public_key);
    const offline = await verifyExport(file, [ok(await audit('checkpoints/public-keys')).keys[0].public_key]);
    assert.equal(offline.valid, true, JSON.stringify(offline));
    const cli = await run(process.execPath, [
      'dist/services/gateway/src/audit-verify.js',
      '--service',
      'identity',
      '--file',
      file,
      '--public-key',
      keyFile,
    ]);
    assert.equal(JSON.parse(cli.stdout).valid, true);
  });

  it('detects a row a superuser edited, naming it, through the API and `npm run audit:verify -- --service identity`', async () => {
    const [target] = await rows({ name: 'alice', event_type: 'UserAdminChanged' });
    const original = await api.identity.db.query<{ after: string }>(
      `SELECT after::text FROM identity.audit_log WHERE seq = $1`,
      [target.seq],
    );
    await asSuperuserWithoutTriggers((client) =>
      client.query(`UPDATE identity.audit_log SET after = '{"isAdmin": false}' WHERE seq = $1`, [target.seq]),
    );
    try {
      const broken = ok(await audit('verify'));
      assert.equal(broken.valid, false);
      assert.deepEqual(broken.first_broken, {
        seq: target.seq,
        reason: 'its content does not match its hash (the row was altered)',
      });
      const cli = await run(process.execPath, ['dist/services/gateway/src/audit-verify.js', '--service', 'identity'], {
        env: { ...process.env, LOGBOOK_MODE: 'distributed', DATABASE_URL: api.identity.config.databaseUrl },
      }).then(
        () => assert.fail('the CLI exits 1 on a broken trail'),
        (error: { code: number; stderr: string }) => error,
      );
      assert.equal(cli.code, 1);
      assert.match(cli.stderr, new RegExp(`broken at row ${target.seq}: its content does not match`));
    } finally {
      await asSuperuserWithoutTriggers((client) =>
        client.query(`UPDATE identity.audit_log SET after = $2::jsonb WHERE seq = $1`, [
          target.seq,
          original.rows[0].after,
        ]),
      );
    }
    assert.equal(ok(await audit('verify')).valid, true, 'restored, the row verifies again');
  });
});
