import 'reflect-metadata';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import Fastify from 'fastify';
import pino from 'pino';
import { Client } from 'pg';
import { AuditContent, chainEntries, verifyExport } from '@logbook/audit';
import { CommandMetadata, createHttpApp, systemActor } from '@logbook/platform';
import { createTestDatabase, testInfra } from '@logbook/testing';
import { registerRoutes, routingTable } from '../../services/gateway/src/routing';
import { upstreamPools } from '../../services/gateway/src/upstream-pool';
import { loadRegistryConfig } from '../../services/registry/src/config';
import { ModelVersionsService } from '../../services/registry/src/model-versions/model-versions.service';
import { RegistryModule } from '../../services/registry/src/registry.module';
import {
  registryProjections,
  RegistryRuntime,
  startRegistryRuntime,
} from '../../services/registry/src/registry.runtime';

type Answer = { status: number; json: Record<string, any> };

const SOURCE = `runs:/${'a'.repeat(32)}/model`;
const artifacts = (): CommandMetadata => ({
  now: Date.now(),
  actor: systemActor('artifacts'),
  requestId: 'verification',
});
const run = promisify(execFile);

/** Starts the registry on a database and serves it, as the embedded shape does (the client is the peer). */
async function serveRegistry(runtime: RegistryRuntime, behindGateway = false) {
  @Module({ imports: [RegistryModule.with(runtime)] })
  class TestModule {}
  const app = await createHttpApp(TestModule, {
    logger: pino({ level: 'silent' }),
    bodyLimitBytes: 2 * 1024 * 1024,
    behindGateway,
  });
  await app.listen(0, '127.0.0.1');
  return app;
}

