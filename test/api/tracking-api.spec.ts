import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { createHttpApp } from '@logbook/platform';
import { createTestDatabase, testInfra } from '@logbook/testing';
import { loadTrackingConfig } from '../../services/tracking/src/config';
import { TrackingModule } from '../../services/tracking/src/tracking.module';
import {
  startTrackingRuntime,
  TrackingRuntime,
  trackingProjections,
} from '../../services/tracking/src/tracking.runtime';

const BODY_LIMIT = 2 * 1024 * 1024;

describe('tracking API on real Postgres and Kafka', () => {
  let app: NestFastifyApplication;
  let runtime: TrackingRuntime;
  let database: { url: string; drop(): Promise<void> };

  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) => {
    const response = await app.inject({
      method,
      url: `/api/2.0/mlflow/${path}`,
      ...(body === undefined
        ? {}
        : {
            payload: typeof body === 'string' ? body : JSON.stringify(body),
            headers: { 'content-type': 'application/json' },
          }),
    });
    return { status: response.statusCode, json: response.json() as Record<string, any> };
  };
  const post = (path: string, body: unknown) => call('POST', path, body);
  const get = (path: string, query: Record<string, string>) => call('GET', `${path}?${new URLSearchParams(query)}`);
  const eventCount = async () =>
    Number((await runtime.db.query<{ n: string }>(`SELECT count(*) AS n FROM tracking.events`)).rows[0].n);

  before(async () => {
    const infra = testInfra();
    database = await createTestDatabase('api');
    const config = loadTrackingConfig({
      LOGBOOK_MODE: 'distributed',
      DATABASE_URL: database.url,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    });
    runtime = await startTrackingRuntime(config, pino({ level: 'silent' }));
    @Module({ imports: [TrackingModule.with(runtime)] })
    class TestModule {}
    app = await createHttpApp(TestModule, { logger: pino({ level: 'silent' }), bodyLimitBytes: BODY_LIMIT });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  after(async () => {
    await app.close();
    await runtime.close();
    await database.drop();
  });

  async function newRun(): Promise<string> {
    const experiment = await post('experiments/create', { name: `exp-${randomUUID()}` });
    const run = await post('runs/create', { experiment_id: experiment.json.experiment_id, start_time: 1000 });
    assert.equal(run.status, 200);
    const runId = run.json.run.info.run_id as string;
    await post('runs/log-batch', {
      run_id: runId,
      metrics: [{ key: 'loss', value: 0.5, timestamp: 10, step: 1 }],
      params: [{ key: 'lr', value: '0.1' }],
      tags: [{ key: 'team', value: 'a' }],
    });
    return runId;
  }

  it('has the Default experiment from its own bootstrap, without the caller asking for it', async () => {
    const answer = await get('experiments/get', { experiment_id: '0' });
    assert.equal(answer.status, 200);
    assert.equal(answer.json.experiment.name, 'Default');
    assert.equal(answer.json.experiment.lifecycle_stage, 'active');
  });

  it('answers bad input with the MLflow error and changes nothing', async () => {
    const runId = await newRun();
    const experimentId = (await get('runs/get', { run_id: runId })).json.run.info.experiment_id;
    const before = (await get('runs/get', { run_id: runId })).json;
    const eventsBefore = await eventCount();
    const metric = (i: number) => ({ key: `m${i}`, value: i, timestamp: 1, step: 0 });
    const cases: Array<[string, () => Promise<{ status: number; json: Record<string, any> }>, number, string, string]> =
      [
        [
          'malformed JSON',
          () => post('runs/log-batch', '{"run_id": '),
          400,
          'INVALID_PARAMETER_VALUE',
          'Malformed JSON',
        ],
        ['a JSON array body', () => post('runs/log-batch', [1, 2]), 400, 'INVALID_PARAMETER_VALUE', 'JSON object'],
        [
          'missing run id',
          () => post('runs/log-metric', { key: 'x', value: 1, timestamp: 1 }),
          400,
          'INVALID_PARAMETER_VALUE',
          "Missing value for required parameter 'run_id'",
        ],
        [
          'wrong value type',
          () => post('runs/log-metric', { run_id: runId, key: 'x', value: 'abc', timestamp: 1 }),
          400,
          'INVALID_PARAMETER_VALUE',
          "parameter 'value'",
        ],
        [
          'wrong timestamp type',
          () => post('runs/log-metric', { run_id: runId, key: 'x', value: 1, timestamp: true }),
          400,
          'INVALID_PARAMETER_VALUE',
          "Value was of type 'bool'",
        ],
        [
          'missing nested timestamp',
          () => post('runs/log-batch', { run_id: runId, metrics: [{ key: 'x', value: 1 }] }),
          400,
          'INVALID_PARAMETER_VALUE',
          "'metrics[0].timestamp'",
        ],
        [
          'negative timestamp',
          () => post('runs/log-metric', { run_id: runId, key: 'x', value: 1, timestamp: -1 }),
          400,
          'INVALID_PARAMETER_VALUE',
          'nonnegative',
        ],
        [
          'unknown run',
          () => post('runs/log-metric', { run_id: 'f'.repeat(32), key: 'x', value: 1, timestamp: 1 }),
          404,
          'RESOURCE_DOES_NOT_EXIST',
          'not found',
        ],
        [
          'unknown experiment',
          () => post('runs/create', { experiment_id: '987654' }),
          404,
          'RESOURCE_DOES_NOT_EXIST',
          '987654',
        ],
        [
          'non-integer experiment id',
          () => get('experiments/get', { experiment_id: 'abc' }),
          400,
          'INVALID_PARAMETER_VALUE',
          'valid integer',
        ],
        [
          '1001 metrics',
          () => post('runs/log-batch', { run_id: runId, metrics: Array.from({ length: 1001 }, (_, i) => metric(i)) }),
          400,
          'INVALID_PARAMETER_VALUE',
          'at most 1000 metrics',
        ],
        [
          '101 params',
          () =>
            post('runs/log-batch', {
              run_id: runId,
              params: Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: '1' })),
            }),
          400,
          'INVALID_PARAMETER_VALUE',
          'at most 100 params',
        ],
        [
          '101 tags',
          () =>
            post('runs/log-batch', {
              run_id: runId,
              tags: Array.from({ length: 101 }, (_, i) => ({ key: `t${i}`, value: '1' })),
            }),
          400,
          'INVALID_PARAMETER_VALUE',
          'at most 100 tags',
        ],
        [
          '1001 entities',
          () =>
            post('runs/log-batch', {
              run_id: runId,
              metrics: Array.from({ length: 950 }, (_, i) => metric(i)),
              params: Array.from({ length: 51 }, (_, i) => ({ key: `p${i}`, value: '1' })),
            }),
          400,
          'INVALID_PARAMETER_VALUE',
          'metrics, params, and tags',
        ],
        [
          'duplicate param keys',
          () =>
            post('runs/log-batch', {
              run_id: runId,
              params: [
                { key: 'd', value: '1' },
                { key: 'd', value: '2' },
              ],
            }),
          400,
          'INVALID_PARAMETER_VALUE',
          'Duplicate parameter keys',
        ],
        [
          'changing a logged param',
          () => post('runs/log-parameter', { run_id: runId, key: 'lr', value: '0.2' }),
          400,
          'INVALID_PARAMETER_VALUE',
          'Changing param values is not allowed',
        ],
        [
          'a batch with one bad metric among good ones',
          () =>
            post('runs/log-batch', { run_id: runId, metrics: [metric(1), { key: 'bad!', value: 1, timestamp: 1 }] }),
          400,
          'INVALID_PARAMETER_VALUE',
          'bad!',
        ],
        [
          'key of 251 characters',
          () => post('runs/set-tag', { run_id: runId, key: 'k'.repeat(251), value: 'v' }),
          400,
          'INVALID_PARAMETER_VALUE',
          'length limit of 250',
        ],
        [
          'key resolving to another path',
          () => post('runs/set-tag', { run_id: runId, key: '../x', value: 'v' }),
          400,
          'INVALID_PARAMETER_VALUE',
          'would resolve to',
        ],
        [
          'experiment tag value over 5000',
          () =>
            post('experiments/set-experiment-tag', { experiment_id: experimentId, key: 'k', value: 'v'.repeat(5001) }),
          400,
          'INVALID_PARAMETER_VALUE',
          'length limit of 5000',
        ],
        [
          'experiment name over 500',
          () => post('experiments/create', { name: 'n'.repeat(501) }),
          400,
          'INVALID_PARAMETER_VALUE',
          'maximum length of 500',
        ],
        [
          'duplicate experiment name',
          () => post('experiments/create', { name: 'Default' }),
          400,
          'RESOURCE_ALREADY_EXISTS',
          'already exists',
        ],
        [
          'missing run tag',
          () => post('runs/delete-tag', { run_id: runId, key: 'nope' }),
          404,
          'RESOURCE_DOES_NOT_EXIST',
          'No tag with name: nope',
        ],
        [
          'max_results over 50000',
          () => post('runs/search', { experiment_ids: [experimentId], max_results: 50001 }),
          400,
          'INVALID_PARAMETER_VALUE',
          'max_results',
        ],
        [
          'an OR filter',
          () => post('runs/search', { experiment_ids: [experimentId], filter: "params.lr = '1' OR params.lr = '2'" }),
          400,
          'INVALID_PARAMETER_VALUE',
          'Invalid clause',
        ],
        [
          'a bad page token',
          () => post('runs/search', { experiment_ids: [experimentId], page_token: 'not-a-token' }),
          400,
          'INVALID_PARAMETER_VALUE',
          'page token',
        ],
        [
          'an oversized body',
          () => post('runs/log-batch', { run_id: runId, tags: [{ key: 'big', value: 'x'.repeat(BODY_LIMIT) }] }),
          400,
          'INVALID_PARAMETER_VALUE',
          'size limit',
        ],
        [
          'a non-JSON content type',
          () =>
            app
              .inject({
                method: 'POST',
                url: '/api/2.0/mlflow/runs/search',
                payload: '{}',
                headers: { 'content-type': 'text/plain' },
              })
              .then((r) => ({ status: r.statusCode, json: r.json() })),
          400,
          'INVALID_PARAMETER_VALUE',
          'Content-Type must be one of',
        ],
        ['an unknown route', () => post('runs/teleport', { run_id: runId }), 404, 'ENDPOINT_NOT_FOUND', 'endpoint'],
        [
          'outputs without models',
          () => post('runs/outputs', { run_id: runId }),
          400,
          'INVALID_PARAMETER_VALUE',
          "Missing value for required parameter 'models'",
        ],
      ];
    for (const [name, send, status, code, fragment] of cases) {
      const response = await send();
      assert.equal(response.status, status, `${name}: status ${response.status} ${JSON.stringify(response.json)}`);
      assert.equal(response.json.error_code, code, `${name}: ${JSON.stringify(response.json)}`);
      assert.ok(
        String(response.json.message).includes(fragment),
        `${name}: "${response.json.message}" lacks "${fragment}"`,
      );
    }
    assert.deepEqual((await get('runs/get', { run_id: runId })).json, before);
    assert.equal(await eventCount(), eventsBefore, 'no rejected command appended an event');
  });

  it('refuses values it could not store exactly, so every read of the run, experiment and search still answers', async () => {
    const runId = await newRun();
    const experimentId = (await get('runs/get', { run_id: runId })).json.run.info.experiment_id as string;
    const eventsBefore = await eventCount();
    const raw = (path: string, payload: string | Buffer) =>
      app
        .inject({
          method: 'POST',
          url: `/api/2.0/mlflow/${path}`,
          payload,
          headers: { 'content-type': 'application/json' },
        })
        .then((r) => ({ status: r.statusCode, json: r.json() as Record<string, any> }));
    const metric = (field: string, literal: string) =>
      `{"run_id": "${runId}", "key": "m", "value": 1, "timestamp": 1, "step": 0, "${field}": ${literal}}`;
    const deep = `{"run_id": "${runId}", "metrics": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const poison: Array<[string, () => Promise<{ status: number; json: Record<string, any> }>, string]> = [
      ['step 2^53 + 1', () => raw('runs/log-metric', metric('step', '9007199254740993')), "'step'"],
      ['step 2^53 + 1 as a string', () => raw('runs/log-metric', metric('step', '"9007199254740993"')), "'step'"],
      ['step -2^63', () => raw('runs/log-metric', metric('step', '-9223372036854775808')), "'step'"],
      ['timestamp 2^63 - 1', () => raw('runs/log-metric', metric('timestamp', '9223372036854775807')), "'timestamp'"],
      ['timestamp 1e20', () => raw('runs/log-metric', metric('timestamp', '1e20')), "'timestamp'"],
      [
        'a batch step beyond 2^53',
        () =>
          raw(
            'runs/log-batch',
            `{"run_id": "${runId}", "metrics": [{"key": "m", "value": 1, "timestamp": 1, "step": 1e16}]}`,
          ),
        "'metrics[0].step'",
      ],
      [
        'start_time -10^18',
        () => raw('runs/create', `{"experiment_id": "${experimentId}", "start_time": -1000000000000000000}`),
        "'start_time'",
      ],
      [
        'end_time 2^63',
        () => raw('runs/update', `{"run_id": "${runId}", "end_time": 9223372036854775808}`),
        "'end_time'",
      ],
      [
        'a lone surrogate in a tag',
        () => raw('runs/set-tag', `{"run_id": "${runId}", "key": "t", "value": "a\\ud800b"}`),
        "'value'",
      ],
      [
        'NUL in a param',
        () => raw('runs/log-batch', `{"run_id": "${runId}", "params": [{"key": "p", "value": "a\\u0000b"}]}`),
        "'params[0].value'",
      ],
      ['NUL in an experiment name', () => raw('experiments/create', '{"name": "x\\u0000"}'), "'name'"],
      [
        'NUL in a query string',
        () => get('experiments/get-by-name', { experiment_name: 'a\u0000b' }),
        "'experiment_name'",
      ],
      ['metrics nested 100,000 deep', () => raw('runs/log-batch', deep), 'nests deeper than 64'],
      [
        'an experiment id number beyond 2^53',
        () => raw('runs/search', '{"experiment_ids": [9007199254740993]}'),
        "'experiment_ids'",
      ],
      [
        'invalid UTF-8',
        () => raw('experiments/create', Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])),
        'UTF-8',
      ],
    ];
    for (const [name, send, fragment] of poison) {
      const response = await send();
      assert.equal(response.status, 400, `${name}: ${response.status} ${JSON.stringify(response.json)}`);
      assert.equal(response.json.error_code, 'INVALID_PARAMETER_VALUE', name);
      assert.ok(
        String(response.json.message).includes(fragment),
        `${name}: "${response.json.message}" lacks ${fragment}`,
      );
    }
    assert.equal(await eventCount(), eventsBefore, 'no refused value was stored');

    // The extremes a double holds exactly are stored and read back unchanged.
    const limit = Number.MAX_SAFE_INTEGER;
    const logged = await post('runs/log-metric', {
      run_id: runId,
      key: 'edge',
      value: 1,
      timestamp: limit,
      step: -limit,
    });
    assert.equal(logged.status, 200, JSON.stringify(logged.json));
    assert.equal((await post('runs/update', { run_id: runId, end_time: limit })).status, 200);
    const history = await get('metrics/get-history', { run_id: runId, metric_key: 'edge' });
    assert.deepEqual(history.json.metrics, [{ key: 'edge', value: 1, timestamp: limit, step: -limit }]);

    // A value no write can produce any more, left by an older release or written by hand, still reads.
    await runtime.db.query(
      `UPDATE tracking.metrics SET step = 9007199254740993 WHERE run_key = (SELECT run_key FROM tracking.runs WHERE run_id = $1)`,
      [runId],
    );
    const reads = [
      () => get('runs/get', { run_id: runId }),
      () => get('metrics/get-history', { run_id: runId, metric_key: 'edge' }),
      () => get('metrics/get-history-bulk-interval', { run_ids: runId, metric_key: 'edge' }),
      () => post('runs/search', { experiment_ids: [experimentId], filter: 'attributes.end_time < 1e20' }),
      () => get('experiments/get', { experiment_id: experimentId }),
    ];
    for (const read of reads) assert.equal((await read()).status, 200);
    const stepsRead = (await get('metrics/get-history', { run_id: runId, metric_key: 'edge' })).json.metrics;
    assert.deepEqual(
      stepsRead.map((m: { step: unknown }) => m.step),
      ['9007199254740993'],
      'an int64 beyond 2^53 reads as its exact protobuf JSON string',
    );
  });

  it('answers a method a served path does not take with 405 and Allow, an unknown path with 404', async () => {
    const eventsBefore = await eventCount();
    const wrongMethod = await call('GET', 'runs/create');
    assert.equal(wrongMethod.status, 405, JSON.stringify(wrongMethod.json));
    assert.equal(wrongMethod.json.error_code, 'BAD_REQUEST');
    const put = await app.inject({ method: 'PUT', url: '/api/2.0/mlflow/experiments/get?experiment_id=0' });
    assert.equal(put.statusCode, 405);
    assert.deepEqual(put.headers.allow?.toString().split(', ').sort(), ['GET', 'HEAD']);
    const model = await app.inject({ method: 'POST', url: '/api/2.0/mlflow/logged-models/m-123' });
    assert.equal(model.statusCode, 405);
    assert.deepEqual(model.headers.allow?.toString().split(', ').sort(), ['DELETE', 'GET', 'HEAD', 'PATCH']);
    assert.equal((await call('GET', 'runs/teleport')).status, 404);
    assert.equal(await eventCount(), eventsBefore);
  });

  it('reads an optional field sent as null as absent, as protobuf JSON does', async () => {
    const experiment = await post('experiments/create', { name: `exp-${randomUUID()}`, artifact_location: null });
    assert.equal(experiment.status, 200, JSON.stringify(experiment.json));
    const experimentId = experiment.json.experiment_id as string;
    const stored = await get('experiments/get', { experiment_id: experimentId });
    assert.equal(stored.json.experiment.artifact_location, `mlflow-artifacts:/${experimentId}`);

    const run = await post('runs/create', { experiment_id: experimentId, run_name: null, tags: null });
    assert.equal(run.status, 200, JSON.stringify(run.json));
    const runs = await post('runs/search', { experiment_ids: [experimentId], filter: null, order_by: null });
    assert.equal(runs.status, 200, JSON.stringify(runs.json));
    assert.deepEqual(
      runs.json.runs.map((r: { info: { run_id: string } }) => r.info.run_id),
      [run.json.run.info.run_id],
    );
    const experiments = await post('experiments/search', { filter: null, view_type: null, max_results: null });
    assert.equal(experiments.status, 200, JSON.stringify(experiments.json));

    const model = await call('POST', 'logged-models', { experiment_id: experimentId, name: null });
    assert.equal(model.status, 200, JSON.stringify(model.json));
    const models = await call('POST', 'logged-models/search', { experiment_ids: [experimentId], filter: null });
    assert.equal(models.status, 200, JSON.stringify(models.json));
    assert.equal(models.json.models.length, 1);
  });

  it('searches by IS NULL on run tags and params and experiment tags, and by experiment_id', async () => {
    const tagged = await newRun();
    const { json: info } = await get('runs/get', { run_id: tagged });
    const experiment = info.run.info.experiment_id as string;
    const bare = (await post('runs/create', { experiment_id: experiment, start_time: 2000 })).json.run.info.run_id;
    const search = async (filter: string) =>
      (await post('runs/search', { experiment_ids: [experiment], filter })).json.runs?.map((r: any) => r.info.run_id) ??
      [];
    assert.deepEqual(await search('tags.team IS NULL'), [bare]);
    assert.deepEqual(await search('tags.team IS NOT NULL'), [tagged]);
    assert.deepEqual(await search('params.lr is null'), [bare]);
    assert.deepEqual(await search("params.lr IS NOT NULL AND tags.team = 'a'"), [tagged]);

    const other = (await post('experiments/create', { name: `exp-${randomUUID()}`, tags: [{ key: 'k', value: 'v' }] }))
      .json.experiment_id as string;
    const experiments = async (filter: string, orderBy?: string[]) =>
      (await post('experiments/search', { max_results: 1000, filter, order_by: orderBy })).json.experiments?.map(
        (e: any) => e.experiment_id,
      ) ?? [];
    assert.deepEqual(await experiments(`experiment_id = '${other}'`), [other]);
    assert.deepEqual(await experiments(`experiment_id IN ('${experiment}', '${other}')`, ['experiment_id DESC']), [
      other,
      experiment,
    ]);
    assert.deepEqual(await experiments(`experiment_id IN ('${experiment}', '${other}') AND tags.k IS NULL`), [
      experiment,
    ]);
    assert.ok(!(await experiments(`experiment_id NOT IN ('${other}')`)).includes(other));
    const refused = await post('experiments/search', { max_results: 10, filter: "experiment_id = 'x'" });
    assert.equal(refused.status, 400);
    assert.equal(refused.json.message, "Invalid experiment ID 'x'. Experiment ID must be a valid integer.");
  });

  it("finds params and tags by equality at any length, within the key/value indexes' bound or beyond it", async () => {
    const runId = await newRun();
    const experiment = (await get('runs/get', { run_id: runId })).json.run.info.experiment_id as string;
    const values = {
      within: 'é'.repeat(999), // 1 + 1,998 bytes with its key: in the index
      beyond: 'é'.repeat(1000), // 1 + 2,000 bytes: left out of it
      note: 'n'.repeat(7000), // a tag as long as MLflow's notes and model histories
    };
    const logged = await post('runs/log-batch', {
      run_id: runId,
      params: [
        { key: 'w', value: values.within },
        { key: 'b', value: values.beyond },
      ],
      tags: [
        { key: 'w', value: values.within },
        { key: 'b', value: values.beyond },
        { key: 'note', value: values.note },
      ],
    });
    assert.equal(logged.status, 200);
    const search = async (filter: string) =>
      (await post('runs/search', { experiment_ids: [experiment], filter })).json.runs?.map((r: any) => r.info.run_id) ??
      [];
    for (const kind of ['params', 'tags']) {
      assert.deepEqual(await search(`${kind}.w = '${values.within}'`), [runId]);
      assert.deepEqual(await search(`${kind}.b = '${values.beyond}'`), [runId]);
      assert.deepEqual(await search(`${kind}.w = '${values.beyond}'`), []);
      assert.deepEqual(await search(`${kind}.b = '${values.within}'`), []);
      assert.deepEqual(await search(`${kind}.b LIKE 'éé%'`), [runId]);
    }
    assert.deepEqual(await search(`tags.note = '${values.note}'`), [runId]);
    assert.deepEqual(await search(`tags.note != '${values.note}'`), []);
  });

  it('pages runs ordered by a metric: real values, then NaN, then runs without it, ties by start_time', async () => {
    const experiment = (await post('experiments/create', { name: `exp-${randomUUID()}` })).json.experiment_id as string;
    const values = [0.5, 'NaN', undefined, 0.5, 'Infinity', '-Infinity', undefined, 'NaN'];
    const ids: string[] = [];
    for (const [i, value] of values.entries()) {
      const run = await post('runs/create', { experiment_id: experiment, start_time: 1000 * (i + 1) });
      ids.push(run.json.run.info.run_id as string);
      if (value !== undefined) {
        await post('runs/log-batch', { run_id: ids[i], metrics: [{ key: 'acc', value, timestamp: 1, step: 0 }] });
      }
    }
    const pages = async (orderBy: string[], maxResults: number, filter = '') => {
      const seen: number[] = [];
      let pageToken: string | undefined;
      do {
        const { json } = await post('runs/search', {
          experiment_ids: [experiment],
          filter,
          order_by: orderBy,
          max_results: maxResults,
          ...(pageToken ? { page_token: pageToken } : {}),
        });
        seen.push(...(json.runs ?? []).map((r: any) => ids.indexOf(r.info.run_id)));
        pageToken = json.next_page_token;
      } while (pageToken);
      return seen;
    };
    for (const size of [1, 2, 3, 100]) {
      assert.deepEqual(await pages(['metrics.acc DESC'], size), [4, 3, 0, 5, 7, 1, 6, 2], `DESC by ${size}`);
      assert.deepEqual(await pages(['metrics.acc ASC'], size), [5, 3, 0, 4, 7, 1, 6, 2], `ASC by ${size}`);
      assert.deepEqual(await pages(['metrics.acc', 'start_time ASC'], size), [5, 0, 3, 4, 1, 7, 2, 6]);
      assert.deepEqual(await pages(['metrics.missing DESC'], size), [7, 6, 5, 4, 3, 2, 1, 0]);
      assert.deepEqual(await pages(['metrics.acc DESC'], size, 'attributes.start_time > 2000'), [4, 3, 5, 7, 6, 2]);
    }
    const beyond = await post('runs/search', {
      experiment_ids: [experiment],
      order_by: ['metrics.acc DESC'],
      max_results: 5,
      page_token: Buffer.from('{"offset": 8}').toString('base64'),
    });
    assert.deepEqual(beyond.json, {});
  });

  it('publishes a run lifecycle to Kafka in stream order: each log-batch whole on the run-data topic, its summary on the run topic', async () => {
    const runId = await newRun();
    // The largest batch MLflow allows, with values at their length limits: about 1.4 MB in one event.
    const largest = await post('runs/log-batch', {
      run_id: runId,
      metrics: Array.from({ length: 800 }, (_, i) => ({ key: `k${i % 10}`, value: i, timestamp: i, step: i })),
      params: Array.from({ length: 100 }, (_, i) => ({ key: `big${i}`, value: 'p'.repeat(6000) })),
      tags: Array.from({ length: 100 }, (_, i) => ({ key: `big${i}`, value: 't'.repeat(8000) })),
    });
    assert.equal(largest.status, 200);
    await post('runs/update', { run_id: runId, status: 'FINISHED', end_time: 2000 });
    await post('runs/delete', { run_id: runId });
    assert.ok(runtime.publication, 'the distributed shape publishes to Kafka');
    await runtime.publication.relay.drain();

    const kafka = new Kafka({ brokers: testInfra().kafkaBrokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `api-test-${randomUUID()}` });
    type Seen = { type: string; position: number; header: string; data: Record<string, unknown> };
    const seen: Record<string, Seen[]> = { 'tracking.run.events.v1': [], 'tracking.run-data.events.v1': [] };
    await consumer.connect();
    await consumer.subscribe({ topics: Object.keys(seen), fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ topic, message }) => {
          if (message.key?.toString() !== `run-${runId}`) return;
          const envelope = JSON.parse(message.value!.toString());
          seen[topic].push({
            type: envelope.type,
            position: envelope.streamPosition,
            header: message.headers?.type?.toString() ?? '',
            data: envelope.data,
          });
          if (Object.values(seen).flat().length === 7) resolve();
        },
      });
    });
    await Promise.race([
      done,
      new Promise((_, reject) => setTimeout(() => reject(new Error('events not published')), 30_000)),
    ]);
    await consumer.disconnect();
    const runTopic = seen['tracking.run.events.v1'];
    const dataTopic = seen['tracking.run-data.events.v1'];
    assert.deepEqual(
      runTopic.map((e) => [e.type, e.position]),
      [
        ['RunCreated', 1],
        ['RunDataLoggedSummary', 2],
        ['RunDataLoggedSummary', 3],
        ['RunStatusChanged', 4],
        ['RunDeleted', 5],
      ],
    );
    assert.deepEqual(
      dataTopic.map((e) => [e.type, e.position]),
      [
        ['RunDataLogged', 2],
        ['RunDataLogged', 3],
      ],
    );
    assert.ok([...runTopic, ...dataTopic].every((e) => e.header === e.type));
    const largestBatch = dataTopic[1];
    assert.equal((largestBatch.data.metrics as unknown[]).length, 800);
    const summary = runTopic[2].data as { latestMetrics: { key: string; step: number }[]; metricCount: number };
    assert.equal(summary.metricCount, 800);
    assert.deepEqual(
      summary.latestMetrics.map((m) => `${m.key}@${m.step}`),
      Array.from({ length: 10 }, (_, k) => `k${k}@${790 + k}`),
    );
  });

  it('samples chart points evenly over the step range, keeping the first and last step', async () => {
    const runIds = [await newRun(), await newRun()];
    for (const runId of runIds) {
      await post('runs/log-batch', {
        run_id: runId,
        metrics: Array.from({ length: 1000 }, (_, step) => ({ key: 'curve', value: step / 10, timestamp: step, step })),
      });
    }
    const sampled = async (query: Record<string, string>) =>
      (
        await call(
          'GET',
          `metrics/get-history-bulk-interval?${new URLSearchParams([...runIds.map((id): [string, string] => ['run_ids', id]), ...Object.entries(query)])}`,
        )
      ).json;
    const { metrics } = await sampled({ metric_key: 'curve', max_results: '10' });
    for (const runId of runIds) {
      const steps = metrics.filter((m: { run_id: string }) => m.run_id === runId).map((m: { step: number }) => m.step);
      assert.equal(steps.length, 10);
      assert.equal(steps[0], 0);
      assert.equal(steps[steps.length - 1], 999);
      assert.deepEqual(
        steps,
        [...steps].sort((a: number, b: number) => a - b),
      );
    }
    const window = await sampled({ metric_key: 'curve', start_step: '100', end_step: '199', max_results: '2500' });
    assert.equal(window.metrics.length, 200, 'every step of the window for both runs');
    assert.equal((await sampled({ metric_key: 'curve', start_step: '5' })).error_code, 'INVALID_PARAMETER_VALUE');
    assert.equal((await sampled({ metric_key: 'curve', max_results: '2501' })).error_code, 'INVALID_PARAMETER_VALUE');
  });

  it('pages a history in its order, each page after the last point of the one before, none missed or repeated', async () => {
    const runId = await newRun();
    const points = [
      { value: 'NaN', timestamp: 5, step: 1 },
      { value: 2.5, timestamp: 5, step: 1 },
      { value: '-Infinity', timestamp: 5, step: 1 },
      { value: 0.1 + 0.2, timestamp: 5, step: 0 },
      { value: 'Infinity', timestamp: 7, step: -3 },
      { value: 1, timestamp: 3, step: 9 },
      { value: 1e-300, timestamp: 7, step: -3 },
    ];
    const logged = await post('runs/log-batch', {
      run_id: runId,
      metrics: points.map((point) => ({ key: 'paged', ...point })),
    });
    assert.equal(logged.status, 200, JSON.stringify(logged.json));
    const whole = (await get('metrics/get-history', { run_id: runId, metric_key: 'paged' })).json.metrics;
    assert.deepEqual(
      whole.map((m: { timestamp: number; step: number; value: unknown }) => [m.timestamp, m.step, m.value]),
      [
        [3, 9, 1],
        [5, 0, 0.1 + 0.2],
        [5, 1, '-Infinity'],
        [5, 1, 2.5],
        [5, 1, 'NaN'],
        [7, -3, 1e-300],
        [7, -3, 'Infinity'],
      ],
      "MLflow's order: timestamp, step, value (NaN above every number)",
    );
    for (const size of ['1', '2', '3', '7']) {
      const paged: unknown[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await get('metrics/get-history', {
          run_id: runId,
          metric_key: 'paged',
          max_results: size,
          ...(token ? { page_token: token } : {}),
        });
        assert.equal(page.status, 200, JSON.stringify(page.json));
        paged.push(...page.json.metrics);
        token = page.json.next_page_token;
        pages++;
      } while (token && pages < 10);
      assert.deepEqual(paged, whole, `pages of ${size}`);
    }
    const refused = await get('metrics/get-history', { run_id: runId, metric_key: 'paged', page_token: 'e30=' });
    assert.equal(refused.status, 400);
    assert.equal(refused.json.error_code, 'INVALID_PARAMETER_VALUE');
  });

  it('takes batches of many runs at once that add the same new metric keys, each key stored once', async () => {
    const keys = [`new-${randomUUID()}`, `new-${randomUUID()}`, 'loss'];
    const runIds = await Promise.all(Array.from({ length: 8 }, () => newRun()));
    const logged = await Promise.all(
      runIds.map((runId, index) =>
        post('runs/log-batch', {
          run_id: runId,
          metrics: keys.flatMap((key) => [0, 1].map((step) => ({ key, value: index + step, timestamp: 20, step }))),
        }),
      ),
    );
    for (const answer of logged) assert.equal(answer.status, 200, JSON.stringify(answer.json));
    for (const [index, runId] of runIds.entries()) {
      for (const key of keys) {
        const history = (await get('metrics/get-history', { run_id: runId, metric_key: key })).json.metrics;
        const logged = history.filter((m: { timestamp: number }) => m.timestamp === 20);
        assert.deepEqual(
          logged.map((m: { step: number; value: number }) => [m.step, m.value]),
          [
            [0, index],
            [1, index + 1],
          ],
          `${key} of run ${index}`,
        );
      }
    }
    const { rows } = await runtime.db.query<{ key: string; rows: number }>(
      `SELECT key, count(*)::int AS rows FROM tracking.metric_keys WHERE key = ANY($1) GROUP BY key ORDER BY key`,
      [keys],
    );
    assert.deepEqual(
      rows,
      [...keys].sort().map((key) => ({ key, rows: 1 })),
    );
  });

  it("samples as MLflow 3.17 does: NTILE buckets' first points, the last point kept, MLflow's messages", async () => {
    const runId = await newRun();
    await post('runs/log-batch', {
      run_id: runId,
      metrics: Array.from({ length: 10 }, (_, step) => ({ key: 'ten', value: step, timestamp: 100 + step, step })),
    });
    const sampled = (query: Record<string, string>) =>
      get('metrics/get-history-bulk-interval', { run_ids: runId, metric_key: 'ten', ...query });
    const steps = (await sampled({ max_results: '5' })).json.metrics.map((m: { step: number }) => m.step);
    assert.deepEqual(steps, [0, 2, 4, 6, 9]);
    assert.deepEqual(
      (await sampled({ max_results: '1' })).json.metrics.map((m: { step: number }) => m.step),
      [9],
    );
    assert.equal(
      (await sampled({ max_results: '0' })).json.message,
      'max_results must be between 1 and 2500. See the API docs for more information about request parameters.',
    );
    assert.equal(
      (await sampled({ start_step: '5', end_step: '2' })).json.message,
      'end_step must be greater than start_step. Found start_step=5 and end_step=2.',
    );
  });

  it("answers the UI's bulk history under the ajax prefix only: run ids sorted, capped at max_results", async () => {
    const runIds = [await newRun(), await newRun()];
    for (const runId of runIds) {
      await post('runs/log-batch', {
        run_id: runId,
        metrics: [3, 1, 2].map((step) => ({ key: 'bulk', value: step / 2, timestamp: step, step })),
      });
    }
    const bulk = async (query: [string, string][]) => {
      const response = await app.inject({
        method: 'GET',
        url: `/ajax-api/2.0/mlflow/metrics/get-history-bulk?${new URLSearchParams(query)}`,
      });
      return { status: response.statusCode, json: response.json() as Record<string, any> };
    };
    const both = runIds.map((id): [string, string] => ['run_id', id]);
    const { json } = await bulk([...both, ['metric_key', 'bulk']]);
    const sorted = [...runIds].sort();
    assert.deepEqual(
      json.metrics.map((m: { run_id: string; step: number }) => [m.run_id, m.step]),
      sorted.flatMap((id) => [1, 2, 3].map((step) => [id, step])),
    );
    assert.equal((await bulk([...both, ['metric_key', 'bulk'], ['max_results', '4']])).json.metrics.length, 4);
    assert.equal(
      (await bulk([['metric_key', 'bulk']])).json.message,
      'GetMetricHistoryBulk request must specify at least one run_id.',
    );
    assert.equal((await bulk(both)).json.message, 'GetMetricHistoryBulk request must specify a metric_key.');
    assert.equal((await get('metrics/get-history-bulk', { run_id: runIds[0], metric_key: 'bulk' })).status, 404);
  });

  it('reports validation failures as MLflow does: the run reference first, values as Python prints them', async () => {
    const runId = await newRun();
    const refusal = async (path: string, body: string) => (await post(path, body)).json.message as string;
    assert.match(
      await refusal('runs/log-parameter', '{"run_id": 31, "key": "param", "value": 41}'),
      /^Invalid value 31 for parameter 'run_id' supplied/,
    );
    assert.match(
      await refusal('runs/set-tag', `{"run_id": "${runId}", "key": "t", "value": 9.0}`),
      /^Invalid value 9\.0 for parameter 'value' supplied: {2}Hint: Value was of type 'float'\./,
    );
    assert.match(
      await refusal('experiments/create', '{"name": "x", "artifact_location": "loc", "tags": "5"}'),
      /^Invalid value "5" for parameter 'tags' supplied/,
    );
    assert.match(
      await refusal('runs/log-metric', '{"key": "foo", "value": 3, "timestamp": "x"}'),
      /^Missing value for required parameter 'run_id'/,
    );
    assert.match(
      await refusal('experiments/create', '{"name": "x", "artifact_location": 1e16}'),
      /^Invalid value 1e\+16 for parameter 'artifact_location'/,
    );
  });

  it('rebuilds every tracking projection from the log to the same API answers', async () => {
    const runId = await newRun();
    await post('runs/log-batch', {
      run_id: runId,
      metrics: [
        { key: 'loss', value: 'NaN', timestamp: 20, step: 2 },
        { key: 'loss', value: 0.25, timestamp: 30, step: 2 },
        { key: 'acc', value: 'Infinity', timestamp: 30, step: 3 },
      ],
      tags: [{ key: 'mlflow.runName', value: 'renamed' }],
    });
    await post('runs/log-inputs', {
      run_id: runId,
      datasets: [
        {
          tags: [{ key: 'mlflow.data.context', value: 'train' }],
          dataset: { name: 'd', digest: 'abc', source_type: 'local', source: '/x' },
        },
      ],
    });
    const model = await post('logged-models', { experiment_id: '0', name: 'model', tags: [{ key: 't', value: '1' }] });
    const experimentId = (await get('runs/get', { run_id: runId })).json.run.info.experiment_id;
    const snapshot = async () => ({
      run: (await get('runs/get', { run_id: runId })).json,
      search: (await post('runs/search', { experiment_ids: [experimentId, '0'], order_by: ['metrics.loss DESC'] }))
        .json,
      history: (await get('metrics/get-history', { run_id: runId, metric_key: 'loss' })).json,
      experiments: (await post('experiments/search', { max_results: 1000, view_type: 'ALL' })).json,
      model: (await call('GET', `logged-models/${model.json.model.info.model_id}`)).json,
    });
    const live = await snapshot();
    for (const projection of trackingProjections) await runtime.store.rebuild(projection);
    const rebuilt = await snapshot();
    assert.equal(live.run.run.info.run_name, 'renamed');
    assert.deepEqual(
      live.history.metrics.map((m: { value: unknown }) => m.value),
      [0.5, 'NaN', 0.25],
    );
    assert.deepEqual(rebuilt, live);
  });
});
