import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { registerGraphqlRoute } from '../../services/gateway/src/graphql/graphql.route';
import { silent, startEmbeddedApp } from './embedded-app-fixture';

/** The web UI's queries, as MLflow 3.17's UI build sends them (Apollo adds __typename). */
const GET_RUN = `query GetRun($data: MlflowGetRunInput!) @component(name: "MLflow.ExperimentRunTracking") {
  mlflowGetRun(input: $data) { __typename apiError { helpUrl code message }
    run { __typename
      info { runName status runUuid experimentId artifactUri endTime lifecycleStage startTime userId }
      experiment { experimentId name tags { key value } artifactLocation lifecycleStage lastUpdateTime }
      modelVersions { status version name source }
      data { metrics { __typename key value step timestamp } params { key value } tags { key value } }
      inputs { datasetInputs { dataset { digest name profile schema source sourceType } tags { key value } }
        modelInputs { modelId } }
      outputs { modelOutputs { modelId step } } } } }`;
const SEARCH_RUNS = `query SearchRuns($data: MlflowSearchRunsInput!) {
  mlflowSearchRuns(input: $data) { apiError { helpUrl code message }
    runs { info { runUuid status endTime } experiment { experimentId name }
      data { metrics { key value step timestamp } params { key value } tags { key value } }
      modelVersions { version name creationTimestamp status source } } } }`;
const METRIC_HISTORY = `query GetMetricHistoryBulkInterval($data: MlflowGetMetricHistoryBulkIntervalInput!)
  @component(name: "MLflow.ExperimentRunTracking") {
  mlflowGetMetricHistoryBulkInterval(input: $data) { __typename metrics { timestamp step runId key value }
    apiError { code message } } }`;
const GET_EXPERIMENT = `query MlflowGetExperimentQuery($input: MlflowGetExperimentInput!) @component(name: "MLflow.ExperimentRunTracking") {
  mlflowGetExperiment(input: $input) { apiError { code message }
    experiment { artifactLocation creationTime effectiveTraceArchivalRetention experimentId lastUpdateTime
      lifecycleStage name tags { key value } } } }`;

const LARGEST_DOUBLE = Number.MAX_VALUE;

