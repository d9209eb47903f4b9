import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import Fastify from 'fastify';
import pino from 'pino';
import { CommandMetadata, createHttpApp, systemActor } from '@logbook/platform';
import { runRebuildCommand } from '@logbook/runtime';
import { createTestDatabase, testInfra } from '@logbook/testing';
import { registerRoutes, routingTable } from '../../services/gateway/src/routing';
import { upstreamPools } from '../../services/gateway/src/upstream-pool';
import { loadRegistryConfig } from '../../services/registry/src/config';
import { ModelVersionsService } from '../../services/registry/src/model-versions/model-versions.service';
import { RegistryModule } from '../../services/registry/src/registry.module';
import {
  openRegistryStore,
  registryProjections,
  RegistryRuntime,
  registryStreams,
  startRegistryRuntime,
} from '../../services/registry/src/registry.runtime';
import { RegistryConfig } from '../../services/registry/src/config';
import { registryProjectionRows } from './registry-fixtures';

type Answer = { status: number; json: Record<string, any> };

/** What the artifacts service's verdict on a version carries when the registry applies it. */
const artifacts = (): CommandMetadata => ({
  now: Date.now(),
  actor: systemActor('artifacts'),
  requestId: 'verification',
});
const SOURCE = `runs:/${'a'.repeat(32)}/model`;