describe('registry audit trail on real Postgres', () => {
  let app: NestFastifyApplication;
  let runtime: RegistryRuntime;
  let database: { url: string; drop(): Promise<void> };
  let versions: ModelVersionsService;
  let scratch: string;

  const call = async (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> => {
    const response = await app.inject({
      method,
      url,
      remoteAddress: '192.0.2.10',
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    return { status: response.statusCode, json: response.json() as Record<string, any> };
  };
  const mlflow = async (path: string, body: unknown, headers?: Record<string, string>) => {
    const answer = await call('POST', `/api/2.0/mlflow/${path}`, body, headers);
    assert.equal(answer.status, 200, `${path}: ${JSON.stringify(answer.json)}`);
    return answer.json;
  };
  const audit = (path: string, query: Record<string, string | number> = {}, prefix = 'api') =>
    call(
      'GET',
      `/${prefix}/2.0/logbook/audit/${path}?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]))}`,
    );
  const search = async (query: Record<string, string | number>) => {
    const answer = await audit('entries/search', query);
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    return answer.json;
  };
  const allPages = async (query: Record<string, string | number>) => {
    const entries: Record<string, any>[] = [];
    let token: string | undefined;
    do {
      const page = await search({ ...query, ...(token ? { page_token: token } : {}) });
      entries.push(...(page.entries ?? []));
      token = page.next_page_token;
    } while (token);
    return entries;
  };
  const verify = async () => {
    const answer = await audit('verify');
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    return answer.json;
  };
  const modelId = async (name: string) =>
    (
      await runtime.db.query<{ registered_model_id: string }>(
        `SELECT registered_model_id FROM registry.registered_models WHERE name = $1`,
        [name],
      )
    ).rows[0].registered_model_id;
  /** A session as a superuser who switched the audit trail's triggers off: what verification must catch. */
  const asSuperuserWithoutTriggers = async (work: (client: Client) => Promise<void>) => {
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(`SET session_replication_role = replica`);
      await work(client);
    } finally {
      await client.end();
    }
  };
  const exported = async (query: Record<string, string | number> = {}) => {
    const response = await app.inject({
      method: 'GET',
      url: `/api/2.0/logbook/audit/entries/export?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]))}`,
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.match(String(response.headers['content-type']), /application\/x-ndjson/);
    return response.body;
  };

  before(async () => {
    const infra = testInfra();
    database = await createTestDatabase('registry_audit');
    const config = loadRegistryConfig({
      LOGBOOK_MODE: 'distributed',
      DATABASE_URL: database.url,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    });
    runtime = await startRegistryRuntime(config, pino({ level: 'silent' }));
    app = await serveRegistry(runtime);
    versions = app.get(ModelVersionsService);
    scratch = await mkdtemp(join(tmpdir(), 'logbook-audit-'));
  });

  after(async () => {
    await app.close();
    await runtime.close();
    await database.drop();
    await rm(scratch, { recursive: true, force: true });
  });

  it('records a transition with its actor, request id, client address and user agent, and the state before and after', async () => {
    const name = `fraud-${randomUUID().slice(0, 8)}`;
    await mlflow('registered-models/create', { name });
    await mlflow('model-versions/create', { name, source: SOURCE });
    await mlflow(
      'model-versions/transition-stage',
      { name, version: '1', stage: 'Production' },
      { 'user-agent': 'mlflow-python-client/3.1.0', 'x-request-id': 'req-audit-transition' },
    );
    const { entries } = await search({ name, event_type: 'ModelVersionStageTransitioned' });
    assert.equal(entries.length, 1);
    const [entry] = entries;
    assert.deepEqual(entry.target, { name, version: 1 });
    assert.deepEqual(entry.actor, { id: 'anonymous', name: 'anonymous', kind: 'anonymous', auth_method: 'none' });
    assert.equal(entry.request_id, 'req-audit-transition');
    assert.deepEqual(entry.client, { address: '192.0.2.10', user_agent: 'mlflow-python-client/3.1.0' });
    assert.equal(entry.before.stages['1'], undefined, 'version 1 was in None');
    assert.equal(entry.after.stages['1'], 'Production');
    assert.equal(entry.decision, null);
    assert.match(entry.hash, /^[0-9a-f]{64}$/);
    assert.equal(entry.stream_type, 'registered-model');

    const history = (await search({ name, order: 'oldest' })).entries;
    assert.deepEqual(
      history.map((e: Record<string, any>) => e.event_type),
      ['RegisteredModelCreated', 'ModelVersionNumberAssigned', 'ModelVersionCreated', 'ModelVersionStageTransitioned'],
    );
    for (let i = 1; i < history.length; i++) assert.ok(history[i].seq > history[i - 1].seq);
    assert.deepEqual((await audit('entries/search', { name }, 'ajax-api')).json.entries, [...history].reverse());
  });

  it('records what consumers change too, as the system actor that changed it', async () => {
    const name = `verdict-${randomUUID().slice(0, 8)}`;
    await mlflow('registered-models/create', { name });
    await mlflow('model-versions/create', { name, source: SOURCE });
    await versions.completeRegistration(await modelId(name), 1, { digest: 'sha256:abc' }, artifacts());
    const { entries } = await search({ name, actor: 'artifacts' });
    assert.deepEqual(
      entries.map((e: Record<string, any>) => [e.event_type, e.actor.kind, e.request_id, e.client.address]),
      [['ModelVersionRegistrationCompleted', 'system', 'verification', null]],
    );
    assert.equal(entries[0].before.status, 'PENDING_REGISTRATION');
    assert.equal(entries[0].after.status, 'READY');
  });

  it('filters by model, version, actor, event type and time, and pages newest or oldest first without shifting', async () => {
    const name = `paged-${randomUUID().slice(0, 8)}`;
    const started = Date.now();
    await mlflow('registered-models/create', { name });
    for (let i = 0; i < 3; i++) await mlflow('model-versions/create', { name, source: SOURCE });
    for (const key of ['a', 'b', 'c']) await mlflow('model-versions/set-tag', { name, version: '2', key, value: key });
    const finished = Date.now() + 1;

    const all = await allPages({ name, max_results: 100 });
    assert.equal(all.length, 1 + 3 * 2 + 3);
    const newestInTwos = await allPages({ name, max_results: 2 });
    assert.deepEqual(newestInTwos, all);
    const oldestInThrees = await allPages({ name, max_results: 3, order: 'oldest' });
    assert.deepEqual(oldestInThrees, [...all].reverse());

    const firstPage = await search({ name, max_results: 4 });
    await mlflow('model-versions/set-tag', { name, version: '2', key: 'late', value: 'x' });
    const secondPage = await search({ name, max_results: 4, page_token: firstPage.next_page_token });
    assert.deepEqual(secondPage.entries, all.slice(4, 8), 'a row added meanwhile does not shift the next page');

    const tags = await allPages({ name, version: 2, event_type: 'ModelVersionTagSet' });
    assert.deepEqual(
      tags.map((e) => [e.target.version, e.after.tagKeys.at(-1)]),
      [
        [2, 'late'],
        [2, 'c'],
        [2, 'b'],
        [2, 'a'],
      ],
    );
    assert.equal((await allPages({ name, version: 3 })).length, 2, "version 3's number and its creation");
    assert.equal((await allPages({ name, actor: 'anonymous', from: started, to: finished })).length, all.length);
    assert.deepEqual(await allPages({ name, to: started }), []);
    assert.deepEqual(await allPages({ name, actor: 'someone-else' }), []);
  });

  it('chains concurrent writers in commit order, across the streams of a model and its versions', async () => {
    const name = `busy-${randomUUID().slice(0, 8)}`;
    await mlflow('registered-models/create', { name });
    await mlflow('model-versions/create', { name, source: SOURCE });
    const writes = [
      ...Array.from({ length: 4 }, () => mlflow('model-versions/create', { name, source: SOURCE })),
      ...Array.from({ length: 4 }, (_, i) =>
        mlflow('model-versions/set-tag', { name, version: '1', key: `k${i}`, value: 'v' }),
      ),
      mlflow('registered-models/alias', { name, alias: 'champion', version: '1' }),
      call('DELETE', '/api/2.0/mlflow/model-versions/delete', { name, version: '1' }),
    ];
    await Promise.allSettled(writes);
    const entries = await allPages({ name, order: 'oldest' });
    const events = await runtime.db.query<{ count: string }>(
      `SELECT count(*) FROM registry.events WHERE data->>'name' = $1`,
      [name],
    );
    assert.equal(entries.length, Number(events.rows[0].count), 'one audit row per event, none without its event');
    const result = await verify();
    assert.equal(result.valid, true, JSON.stringify(result));
  });

  it('answers bad filters with MLflow errors, never 500', async () => {
    const queries: Record<string, string | number>[] = [
      { version: 'abc' },
      { version: 0 },
      { version: 2 ** 31 },
      { from: -1 },
      { to: '1e30' },
      { to: '99999999999999999999' },
      { max_results: 0 },
      { max_results: 1001 },
      { page_token: 'not a token' },
      { page_token: Buffer.from('{"offset": -3}').toString('base64') },
      { order: 'sideways' },
    ];
    for (const query of queries) {
      for (const path of ['entries/search', 'entries/export']) {
        if (path === 'entries/export' && ('max_results' in query || 'page_token' in query || 'order' in query))
          continue;
        const answer = await audit(path, query);
        assert.equal(answer.status, 400, `${path} ${JSON.stringify(query)}: ${JSON.stringify(answer.json)}`);
        assert.equal(answer.json.error_code, 'INVALID_PARAMETER_VALUE');
      }
    }
  });

  it('refuses UPDATE, DELETE and TRUNCATE of audit rows and checkpoints, and keeps them through a rebuild', async () => {
    await mlflow('registered-models/create', { name: `locked-${randomUUID().slice(0, 8)}` });
    await runtime.auditCheckpointer.checkpoint();
    for (const statement of [
      `UPDATE registry.audit_log SET actor_name = 'mallory'`,
      `DELETE FROM registry.audit_log WHERE seq = 1`,
      `TRUNCATE registry.audit_log`,
      `UPDATE registry.audit_checkpoints SET hash = 'x'`,
      `DELETE FROM registry.audit_checkpoints`,
    ]) {
      await assert.rejects(runtime.db.query(statement), /append-only/, statement);
    }
    const { rows } = await runtime.db.query<{ count: string }>(`SELECT count(*) FROM registry.audit_log`);
    for (const projection of registryProjections) await runtime.store.rebuild(projection);
    const after = await runtime.db.query<{ count: string }>(`SELECT count(*) FROM registry.audit_log`);
    assert.equal(after.rows[0].count, rows[0].count);
    const result = await verify();
    assert.equal(result.valid, true, JSON.stringify(result));
    assert.equal(result.rows_checked, Number(rows[0].count));
    assert.ok(result.checkpoints_checked >= 1);
  });

  it('serves the public keys checkpoints are signed with, which verify them', async () => {
    await mlflow('registered-models/create', { name: `keyed-${randomUUID().slice(0, 8)}` });
    const checkpoint = await runtime.auditCheckpointer.checkpoint();
    assert.ok(checkpoint);
    const { keys } = (await audit('checkpoints/public-keys')).json;
    assert.equal(keys.length, 1);
    assert.equal(keys[0].key_id, checkpoint.key_id);
    assert.match(keys[0].public_key, /BEGIN PUBLIC KEY/);
    assert.equal(await runtime.auditCheckpointer.checkpoint(), null, 'an unchanged head is signed once');
  });

  it('detects a row edited by a superuser who disabled the triggers, naming it', async () => {
    const name = `tampered-${randomUUID().slice(0, 8)}`;
    await mlflow('registered-models/create', { name });
    assert.equal(
      (await call('PATCH', '/api/2.0/mlflow/registered-models/update', { name, description: 'd' })).status,
      200,
    );
    const [target] = (await search({ name, event_type: 'RegisteredModelDescriptionUpdated' })).entries;
    assert.equal((await verify()).valid, true);
    await asSuperuserWithoutTriggers(async (client) => {
      await client.query(`UPDATE registry.audit_log SET actor_name = 'someone else' WHERE seq = $1`, [target.seq]);
    });
    const broken = await verify();
    assert.equal(broken.valid, false);
    assert.deepEqual(broken.first_broken, {
      seq: target.seq,
      reason: 'its content does not match its hash (the row was altered)',
    });
    const cli = await run(process.execPath, ['dist/services/gateway/src/audit-verify.js'], {
      env: { ...process.env, LOGBOOK_MODE: 'distributed', DATABASE_URL: database.url },
    }).then(
      () => assert.fail('the CLI exits 1 on a broken trail'),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, new RegExp(`broken at row ${target.seq}: its content does not match`));

    await asSuperuserWithoutTriggers(async (client) => {
      await client.query(`UPDATE registry.audit_log SET actor_name = 'anonymous' WHERE seq = $1`, [target.seq]);
    });
    assert.equal((await verify()).valid, true, 'restored, the row verifies again');
  });

  it('detects a rewritten chain whose hashes were recomputed, by the checkpoint signed before', async () => {
    await mlflow('registered-models/create', { name: `rewritten-${randomUUID().slice(0, 8)}` });
    const checkpoint = await runtime.auditCheckpointer.checkpoint();
    assert.ok(checkpoint);
    // The export carries rows exactly as hashed (answers leave out empty lists, as MLflow's protobuf JSON does).
    const original = (await exported())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter((line) => !line.checkpoint)
      .at(-1);
    assert.equal(original.seq, checkpoint.seq);
    const { seq, prev_hash } = original;
    const content = Object.fromEntries(
      Object.entries(original).filter(([key]) => !['seq', 'prev_hash', 'hash'].includes(key)),
    ) as Omit<AuditContent, 'seq'>;
    const [forged] = chainEntries({ seq: seq - 1, hash: prev_hash }, [{ ...content, request_id: 'forged' }]);
    await asSuperuserWithoutTriggers(async (client) => {
      await client.query(`UPDATE registry.audit_log SET request_id = 'forged', hash = $2 WHERE seq = $1`, [
        seq,
        forged.hash,
      ]);
      await client.query(`UPDATE registry.audit_head SET hash = $1`, [forged.hash]);
    });
    const broken = await verify();
    assert.equal(broken.valid, false);
    assert.equal(broken.first_broken.seq, seq);
    assert.match(broken.first_broken.reason, /not the one signed in its checkpoint/);
    await asSuperuserWithoutTriggers(async (client) => {
      await client.query(`UPDATE registry.audit_log SET request_id = $2, hash = $3 WHERE seq = $1`, [
        seq,
        original.request_id,
        original.hash,
      ]);
      await client.query(`UPDATE registry.audit_head SET hash = $1`, [original.hash]);
    });
    assert.equal((await verify()).valid, true);
  });

  it('exports JSON lines that verify offline, with the CLI too; a tampered export fails naming its row', async () => {
    await mlflow('registered-models/create', { name: `exported-${randomUUID().slice(0, 8)}` });
    await runtime.auditCheckpointer.checkpoint();
    const body = await exported();
    const lines = body.trim().split('\n');
    const rows = lines.map((line) => JSON.parse(line)).filter((line) => !line.checkpoint);
    assert.deepEqual(
      rows.map((row) => row.seq),
      rows.map((_, i) => i + 1),
    );
    assert.ok(lines.some((line) => line.startsWith('{"checkpoint":')));
    const file = join(scratch, 'audit.jsonl');
    await writeFile(file, body);
    const keyFile = join(scratch, 'key.pem');
    await writeFile(keyFile, (await audit('checkpoints/public-keys')).json.keys[0].public_key);

    const offline = await verifyExport(file, [await readFile(keyFile, 'utf8')]);
    assert.equal(offline.valid, true, JSON.stringify(offline));
    assert.equal(offline.rows_checked, rows.length);
    assert.ok(offline.checkpoints_checked >= 1);
    const cli = await run(process.execPath, [
      'dist/services/gateway/src/audit-verify.js',
      '--file',
      file,
      '--public-key',
      keyFile,
    ]);
    assert.equal(JSON.parse(cli.stdout).valid, true);

    const victim = rows[Math.floor(rows.length / 2)];
    const tampered = lines
      .map((line) => {
        const parsed = JSON.parse(line);
        return parsed.seq === victim.seq ? JSON.stringify({ ...parsed, request_id: 'edited' }) : line;
      })
      .join('\n');
    const tamperedFile = join(scratch, 'tampered.jsonl');
    await writeFile(tamperedFile, tampered);
    const failed = await verifyExport(tamperedFile);
    assert.equal(failed.valid, false);
    assert.equal(failed.first_broken?.seq, victim.seq);
    const failedCli = await run(process.execPath, [
      'dist/services/gateway/src/audit-verify.js',
      '--file',
      tamperedFile,
    ]).then(
      () => assert.fail('the CLI exits 1 on a tampered export'),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(failedCli.code, 1);
    assert.match(failedCli.stderr, new RegExp(`broken at row ${victim.seq}`));

    const withoutRow = lines.filter((line) => JSON.parse(line).seq !== victim.seq).join('\n');
    await writeFile(tamperedFile, withoutRow);
    assert.equal((await verifyExport(tamperedFile)).first_broken?.seq, victim.seq + 1, 'a removed row is missed');
  });

  it('records the address the gateway saw, not one a client claims, behind the gateway', async () => {
    const internal = await serveRegistry(runtime, true);
    const gateway = Fastify({ trustProxy: true });
    const base = `http://127.0.0.1:${(internal.getHttpServer().address() as { port: number }).port}`;
    await registerRoutes(
      gateway,
      routingTable(upstreamPools({ tracking: base, artifacts: base, registry: base })),
      pino({ level: 'silent' }),
    );
    const gatewayBase = await gateway.listen({ port: 0, host: '127.0.0.1' });
    try {
      const name = `routed-${randomUUID().slice(0, 8)}`;
      const created = await fetch(`${gatewayBase}/api/2.0/mlflow/registered-models/create`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'curl/8.5',
          'x-forwarded-for': '203.0.113.7',
          'x-logbook-client-address': '198.51.100.66',
        },
        body: JSON.stringify({ name }),
      });
      assert.equal(created.status, 200);
      const answer = await fetch(`${gatewayBase}/ajax-api/2.0/logbook/audit/entries/search?name=${name}`);
      assert.equal(answer.status, 200);
      const { entries } = (await answer.json()) as Record<string, any>;
      assert.deepEqual(entries[0].client, { address: '203.0.113.7', user_agent: 'curl/8.5' });
    } finally {
      await gateway.close();
      await internal.close();
    }
  });
});

describe('registry audit trail on PGlite (the embedded shape)', () => {
  it('chains, refuses changes and verifies as on Postgres', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'logbook-audit-pglite-'));
    const runtime = await startRegistryRuntime(
      loadRegistryConfig({
        LOGBOOK_MODE: 'embedded',
        LOGBOOK_DATA_DIR: dataDir,
        LOGBOOK_EMBEDDED_DATABASE: 'pglite',
        LOGBOOK_EMBEDDED_DURABILITY: 'fast',
      }),
      pino({ level: 'silent' }),
    );
    const app = await serveRegistry(runtime);
    try {
      for (const name of ['pglite-a', 'pglite-b']) {
        const created = await app.inject({
          method: 'POST',
          url: '/api/2.0/mlflow/registered-models/create',
          headers: { 'content-type': 'application/json', 'user-agent': 'mlflow-java-client' },
          payload: JSON.stringify({ name }),
        });
        assert.equal(created.statusCode, 200, created.body);
      }
      assert.ok(await runtime.auditCheckpointer.checkpoint());
      await assert.rejects(runtime.db.query(`DELETE FROM registry.audit_log`), /append-only/);
      const search = await app.inject({ url: '/api/2.0/logbook/audit/entries/search?name=pglite-b' });
      const { entries } = search.json() as Record<string, any>;
      assert.equal(entries[0].client.user_agent, 'mlflow-java-client');
      assert.equal(entries[0].seq, 2);
      const verified = (await app.inject({ url: '/api/2.0/logbook/audit/verify' })).json() as Record<string, any>;
      assert.deepEqual(verified, { valid: true, rows_checked: 2, first_broken: null, checkpoints_checked: 1 });
    } finally {
      await app.close();
      await runtime.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