describe('/graphql on the embedded services', () => {
  let app: NestFastifyApplication;
  let close: () => Promise<void>;
  let experimentId: string;
  let runId: string;

  const rest = async (path: string, body: unknown) => {
    const response = await app.inject({
      method: 'POST',
      url: `/api/2.0/mlflow/${path}`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as Record<string, any>;
  };
  const post = async (body: unknown, contentType = 'application/json') => {
    const response = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': contentType },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.statusCode, json: response.json() as Record<string, any> };
  };
  const graphql = async (query: string, variables?: Record<string, unknown>, operationName?: string) => {
    const answer = await post({ query, variables, operationName });
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    return answer.json;
  };

  before(async () => {
    ({ app, close } = await startEmbeddedApp('graphql', 1024 * 1024, (created) =>
      registerGraphqlRoute(created.getHttpAdapter().getInstance(), { maxRootFields: 10, maxAliases: 10 }, silent),
    ));

    experimentId = (await rest('experiments/create', { name: 'graphql', tags: [{ key: 'team', value: 'vision' }] }))
      .experiment_id;
    runId = (await rest('runs/create', { experiment_id: experimentId, run_name: 'resnet', start_time: 100 })).run.info
      .run_id;
    const values = [0.5, 'NaN', 'Infinity', '-Infinity', 0.25];
    await rest('runs/log-batch', {
      run_id: runId,
      metrics: values.map((value, step) => ({ key: 'loss', value, step, timestamp: 1000 + step })),
      params: [{ key: 'lr', value: '0.01' }],
    });
    await rest('runs/log-metric', { run_id: runId, key: 'nan_only', value: 'NaN', step: 0, timestamp: 7 });
    await rest('runs/update', { run_id: runId, status: 'FINISHED', end_time: 200 });
  });

  after(() => close());

  it("answers the run page's query, NaN as null and Infinity as the largest double", async () => {
    const answer = await graphql(GET_RUN, { data: { runId } });
    assert.equal(answer.errors, null);
    const { run, apiError, __typename } = answer.data.mlflowGetRun;
    assert.equal(__typename, 'MlflowGetRunResponse');
    assert.equal(apiError, null);
    assert.equal(run.__typename, 'MlflowRunExtension');
    assert.deepEqual(run.info, {
      runName: 'resnet',
      status: 'FINISHED',
      runUuid: runId,
      experimentId,
      artifactUri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
      endTime: '200',
      lifecycleStage: 'active',
      startTime: '100',
      userId: '',
    });
    assert.equal(run.experiment.experimentId, experimentId);
    assert.deepEqual(run.experiment.tags, [{ key: 'team', value: 'vision' }]);
    assert.deepEqual(run.modelVersions, []);
    const metrics = Object.fromEntries(run.data.metrics.map((metric: { key: string }) => [metric.key, metric]));
    assert.deepEqual(metrics.loss, {
      __typename: 'MlflowMetricExtension',
      key: 'loss',
      value: 0.25,
      step: '4',
      timestamp: '1004',
    });
    assert.equal(metrics.nan_only.value, null);
    assert.deepEqual(run.data.params, [{ key: 'lr', value: '0.01' }]);
    assert.deepEqual(run.inputs, { datasetInputs: [], modelInputs: [] });
    assert.deepEqual(run.outputs, { modelOutputs: [] });
  });

  it("answers the chart's metric history, failing NaN values with graphql-core's message", async () => {
    const answer = await graphql(METRIC_HISTORY, { data: { runIds: [runId], metricKey: 'loss', maxResults: 320 } });
    assert.deepEqual(answer.errors, ['Float cannot represent non numeric value: nan']);
    const history = answer.data.mlflowGetMetricHistoryBulkInterval;
    assert.equal(history.__typename, 'MlflowGetMetricHistoryBulkIntervalResponse');
    assert.deepEqual(
      history.metrics.map((metric: Record<string, unknown>) => [metric.step, metric.value]),
      [
        ['0', 0.5],
        ['1', null],
        ['2', LARGEST_DOUBLE],
        ['3', -LARGEST_DOUBLE],
        ['4', 0.25],
      ],
    );
  });

  it("answers the runs table's search, with protobuf defaults for what a running run lacks", async () => {
    const running = (await rest('runs/create', { experiment_id: experimentId })).run.info.run_id;
    const answer = await graphql(SEARCH_RUNS, { data: { experimentIds: [experimentId], filter: '' } });
    assert.equal(answer.errors, null);
    const runs = Object.fromEntries(
      answer.data.mlflowSearchRuns.runs.map((run: { info: { runUuid: string } }) => [run.info.runUuid, run]),
    );
    assert.deepEqual(Object.keys(runs).sort(), [runId, running].sort());
    assert.deepEqual(runs[running].info, { runUuid: running, status: 'RUNNING', endTime: '0' });
    assert.deepEqual(runs[running].data.metrics, []);
    assert.equal(runs[runId].experiment.name, 'graphql');
  });

  it("answers the experiment page's query", async () => {
    const answer = await graphql(GET_EXPERIMENT, { input: { experimentId } });
    assert.equal(answer.errors, null);
    const { experiment } = answer.data.mlflowGetExperiment;
    assert.equal(experiment.name, 'graphql');
    assert.equal(experiment.lifecycleStage, 'active');
    assert.equal(experiment.effectiveTraceArchivalRetention, '');
    assert.match(experiment.creationTime, /^[1-9][0-9]*$/);
  });

  it("passes on the owning service's refusal as a bare message, with the field null", async () => {
    assert.deepEqual(await graphql(GET_RUN, { data: { runId: 'missing' } }), {
      data: { mlflowGetRun: null },
      errors: ['Run with id=missing not found'],
    });
  });

  it("words validation errors as graphql-core does, with MLflow's data: null", async () => {
    assert.deepEqual(await graphql('{ nope }'), {
      data: null,
      errors: ["Cannot query field 'nope' on type 'Query'."],
    });
    assert.deepEqual(await graphql(GET_RUN), {
      data: null,
      errors: ["Variable '$data' of required type 'MlflowGetRunInput!' was not provided."],
    });
    const two = 'query A { test(inputString: "a") { output } } query B { test(inputString: "b") { output } }';
    assert.deepEqual((await graphql(two)).errors, [
      'Must provide operation name if query contains multiple operations.',
    ]);
    assert.deepEqual(await graphql(two, undefined, 'B'), { data: { test: { output: 'b' } }, errors: null });
  });

  it("refuses queries over MLflow's limits before running them", async () => {
    const roots = Array.from({ length: 11 }, (_, i) => `r${i}: test(inputString: "x") { output }`).join(' ');
    assert.deepEqual(await graphql(`{ ${roots} }`), {
      data: null,
      errors: [
        'GraphQL queries should have at most 10 root fields, got 11 root fields. To increase the limit, ' +
          'set the MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS environment variable.',
      ],
    });
  });

  it("answers 400 in MLflow's error shape where MLflow answers 500 or refuses the content type", async () => {
    for (const body of [{ query: '{ mlflowGetRun(' }, {}, [{ query: '{ test { output } }' }]]) {
      const answer = await post(body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.json.error_code, 'INVALID_PARAMETER_VALUE');
    }
    const plain = await post('{}', 'text/plain');
    assert.equal(plain.status, 400);
    assert.equal(plain.json.error_code, 'INVALID_PARAMETER_VALUE');
  });
});
