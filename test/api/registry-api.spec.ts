import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { CommandMetadata, createHttpApp, systemActor } from '@logbook/platform';
import { createTestDatabase, testInfra } from '@logbook/testing';
import { loadRegistryConfig } from '../../services/registry/src/config';
import { ModelVersionsService } from '../../services/registry/src/model-versions/model-versions.service';
import { RegistryModule } from '../../services/registry/src/registry.module';
import {
  registryProjections,
  RegistryRuntime,
  startRegistryRuntime,
} from '../../services/registry/src/registry.runtime';
import { registryProjectionRows } from './registry-fixtures';

type Answer = { status: number; json: Record<string, any> };
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

const SYSTEM: CommandMetadata = { now: 0, actor: systemActor('artifacts'), requestId: 'verification' };

describe('registry API on real Postgres', () => {
  let app: NestFastifyApplication;
  let runtime: RegistryRuntime;
  let database: { url: string; drop(): Promise<void> };
  let versions: ModelVersionsService;

  const call = async (method: Method, path: string, body?: unknown, prefix = 'api'): Promise<Answer> => {
    const response = await app.inject({
      method,
      url: `/${prefix}/2.0/mlflow/${path}`,
      ...(body === undefined ? {} : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    return { status: response.statusCode, json: response.json() as Record<string, any> };
  };
  const post = (path: string, body: unknown) => call('POST', path, body);
  const patch = (path: string, body: unknown) => call('PATCH', path, body);
  const del = (path: string, body: unknown) => call('DELETE', path, body);
  const get = (path: string, query: Record<string, string | string[]>) => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      for (const item of Array.isArray(value) ? value : [value]) search.append(key, item);
    }
    return call('GET', `${path}?${search}`);
  };
  const fails = (answer: Answer, status: number, errorCode: string, message?: string) => {
    assert.equal(answer.status, status, JSON.stringify(answer.json));
    assert.equal(answer.json.error_code, errorCode);
    if (message !== undefined) assert.ok(String(answer.json.message).includes(message), answer.json.message);
  };
  const eventCount = async () =>
    Number((await runtime.db.query<{ n: string }>(`SELECT count(*) AS n FROM registry.events`)).rows[0].n);

  const newModel = async (tags: Array<{ key: string; value: string }> = []) => {
    const name = `model-${randomUUID().slice(0, 8)}`;
    const created = await post('registered-models/create', { name, tags });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    return name;
  };
  const newVersion = async (name: string, body: Record<string, unknown> = {}) => {
    const created = await post('model-versions/create', { name, source: `runs:/${'a'.repeat(32)}/model`, ...body });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    return created.json.model_version as Record<string, any>;
  };
  const registeredModelId = async (name: string) =>
    (
      await runtime.db.query<{ registered_model_id: string }>(
        `SELECT registered_model_id FROM registry.registered_models WHERE name = $1`,
        [name],
      )
    ).rows[0].registered_model_id;

  before(async () => {
    const infra = testInfra();
    database = await createTestDatabase('registry_api');
    const config = loadRegistryConfig({
      LOGBOOK_MODE: 'distributed',
      DATABASE_URL: database.url,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    });
    runtime = await startRegistryRuntime(config, pino({ level: 'silent' }));
    @Module({ imports: [RegistryModule.with(runtime)] })
    class TestModule {}
    app = await createHttpApp(TestModule, { logger: pino({ level: 'silent' }), bodyLimitBytes: 2 * 1024 * 1024 });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    versions = app.get(ModelVersionsService);
  });

  after(async () => {
    await app.close();
    await runtime.close();
    await database.drop();
  });

  it('creates, gets and refuses a second registered model of the same name', async () => {
    const name = await newModel([{ key: 'team', value: 'risk' }]);
    const answer = await get('registered-models/get', { name });
    assert.equal(answer.status, 200);
    const model = answer.json.registered_model;
    assert.equal(model.name, name);
    assert.deepEqual(model.tags, [{ key: 'team', value: 'risk' }]);
    assert.equal(typeof model.creation_timestamp, 'number');
    assert.equal(model.last_updated_timestamp, model.creation_timestamp);
    assert.deepEqual(Object.keys(model).sort(), ['creation_timestamp', 'last_updated_timestamp', 'name', 'tags']);
    fails(
      await post('registered-models/create', { name }),
      400,
      'RESOURCE_ALREADY_EXISTS',
      `Registered Model (name=${name}) already exists.`,
    );
  });

  it('answers bad registered-model input with MLflow errors and writes nothing', async () => {
    const before = await eventCount();
    fails(
      await post('registered-models/create', {}),
      400,
      'INVALID_PARAMETER_VALUE',
      "Missing value for required parameter 'name'",
    );
    fails(
      await post('registered-models/create', { name: 'a/b' }),
      400,
      'INVALID_PARAMETER_VALUE',
      "Invalid model name 'a/b'. Names cannot contain '/' or ':'.",
    );
    fails(await post('registered-models/create', { name: '   ' }), 400, 'INVALID_PARAMETER_VALUE', "'name'");
    fails(
      await post('registered-models/create', { name: 'ok', tags: [{ key: 'k', value: 'x'.repeat(100_001) }] }),
      400,
      'INVALID_PARAMETER_VALUE',
      "'value' exceeds the maximum length of 100000 characters",
    );
    fails(
      await post('registered-models/create', { name: 'ok', tags: [{ key: '../k', value: 'x' }] }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    fails(
      await get('registered-models/get', { name: 'nope-nope' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      'Registered Model with name=nope-nope not found',
    );
    fails(await del('registered-models/delete', { name: 'nope-nope' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    assert.equal(await eventCount(), before);
  });

  it('numbers versions per model, keeps them PENDING_REGISTRATION until the verification completes or fails', async () => {
    const name = await newModel();
    const first = await newVersion(name, { run_id: 'r1', description: 'first', tags: [{ key: 'k', value: 'v' }] });
    assert.deepEqual(Object.keys(first).sort(), [
      'creation_timestamp',
      'current_stage',
      'description',
      'last_updated_timestamp',
      'name',
      'run_id',
      'source',
      'status',
      'tags',
      'version',
    ]);
    assert.equal(first.version, '1');
    assert.equal(first.status, 'PENDING_REGISTRATION');
    assert.equal(first.current_stage, 'None');
    assert.equal(first.run_id, 'r1');
    assert.equal(first.description, 'first');
    assert.deepEqual(first.tags, [{ key: 'k', value: 'v' }]);
    const second = await newVersion(name, { model_id: 'm-0123' });
    assert.equal(second.version, '2');
    assert.equal(second.model_id, 'm-0123');

    const id = await registeredModelId(name);
    await versions.completeRegistration(id, 1, { digest: 'sha256:abc', storageLocation: 's3://registry/x/1' }, SYSTEM);
    await versions.completeRegistration(id, 1, { digest: 'sha256:abc' }, SYSTEM);
    await versions.failRegistration(id, 2, 'No MLmodel file at the source', SYSTEM);
    const ready = (await get('model-versions/get', { name, version: '1' })).json.model_version;
    assert.equal(ready.status, 'READY');
    const failed = (await get('model-versions/get', { name, version: '2' })).json.model_version;
    assert.equal(failed.status, 'FAILED_REGISTRATION');
    assert.equal(failed.status_message, 'No MLmodel file at the source');
    const uri = await get('model-versions/get-download-uri', { name, version: '1' });
    assert.deepEqual(uri.json, { artifact_uri: 's3://registry/x/1' });
    const sourceUri = await get('model-versions/get-download-uri', { name, version: '2' });
    assert.deepEqual(sourceUri.json, { artifact_uri: `runs:/${'a'.repeat(32)}/model` });

    const completions = await runtime.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM registry.events WHERE type = 'ModelVersionRegistrationCompleted'`,
    );
    assert.equal(Number(completions.rows[0].n), 1, 'a repeated completion is applied once');
  });

  it('refuses sources that leave their root, local paths and versions that are not integers', async () => {
    const name = await newModel();
    for (const source of [
      'mlflow-artifacts:/1/../../etc',
      'mlflow-artifacts:/1/..%2f..%2fetc',
      's3://bucket/a/%00b',
      '/etc/passwd',
      'file:///etc/passwd',
      'C:\\models\\x',
      'runs:/abc/../../x',
    ]) {
      fails(await post('model-versions/create', { name, source }), 400, 'INVALID_PARAMETER_VALUE', 'source');
    }
    fails(
      await post('model-versions/create', { name: 'missing-model', source: 'runs:/r/model' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      'Registered Model with name=missing-model not found',
    );
    fails(
      await get('model-versions/get', { name, version: 'abc' }),
      400,
      'INVALID_PARAMETER_VALUE',
      "Parameter 'version' must be an integer, got 'abc'.",
    );
    fails(
      await get('model-versions/get', { name, version: '7' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      `Model Version (name=${name}, version=7) not found`,
    );
  });

  it('transitions stages, archiving the others only into Staging or Production', async () => {
    const name = await newModel();
    for (let i = 0; i < 3; i++) await newVersion(name);
    const toProduction = (version: string, archive: boolean) =>
      post('model-versions/transition-stage', {
        name,
        version,
        stage: 'production',
        archive_existing_versions: archive,
      });
    assert.equal((await toProduction('1', false)).json.model_version.current_stage, 'Production');
    assert.equal((await toProduction('2', false)).status, 200);
    const third = await toProduction('3', true);
    assert.equal(third.json.model_version.current_stage, 'Production');
    const stages = await Promise.all(
      ['1', '2'].map(async (version) => (await get('model-versions/get', { name, version })).json.model_version),
    );
    assert.deepEqual(
      stages.map((v) => v.current_stage),
      ['Archived', 'Archived'],
    );
    fails(
      await post('model-versions/transition-stage', {
        name,
        version: '1',
        stage: 'Archived',
        archive_existing_versions: true,
      }),
      400,
      'INVALID_PARAMETER_VALUE',
      "'Archived' is not an Active stage",
    );
    fails(
      await post('model-versions/transition-stage', { name, version: '1', stage: 'Live' }),
      400,
      'INVALID_PARAMETER_VALUE',
      'Invalid Model Version stage: Live. Value must be one of None, Staging, Production, Archived.',
    );

    const latest = await post('registered-models/get-latest-versions', { name });
    assert.deepEqual(
      latest.json.model_versions.map((v: Record<string, string>) => [v.version, v.current_stage]),
      [
        ['2', 'Archived'],
        ['3', 'Production'],
      ],
    );
    const onlyProduction = await get('registered-models/get-latest-versions', { name, stages: 'Production' });
    assert.deepEqual(
      onlyProduction.json.model_versions.map((v: Record<string, string>) => v.version),
      ['3'],
    );
    const model = (await get('registered-models/get', { name })).json.registered_model;
    assert.deepEqual(
      model.latest_versions.map((v: Record<string, string>) => v.version),
      ['2', '3'],
    );
  });

  it('sets, moves, reads and deletes aliases, refusing reserved names and unknown versions', async () => {
    const name = await newModel();
    await newVersion(name);
    await newVersion(name);
    assert.equal((await post('registered-models/alias', { name, alias: 'champion', version: '1' })).status, 200);
    assert.equal((await post('registered-models/alias', { name, alias: 'champion', version: '2' })).status, 200);
    const byAlias = await get('registered-models/alias', { name, alias: 'champion' });
    assert.equal(byAlias.json.model_version.version, '2');
    assert.deepEqual(byAlias.json.model_version.aliases, ['champion']);
    const moved = await runtime.db.query<{ data: Record<string, unknown> }>(
      `SELECT data FROM registry.events WHERE type = 'RegisteredModelAliasSet' ORDER BY global_position DESC LIMIT 1`,
    );
    assert.equal(moved.rows[0].data.previousVersion, 1);
    assert.deepEqual((await get('registered-models/get', { name })).json.registered_model.aliases, [
      { alias: 'champion', version: '2' },
    ]);
    assert.equal((await get('registered-models/alias', { name, alias: 'LATEST' })).json.model_version.version, '2');

    fails(
      await post('registered-models/alias', { name, alias: 'latest', version: '1' }),
      400,
      'INVALID_PARAMETER_VALUE',
      "'latest' alias name (case insensitive) is reserved.",
    );
    fails(
      await post('registered-models/alias', { name, alias: 'v3', version: '1' }),
      400,
      'INVALID_PARAMETER_VALUE',
      "Version alias name 'v3' is reserved.",
    );
    fails(
      await post('registered-models/alias', { name, alias: 'bad alias', version: '1' }),
      400,
      'INVALID_PARAMETER_VALUE',
      "Invalid alias name: 'bad alias'.",
    );
    fails(
      await post('registered-models/alias', { name, alias: 'x'.repeat(256), version: '1' }),
      400,
      'INVALID_PARAMETER_VALUE',
      'exceeds the maximum length of 255',
    );
    fails(
      await post('registered-models/alias', { name, alias: 'ghost', version: '9' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      `Model Version (name=${name}, version=9) not found`,
    );
    fails(
      await get('registered-models/alias', { name, alias: 'unknown' }),
      400,
      'INVALID_PARAMETER_VALUE',
      'Registered model alias unknown not found.',
    );
    assert.equal((await del('registered-models/alias', { name, alias: 'unknown' })).status, 200);
    assert.equal((await del('registered-models/alias', { name, alias: 'champion' })).status, 200);
    fails(await get('registered-models/alias', { name, alias: 'champion' }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('soft-deletes a version as MLflow does: gone from reads, its aliases removed, its number not reused', async () => {
    const name = await newModel();
    await newVersion(name);
    await post('registered-models/alias', { name, alias: 'champion', version: '1' });
    assert.equal((await del('model-versions/delete', { name, version: '1' })).status, 200);
    fails(await get('model-versions/get', { name, version: '1' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    fails(await del('model-versions/delete', { name, version: '1' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    fails(await get('registered-models/alias', { name, alias: 'champion' }), 400, 'INVALID_PARAMETER_VALUE');
    const row = await runtime.db.query<Record<string, string>>(
      `SELECT source, run_id, current_stage FROM registry.model_versions WHERE name = $1`,
      [name],
    );
    assert.deepEqual(row.rows[0], {
      source: 'REDACTED-SOURCE-PATH',
      run_id: 'REDACTED-RUN-ID',
      current_stage: 'Deleted_Internal',
    });
    fails(
      await get('registered-models/alias', { name, alias: 'latest' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      `Latest version not found for model ${name}.`,
    );
    assert.equal((await newVersion(name)).version, '2');
    assert.equal((await get('registered-models/alias', { name, alias: 'latest' })).json.model_version.version, '2');
  });

  it('renames a model and its versions, refusing a name that is taken', async () => {
    const name = await newModel();
    const other = await newModel();
    await newVersion(name);
    const newName = `${name}-renamed`;
    const renamed = await post('registered-models/rename', { name, new_name: newName });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.json.registered_model.name, newName);
    assert.equal((await get('model-versions/get', { name: newName, version: '1' })).json.model_version.name, newName);
    fails(await get('registered-models/get', { name }), 404, 'RESOURCE_DOES_NOT_EXIST');
    fails(
      await post('registered-models/rename', { name: newName, new_name: other }),
      400,
      'RESOURCE_ALREADY_EXISTS',
      `Registered Model (name=${other}) already exists.`,
    );
    fails(
      await post('registered-models/rename', { name: newName }),
      400,
      'INVALID_PARAMETER_VALUE',
      "Missing value for required parameter 'new_name'",
    );
  });

  it('updates descriptions and sets and deletes tags of models and versions', async () => {
    const name = await newModel();
    await newVersion(name);
    const updated = await patch('registered-models/update', { name, description: 'fraud classifier' });
    assert.equal(updated.json.registered_model.description, 'fraud classifier');
    const cleared = await patch('registered-models/update', { name });
    assert.equal(cleared.json.registered_model.description, undefined);
    const version = await patch('model-versions/update', { name, version: '1', description: 'retrained' });
    assert.equal(version.json.model_version.description, 'retrained');

    assert.equal((await post('registered-models/set-tag', { name, key: 'team', value: 'risk' })).status, 200);
    assert.equal((await post('model-versions/set-tag', { name, version: '1', key: 'ok', value: 'yes' })).status, 200);
    assert.deepEqual((await get('registered-models/get', { name })).json.registered_model.tags, [
      { key: 'team', value: 'risk' },
    ]);
    assert.deepEqual((await get('model-versions/get', { name, version: '1' })).json.model_version.tags, [
      { key: 'ok', value: 'yes' },
    ]);
    assert.equal((await del('registered-models/delete-tag', { name, key: 'team' })).status, 200);
    assert.equal((await del('registered-models/delete-tag', { name, key: 'never-set' })).status, 200);
    assert.equal((await del('model-versions/delete-tag', { name, version: '1', key: 'ok' })).status, 200);
    assert.equal((await del('model-versions/delete-tag', { name, version: '1', key: 'never-set' })).status, 200);
    assert.equal((await get('registered-models/get', { name })).json.registered_model.tags, undefined);
    fails(
      await post('model-versions/set-tag', { name, version: '1', key: 'k', value: 'x'.repeat(100_001) }),
      400,
      'INVALID_PARAMETER_VALUE',
      "'value' exceeds the maximum length of 100000 characters",
    );
    fails(
      await post('registered-models/set-tag', { name, key: 'k'.repeat(251), value: 'x' }),
      400,
      'INVALID_PARAMETER_VALUE',
      "'key' exceeds the maximum length of 250 characters",
    );
    fails(
      await post('registered-models/set-tag', { name: 'nope-nope', key: 'k', value: 'x' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
  });

  it('searches registered models with the filter grammar, order_by and page tokens, leaving prompts out unless asked', async () => {
    const prefix = `search-${randomUUID().slice(0, 6)}`;
    for (const suffix of ['a', 'b', 'c']) {
      await post('registered-models/create', { name: `${prefix}-${suffix}`, tags: [{ key: 'kind', value: suffix }] });
    }
    await post('registered-models/create', {
      name: `${prefix}-prompt`,
      tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }],
    });
    const names = (answer: Answer) => (answer.json.registered_models ?? []).map((m: Record<string, string>) => m.name);
    const all = await get('registered-models/search', { filter: `name LIKE '${prefix}%'` });
    assert.deepEqual(names(all), [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
    const prompts = await get('registered-models/search', {
      filter: `name LIKE '${prefix}%' AND tags.\`mlflow.prompt.is_prompt\` = 'true'`,
    });
    assert.deepEqual(names(prompts), [`${prefix}-prompt`]);
    const tagged = await get('registered-models/search', { filter: `name LIKE '${prefix}%' AND tags.kind != 'a'` });
    assert.deepEqual(names(tagged), [`${prefix}-b`, `${prefix}-c`]);
    const descending = await get('registered-models/search', {
      filter: `name ILIKE '${prefix.toUpperCase()}%'`,
      order_by: 'name DESC',
      max_results: '2',
    });
    assert.deepEqual(names(descending), [`${prefix}-c`, `${prefix}-b`]);
    const rest = await get('registered-models/search', {
      filter: `name ILIKE '${prefix.toUpperCase()}%'`,
      order_by: 'name DESC',
      max_results: '2',
      page_token: descending.json.next_page_token,
    });
    assert.deepEqual(names(rest), [`${prefix}-a`]);
    assert.equal(rest.json.next_page_token, undefined);
    fails(await get('registered-models/search', { max_results: '1001' }), 400, 'INVALID_PARAMETER_VALUE');
    fails(await get('registered-models/search', { filter: 'run_id = 1' }), 400, 'INVALID_PARAMETER_VALUE');
    fails(
      await get('registered-models/search', { order_by: 'creation_timestamp' }),
      400,
      'INVALID_PARAMETER_VALUE',
      "Invalid order by key 'creation_timestamp' specified.",
    );
    fails(await get('registered-models/search', { page_token: 'garbage' }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('searches model versions by name, run, version number and tags, never showing deleted ones', async () => {
    const name = await newModel();
    const runId = randomUUID().replace(/-/g, '');
    await newVersion(name, { run_id: runId, tags: [{ key: 'quality', value: 'good' }] });
    await newVersion(name, { run_id: runId });
    await newVersion(name);
    await del('model-versions/delete', { name, version: '2' });
    const numbers = (answer: Answer) =>
      (answer.json.model_versions ?? []).map((v: Record<string, string>) => v.version);
    assert.deepEqual(numbers(await get('model-versions/search', { filter: `name = '${name}'` })), ['3', '1']);
    assert.deepEqual(numbers(await get('model-versions/search', { filter: `run_id = '${runId}'` })), ['1']);
    assert.deepEqual(
      numbers(await get('model-versions/search', { filter: `name = '${name}' AND version_number >= 2` })),
      ['3'],
    );
    assert.deepEqual(
      numbers(await get('model-versions/search', { filter: `name = '${name}' AND tags.quality = 'good'` })),
      ['1'],
    );
    const ascending = await get('model-versions/search', {
      filter: `name = '${name}'`,
      order_by: 'version_number ASC',
      max_results: '1',
    });
    assert.deepEqual(numbers(ascending), ['1']);
    assert.ok(ascending.json.next_page_token);
    fails(await get('model-versions/search', { max_results: '200001' }), 400, 'INVALID_PARAMETER_VALUE');
    fails(await get('model-versions/search', { max_results: '0' }), 400, 'INVALID_PARAMETER_VALUE');
    fails(await get('model-versions/search', { filter: 'metrics.x > 1' }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('registers prompt versions READY at once and leaves them out of version search unless asked', async () => {
    const promptTag = { key: 'mlflow.prompt.is_prompt', value: 'true' };
    const name = await newModel([promptTag]);
    const version = await post('model-versions/create', {
      name,
      source: 'dummy-source',
      tags: [promptTag, { key: 'mlflow.prompt.text', value: 'Hello {{name}}' }],
    });
    assert.equal(version.json.model_version.status, 'READY');
    fails(
      await post('model-versions/create', { name, source: 'runs:/r/model', tags: [promptTag] }),
      400,
      'INVALID_PARAMETER_VALUE',
      "Invalid prompt source: 'runs:/r/model'.",
    );
    const filter = `name = '${name}'`;
    assert.equal((await get('model-versions/search', { filter })).json.model_versions, undefined);
    const prompts = await get('model-versions/search', {
      filter: `${filter} AND tags.\`mlflow.prompt.is_prompt\` = 'true'`,
    });
    assert.equal(prompts.json.model_versions.length, 1);
  });

  it('deletes a model with its versions; the name can be registered again from version 1', async () => {
    const name = await newModel();
    await newVersion(name);
    await newVersion(name);
    assert.equal((await del('registered-models/delete', { name })).status, 200);
    fails(await get('registered-models/get', { name }), 404, 'RESOURCE_DOES_NOT_EXIST');
    assert.equal((await get('model-versions/search', { filter: `name = '${name}'` })).json.model_versions, undefined);
    assert.equal((await post('registered-models/create', { name })).status, 200);
    assert.equal((await newVersion(name)).version, '1');
  });

  it('serves the same routes under the ajax-api prefix', async () => {
    const name = await newModel();
    const answer = await call('GET', `registered-models/get?name=${name}`, undefined, 'ajax-api');
    assert.equal(answer.status, 200);
    assert.equal(answer.json.registered_model.name, name);
  });

  it('gives two concurrent version creations of one model two numbers, and concurrent transitions one consistent state', async () => {
    const name = await newModel();
    const created = await Promise.all(Array.from({ length: 6 }, () => newVersion(name)));
    assert.deepEqual(
      created.map((v) => Number(v.version)).sort((a, b) => a - b),
      [1, 2, 3, 4, 5, 6],
    );
    await Promise.all(
      ['1', '2', '3'].map((version) =>
        post('model-versions/transition-stage', {
          name,
          version,
          stage: 'Production',
          archive_existing_versions: true,
        }),
      ),
    );
    const inProduction = await get('model-versions/search', { filter: `name = '${name}'` });
    const production = inProduction.json.model_versions.filter(
      (v: Record<string, string>) => v.current_stage === 'Production',
    );
    assert.equal(production.length, 1, 'archive_existing_versions leaves exactly one version in Production');
  });

  it('records the actor and request of every change in the event log', async () => {
    const name = await newModel();
    const { rows } = await runtime.db.query<{ metadata: { actor: { id: string }; correlationId: string } }>(
      `SELECT metadata FROM registry.events WHERE type = 'RegisteredModelCreated' AND data->>'name' = $1`,
      [name],
    );
    assert.equal(rows.length, 1);
    assert.ok(rows[0].metadata.actor.id);
    assert.ok(rows[0].metadata.correlationId);
  });

  it('rebuilds the registry projection from the log to the same rows', async () => {
    const snapshot = () => registryProjectionRows(runtime.db);
    const live = await snapshot();
    for (const projection of registryProjections) await runtime.store.rebuild(projection);
    assert.deepEqual(await snapshot(), live);
  });
});