describe('registry history and time travel on real Postgres', () => {
  let app: NestFastifyApplication;
  let runtime: RegistryRuntime;
  let config: RegistryConfig;
  let database: { url: string; drop(): Promise<void> };
  let versions: ModelVersionsService;

  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<Answer> => {
    const response = await app.inject({
      method,
      url,
      ...(body === undefined ? {} : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    return { status: response.statusCode, json: response.json() as Record<string, any> };
  };
  const mlflow = async (method: 'POST' | 'PATCH' | 'DELETE', path: string, body: unknown) => {
    const answer = await call(method, `/api/2.0/mlflow/${path}`, { ...(body as object) });
    assert.equal(answer.status, 200, `${path}: ${JSON.stringify(answer.json)}`);
    return answer.json;
  };
  const logbook = (path: string, query: Record<string, string | number>, prefix = 'api') => {
    const search = new URLSearchParams(
      Object.entries(query).map(([key, value]) => [key, String(value)] as [string, string]),
    );
    return call('GET', `/${prefix}/2.0/logbook/registered-models/${path}?${search}`);
  };
  const history = async (name: string, pageSize = 1000) => {
    const changes: Record<string, any>[] = [];
    let token: string | undefined;
    do {
      const answer = await logbook('history', { name, max_results: pageSize, ...(token ? { page_token: token } : {}) });
      assert.equal(answer.status, 200, JSON.stringify(answer.json));
      changes.push(...(answer.json.changes ?? []));
      token = answer.json.next_page_token;
    } while (token);
    return changes;
  };
  const stateAt = async (name: string, asOf: number) => {
    const answer = await logbook('state', { name, as_of: asOf });
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    return answer.json;
  };
  const fails = (answer: Answer, status: number, errorCode: string, message?: string) => {
    assert.equal(answer.status, status, JSON.stringify(answer.json));
    assert.equal(answer.json.error_code, errorCode);
    if (message !== undefined) assert.ok(String(answer.json.message).includes(message), answer.json.message);
  };
  /** A time strictly between what was written before and what is written after. */
  const instant = async () => {
    await sleep(3);
    const time = Date.now();
    await sleep(3);
    return time;
  };
  const modelId = async (name: string) =>
    (
      await runtime.db.query<{ registered_model_id: string }>(
        `SELECT registered_model_id FROM registry.registered_models WHERE name = $1`,
        [name],
      )
    ).rows[0].registered_model_id;
  const stagesOf = (state: Record<string, any>) =>
    Object.fromEntries((state.model_versions ?? []).map((v: Record<string, string>) => [v.version, v.current_stage]));

  before(async () => {
    const infra = testInfra();
    database = await createTestDatabase('registry_history');
    config = loadRegistryConfig({
      LOGBOOK_MODE: 'distributed',
      DATABASE_URL: database.url,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    });
    runtime = await startRegistryRuntime(config, pino({ level: 'silent' }));
    @Module({ imports: [RegistryModule.with(runtime)] })
    class TestModule {}
    app = await createHttpApp(TestModule, { logger: pino({ level: 'silent' }), bodyLimitBytes: 2 * 1024 * 1024 });
    await app.listen(0, '127.0.0.1');
    versions = app.get(ModelVersionsService);
  });

  after(async () => {
    await app.close();
    await runtime.close();
    await database.drop();
  });

  it('lists every change to a model and its versions in order, with actor, time and request, across a rename', async () => {
    const name = `fraud-${randomUUID().slice(0, 8)}`;
    const started = Date.now();
    await mlflow('POST', 'registered-models/create', { name, tags: [{ key: 'team', value: 'risk' }] });
    await mlflow('POST', 'model-versions/create', { name, source: SOURCE });
    await versions.completeRegistration(await modelId(name), 1, { digest: 'sha256:abc' }, artifacts());
    await mlflow('POST', 'model-versions/create', { name, source: SOURCE });
    await versions.failRegistration(await modelId(name), 2, 'No MLmodel file at the source', artifacts());
    await mlflow('POST', 'model-versions/transition-stage', { name, version: '1', stage: 'Production' });
    await mlflow('POST', 'registered-models/alias', { name, alias: 'champion', version: '1' });
    await mlflow('POST', 'registered-models/alias', { name, alias: 'champion', version: '2' });
    await mlflow('POST', 'model-versions/set-tag', { name, version: '1', key: 'validated', value: 'yes' });
    await mlflow('PATCH', 'model-versions/update', { name, version: '1', description: 'first' });
    const renamed = `${name}-v2`;
    await mlflow('POST', 'registered-models/rename', { name, new_name: renamed });
    await mlflow('DELETE', 'registered-models/alias', { name: renamed, alias: 'champion' });
    await mlflow('DELETE', 'model-versions/delete', { name: renamed, version: '2' });
    const finished = Date.now();

    const changes = await history(renamed);
    assert.deepEqual(
      changes.map((c) => c.type),
      [
        'RegisteredModelCreated',
        'ModelVersionNumberAssigned',
        'ModelVersionCreated',
        'ModelVersionRegistrationCompleted',
        'ModelVersionNumberAssigned',
        'ModelVersionCreated',
        'ModelVersionRegistrationFailed',
        'ModelVersionStageTransitioned',
        'RegisteredModelAliasSet',
        'RegisteredModelAliasSet',
        'ModelVersionTagSet',
        'ModelVersionDescriptionUpdated',
        'RegisteredModelRenamed',
        'RegisteredModelAliasDeleted',
        'ModelVersionWithdrawn',
        'ModelVersionDeleted',
      ],
    );
    for (const change of changes) {
      assert.ok(change.actor.id && change.actor.kind, `actor of ${change.type}`);
      assert.ok(change.request_id, `request of ${change.type}`);
      assert.ok(change.timestamp >= started && change.timestamp <= finished, `time of ${change.type}`);
    }
    const timestamps = changes.map((c) => c.timestamp);
    assert.deepEqual(
      timestamps,
      [...timestamps].sort((a, b) => a - b),
    );
    assert.deepEqual(changes[3].actor, { id: 'artifacts', kind: 'system', name: 'artifacts', auth_method: 'none' });
    assert.deepEqual(changes[0].actor, { id: 'anonymous', kind: 'anonymous', name: 'anonymous', auth_method: 'none' });
    assert.equal(changes[0].data.name, name, 'changes made under the old name are listed');
    assert.deepEqual(changes[0].data.tags, [{ key: 'team', value: 'risk' }]);
    assert.deepEqual(changes[7].data.previous_stage, 'None');
    assert.equal(changes[7].data.archived_versions, undefined, 'empty lists are left out, as everywhere in the API');
    assert.equal(changes[8].data.previous_version, null);
    assert.equal(changes[9].data.previous_version, 1, 'a moved alias names the version it left');
    assert.equal(changes[9].data.version, 2);
    assert.equal(changes[6].data.status_message, 'No MLmodel file at the source');
    assert.deepEqual(changes[12].data.previous_name, name);
    assert.equal(changes[13].data.version, 2, 'a deleted alias names the version it pointed to');
    assert.deepEqual(Object.keys(changes[0]).sort(), ['actor', 'data', 'event_id', 'request_id', 'timestamp', 'type']);

    assert.deepEqual(await history(name), changes, 'the old name still finds the model');
    assert.deepEqual(await history(renamed, 3), changes, 'pages of three give the same changes');
    const ajax = await logbook('history', { name: renamed, max_results: 2 }, 'ajax-api');
    assert.equal(ajax.status, 200);
    assert.deepEqual(ajax.json.changes, changes.slice(0, 2));
    assert.ok(ajax.json.next_page_token);
  });

  it('answers the whole state of a model at several past instants, by the same projection as the live state', async () => {
    const name = `churn-${randomUUID().slice(0, 8)}`;
    const beforeCreation = await instant();
    await mlflow('POST', 'registered-models/create', { name, description: 'churn model' });
    await mlflow('POST', 'model-versions/create', { name, source: SOURCE, tags: [{ key: 'k', value: 'v' }] });
    await mlflow('POST', 'model-versions/create', { name, source: SOURCE });
    await mlflow('POST', 'model-versions/transition-stage', { name, version: '1', stage: 'Production' });
    await mlflow('POST', 'registered-models/alias', { name, alias: 'champion', version: '1' });
    const tuesday = await instant();
    await mlflow('POST', 'model-versions/transition-stage', {
      name,
      version: '2',
      stage: 'Production',
      archive_existing_versions: true,
    });
    await mlflow('POST', 'registered-models/alias', { name, alias: 'champion', version: '2' });
    await mlflow('POST', 'registered-models/set-tag', { name, key: 'owner', value: 'ana' });
    const renamed = `${name}-renamed`;
    await mlflow('POST', 'registered-models/rename', { name, new_name: renamed });
    const wednesday = await instant();
    await mlflow('DELETE', 'model-versions/delete', { name: renamed, version: '1' });
    const thursday = await instant();

    fails(await logbook('state', { name: renamed, as_of: beforeCreation }), 404, 'RESOURCE_DOES_NOT_EXIST', name);

    const then = await stateAt(renamed, tuesday);
    assert.equal(then.as_of, tuesday);
    assert.equal(then.registered_model.name, name, 'the name it had then');
    assert.equal(then.registered_model.description, 'churn model');
    assert.deepEqual(stagesOf(then), { 1: 'Production', 2: 'None' });
    assert.deepEqual(then.registered_model.aliases, [{ alias: 'champion', version: '1' }]);
    assert.deepEqual(then.model_versions[0].aliases, ['champion']);
    assert.deepEqual(then.model_versions[0].tags, [{ key: 'k', value: 'v' }]);
    assert.equal(then.registered_model.tags, undefined);

    const later = await stateAt(name, wednesday);
    assert.equal(later.registered_model.name, renamed);
    assert.deepEqual(stagesOf(later), { 1: 'Archived', 2: 'Production' });
    assert.deepEqual(later.registered_model.aliases, [{ alias: 'champion', version: '2' }]);
    assert.deepEqual(later.registered_model.tags, [{ key: 'owner', value: 'ana' }]);

    const now = await stateAt(renamed, thursday);
    assert.deepEqual(stagesOf(now), { 2: 'Production' });
    const live = await call('GET', `/api/2.0/mlflow/registered-models/get?name=${renamed}`);
    assert.deepEqual(now.registered_model, live.json.registered_model, 'the present state is the live answer');
    const liveVersion = await call('GET', `/api/2.0/mlflow/model-versions/get?name=${renamed}&version=2`);
    assert.deepEqual(now.model_versions, [liveVersion.json.model_version]);

    await mlflow('DELETE', 'registered-models/delete', { name: renamed });
    const afterDeletion = await instant();
    assert.deepEqual(stagesOf(await stateAt(renamed, wednesday)), { 1: 'Archived', 2: 'Production' });
    fails(await logbook('state', { name: renamed, as_of: afterDeletion }), 404, 'RESOURCE_DOES_NOT_EXIST');
    assert.equal((await history(renamed)).at(-1)?.type, 'RegisteredModelDeleted', 'a deleted model keeps its history');
    const tables = await runtime.db.query(`SELECT 1 FROM pg_tables WHERE schemaname LIKE 'pg_temp%'`);
    assert.equal(tables.rows.length, 0, 'no temporary table outlives its request');
  });

  it('resolves a name to the model that took it last, and keeps the earlier holder reachable by its new name', async () => {
    const name = `shared-${randomUUID().slice(0, 8)}`;
    await mlflow('POST', 'registered-models/create', { name, description: 'first' });
    await mlflow('POST', 'registered-models/rename', { name, new_name: `${name}-old` });
    await mlflow('POST', 'registered-models/create', { name, description: 'second' });
    const now = Date.now();
    assert.equal((await stateAt(name, now)).registered_model.description, 'second');
    assert.equal((await stateAt(`${name}-old`, now)).registered_model.description, 'first');
    assert.deepEqual(
      (await history(name)).map((c) => c.type),
      ['RegisteredModelCreated'],
    );
    assert.deepEqual(
      (await history(`${name}-old`)).map((c) => c.type),
      ['RegisteredModelCreated', 'RegisteredModelRenamed'],
    );
  });

  it('answers bad and extreme input with MLflow errors, never 500', async () => {
    const name = `bounds-${randomUUID().slice(0, 8)}`;
    await mlflow('POST', 'registered-models/create', { name });
    fails(await logbook('history', { name: 'no-such-model' }), 404, 'RESOURCE_DOES_NOT_EXIST', 'no-such-model');
    fails(await logbook('state', { name: 'no-such-model', as_of: 1 }), 404, 'RESOURCE_DOES_NOT_EXIST');
    fails(await logbook('history', { name: 'x'.repeat(20_000) }), 404, 'RESOURCE_DOES_NOT_EXIST');
    fails(await logbook('history', {}), 400, 'INVALID_PARAMETER_VALUE', "'name'");
    fails(await logbook('history', { name: 'a/b' }), 400, 'INVALID_PARAMETER_VALUE');
    fails(await logbook('history', { name, max_results: 0 }), 400, 'INVALID_PARAMETER_VALUE');
    fails(await logbook('history', { name, max_results: 1001 }), 400, 'INVALID_PARAMETER_VALUE');
    fails(await logbook('history', { name, max_results: '9223372036854775807' }), 400, 'INVALID_PARAMETER_VALUE');
    fails(await logbook('history', { name, page_token: 'garbage' }), 400, 'INVALID_PARAMETER_VALUE');
    fails(await logbook('state', { name }), 400, 'INVALID_PARAMETER_VALUE', "'as_of'");
    fails(await logbook('state', { name, as_of: 'yesterday' }), 400, 'INVALID_PARAMETER_VALUE');
    fails(await logbook('state', { name, as_of: -1 }), 400, 'INVALID_PARAMETER_VALUE', "'as_of'");
    fails(await logbook('state', { name, as_of: '9223372036854775807' }), 400, 'INVALID_PARAMETER_VALUE');
    fails(await logbook('state', { name, as_of: '-9223372036854775808' }), 400, 'INVALID_PARAMETER_VALUE');
    fails(await logbook('state', { name, as_of: 0 }), 404, 'RESOURCE_DOES_NOT_EXIST');
    const farFuture = await logbook('state', { name, as_of: Number.MAX_SAFE_INTEGER });
    assert.equal(farFuture.status, 200, JSON.stringify(farFuture.json));
    assert.equal(farFuture.json.registered_model.name, name);
    const lastPage = await logbook('history', {
      name,
      page_token: Buffer.from('{"offset": 9007199254740991}').toString('base64'),
    });
    assert.equal(lastPage.status, 200);
    assert.equal(lastPage.json.changes, undefined);
  });

  it('is routed by the distributed gateway under both prefixes', async () => {
    const name = `routed-${randomUUID().slice(0, 8)}`;
    await mlflow('POST', 'registered-models/create', { name });
    const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const gateway = Fastify();
    await registerRoutes(
      gateway,
      routingTable(upstreamPools({ tracking: base, artifacts: base, registry: base })),
      pino({ level: 'silent' }),
    );
    const gatewayBase = await gateway.listen({ port: 0, host: '127.0.0.1' });
    try {
      for (const prefix of ['api', 'ajax-api']) {
        const changes = await fetch(`${gatewayBase}/${prefix}/2.0/logbook/registered-models/history?name=${name}`);
        assert.equal(changes.status, 200);
        assert.equal(((await changes.json()) as Record<string, any>).changes[0].type, 'RegisteredModelCreated');
        const state = await fetch(
          `${gatewayBase}/${prefix}/2.0/logbook/registered-models/state?name=${name}&as_of=${Date.now()}`,
        );
        assert.equal(state.status, 200);
        assert.equal(((await state.json()) as Record<string, any>).registered_model.name, name);
      }
    } finally {
      await gateway.close();
    }
  });

  it('rebuilds the registry read model from its log, through its rebuild command, to the same rows', async () => {
    const name = `rebuilt-${randomUUID().slice(0, 8)}`;
    await mlflow('POST', 'registered-models/create', { name, tags: [{ key: 'a', value: '1' }] });
    for (let i = 0; i < 4; i++) await mlflow('POST', 'model-versions/create', { name, source: SOURCE });
    const id = await modelId(name);
    await versions.completeRegistration(
      id,
      1,
      { digest: 'sha256:one', storageLocation: 's3://registry/1' },
      artifacts(),
    );
    await versions.completeRegistration(id, 2, { digest: 'sha256:two' }, artifacts());
    await versions.failRegistration(id, 3, 'No MLmodel file at the source', artifacts());
    await mlflow('POST', 'model-versions/transition-stage', { name, version: '1', stage: 'Production' });
    await mlflow('POST', 'model-versions/transition-stage', {
      name,
      version: '2',
      stage: 'Production',
      archive_existing_versions: true,
    });
    await mlflow('POST', 'model-versions/transition-stage', { name, version: '4', stage: 'Staging' });
    await mlflow('POST', 'registered-models/alias', { name, alias: 'champion', version: '1' });
    await mlflow('POST', 'registered-models/alias', { name, alias: 'champion', version: '2' });
    await mlflow('POST', 'registered-models/alias', { name, alias: 'challenger', version: '4' });
    await mlflow('POST', 'registered-models/set-tag', { name, key: 'b', value: '2' });
    await mlflow('DELETE', 'registered-models/delete-tag', { name, key: 'a' });
    await mlflow('POST', 'model-versions/set-tag', { name, version: '2', key: 'validated', value: 'yes' });
    await mlflow('POST', 'model-versions/set-tag', { name, version: '4', key: 'gone', value: 'soon' });
    await mlflow('DELETE', 'model-versions/delete-tag', { name, version: '4', key: 'gone' });
    await mlflow('PATCH', 'model-versions/update', { name, version: '2', description: 'the champion' });
    await mlflow('PATCH', 'registered-models/update', { name, description: 'rebuilt model' });
    const renamed = `${name}-renamed`;
    await mlflow('POST', 'registered-models/rename', { name, new_name: renamed });
    await mlflow('DELETE', 'model-versions/delete', { name: renamed, version: '4' });
    const doomed = `doomed-${randomUUID().slice(0, 8)}`;
    await mlflow('POST', 'registered-models/create', { name: doomed });
    await mlflow('POST', 'model-versions/create', { name: doomed, source: SOURCE });
    await mlflow('DELETE', 'registered-models/delete', { name: doomed });
    await mlflow('POST', 'registered-models/create', { name: doomed, tags: [{ key: 'again', value: 'yes' }] });

    const snapshot = () => registryProjectionRows(runtime.db);
    const live = await snapshot();
    assert.ok(live[3].length >= 5, 'the sequence left versions to compare');
    await runtime.db.query(`UPDATE registry.model_versions SET current_stage = 'Staging', description = 'drifted'`);
    await runtime.db.query(`DELETE FROM registry.registered_model_aliases`);
    const logger = pino({ level: 'silent' });
    const target = {
      projections: registryProjections,
      streams: registryStreams,
      open: () => openRegistryStore(config, logger),
    };
    await runRebuildCommand(target, logger, []);
    assert.deepEqual(await snapshot(), live);
    await runRebuildCommand(target, logger, ['--heads']);
    await assert.rejects(runRebuildCommand(target, logger, ['lineage']), /Unknown projection\(s\): lineage/);
    const state = await stateAt(renamed, Date.now());
    const answer = await call('GET', `/api/2.0/mlflow/registered-models/get?name=${renamed}`);
    assert.deepEqual(state.registered_model, answer.json.registered_model);
  });
});
