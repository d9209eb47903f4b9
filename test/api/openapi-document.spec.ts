import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INT64_BOUND, integerStringPattern, KEY_NAME_PATTERN } from '@logbook/platform';
import { artifactsOpenApi } from '../../services/artifacts/src/index';
import { graphqlOpenApi } from '../../services/gateway/src/graphql/graphql.openapi';
import { buildOpenApiDocument } from '../../services/gateway/src/openapi.document';
import { registryOpenApi } from '../../services/registry/src/index';
import { trackingOpenApi } from '../../services/tracking/src/index';
import { LIMITS as REGISTRY_LIMITS } from '../../services/registry/src/shared/limits';
import { LIMITS, MAX_RESULTS } from '../../services/tracking/src/shared/limits';

type Schema = Record<string, any>;
const document = buildOpenApiDocument([
  trackingOpenApi(),
  artifactsOpenApi(),
  registryOpenApi(),
  graphqlOpenApi(),
]) as Schema;
const operations = Object.entries(document.paths as Record<string, Record<string, Schema>>).flatMap(([path, verbs]) =>
  Object.entries(verbs).map(([verb, operation]) => ({ path, verb, operation })),
);
const served = (route: string) => operations.some((o) => `${o.verb.toUpperCase()} ${o.path}` === route);
const operation = (id: string) => {
  const found = operations.find((o) => o.operation.operationId === id);
  assert.ok(found, `no operation ${id}`);
  return found.operation;
};
const resolve = (schema: Schema): Schema => {
  if (schema.allOf) return resolve(schema.allOf[0]);
  return schema.$ref ? resolve(document.components.schemas[String(schema.$ref).split('/').pop()!]) : schema;
};
const bodyOf = (id: string) => resolve(operation(id).requestBody.content['application/json'].schema);
const parameterOf = (id: string, name: string) =>
  (operation(id).parameters as Schema[]).find((p) => p.name === name)!.schema as Schema;
/** The integer alternative of an int64 body field (the other is its decimal string). */
const integerOf = (schema: Schema) => (schema.anyOf as Schema[]).find((s) => s.type === 'integer')!;

describe('OpenAPI document', () => {
  it('names every operation once, so a generated client has one method per operation', () => {
    const ids = operations.map((o) => o.operation.operationId as string);
    assert.deepEqual(
      ids.filter((id, index) => ids.indexOf(id) !== index),
      [],
    );
    assert.ok(ids.includes('Experiments_create') && ids.includes('Experiments_create_ajax'));
  });

  it('defines every schema it refers to', () => {
    const refs = new Set<string>();
    const collect = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(collect);
      else if (value !== null && typeof value === 'object') {
        for (const [key, inner] of Object.entries(value)) {
          if (key === '$ref' && typeof inner === 'string') refs.add(inner);
          else collect(inner);
        }
      }
    };
    collect(document);
    const missing = [...refs].filter((ref) => !document.components.schemas[ref.split('/').pop()!]);
    assert.deepEqual(missing, []);
  });

  it('states the limits the server enforces, from the same constants', () => {
    const create = bodyOf('Experiments_create');
    assert.equal(create.properties.name.maxLength, LIMITS.experimentName);
    assert.equal(create.properties.name.minLength, 1, 'MLflow reads "" as missing');
    assert.deepEqual(create.required, ['name']);
    const batch = bodyOf('Runs_logBatch');
    assert.equal(batch.properties.metrics.maxItems, LIMITS.metricsPerBatch);
    assert.equal(batch.properties.params.maxItems, LIMITS.paramsOrTagsPerBatch);
    const metric = resolve(batch.properties.metrics.items);
    assert.equal(integerOf(metric.properties.timestamp).minimum, 0);
    assert.equal(integerOf(metric.properties.step).maximum, INT64_BOUND);
    assert.equal(metric.properties.key.pattern, KEY_NAME_PATTERN);
    assert.equal(metric.properties.key.maxLength, LIMITS.entityKey);
    assert.equal(parameterOf('Metrics_history', 'max_results').maximum, MAX_RESULTS.metricHistory.maximum);
    assert.equal(integerOf(bodyOf('Runs_search').properties.max_results).maximum, MAX_RESULTS.searchRuns.maximum);
    assert.equal(
      bodyOf('Runs_logParam').properties.value.maxLength,
      undefined,
      'long param values are truncated, not refused',
    );
  });

  it('requires a body only when it has a required field, and a run by run_id or run_uuid', () => {
    assert.equal(operation('Runs_create').requestBody.required, false);
    assert.equal(operation('Experiments_search').requestBody.required, false);
    assert.equal(
      operation('Experiments_search').requestBody.content['application/json'].schema.nullable,
      true,
      'a JSON null body reads as {}',
    );
    assert.equal(operation('Runs_logMetric').requestBody.required, true);
    assert.deepEqual(
      (bodyOf('Runs_delete').anyOf as Schema[]).map((alternative) => alternative.required),
      [['run_id'], ['run_uuid']],
    );
    assert.equal(bodyOf('Runs_search').properties.filter.nullable, true, 'null reads as absent');
  });

  it("answers every refusal with MLflow's error shape under a documented status", () => {
    for (const { path, verb, operation: op } of operations) {
      assert.equal(op.responses.default, undefined, `${verb} ${path} hides its statuses behind default`);
      if (path.endsWith('/server-info')) continue;
      const refusal = op.responses['400'].content['application/json'].schema;
      assert.equal(refusal.allOf[0].$ref, '#/components/schemas/Error', `${verb} ${path}`);
    }
    assert.deepEqual(document.components.schemas.Error.required, ['error_code', 'message']);
    assert.ok(operation('Runs_get').responses['404']);
    assert.equal(operation('Runs_search').responses['404'], undefined);
  });

  it("documents the web UI's routes: GraphQL, bulk history, datasets and run- and model-relative files", () => {
    const served = operations.map((o) => `${o.verb.toUpperCase()} ${o.path}`);
    for (const route of [
      'POST /graphql',
      'GET /ajax-api/2.0/mlflow/metrics/get-history-bulk',
      'POST /ajax-api/2.0/mlflow/experiments/search-datasets',
      'GET /get-artifact',
      'POST /ajax-api/2.0/mlflow/upload-artifact',
      'GET /model-versions/get-artifact',
      'GET /ajax-api/2.0/mlflow/logged-models/{modelId}/artifacts/files',
      'GET /api/2.0/mlflow/logged-models/{modelId}/artifacts/directories',
      'GET /ajax-api/2.0/mlflow/logged-models/{modelId}/artifacts/directories',
    ]) {
      assert.ok(served.includes(route), `${route} is documented`);
    }
    assert.deepEqual(bodyOf('Graphql_execute').required, ['query']);
  });

  it('links the id each create answers to the operations that take it', () => {
    const experimentLinks = operation('Experiments_create').responses['200'].links as Record<string, Schema>;
    assert.deepEqual(experimentLinks.Experiments_get.parameters, {
      'query.experiment_id': '$response.body#/experiment_id',
    });
    assert.deepEqual(experimentLinks.Runs_create.requestBody, { experiment_id: '$response.body#/experiment_id' });
    assert.equal(experimentLinks.Experiments_get_ajax, undefined, 'links stay within one prefix');
    const runLinks = operation('Runs_create').responses['200'].links as Record<string, Schema>;
    for (const target of ['Runs_get', 'Runs_update', 'Runs_delete', 'Runs_logBatch', 'Metrics_history']) {
      assert.ok(runLinks[target], `Runs_create links to ${target}`);
    }
    assert.match(runLinks.Artifacts_upload.parameters['path.path'], /run_id}\/artifacts\//);
    const modelLinks = operation('LoggedModels_create').responses['200'].links as Record<string, Schema>;
    assert.deepEqual(modelLinks.LoggedModels_get.parameters, { 'path.modelId': '$response.body#/model/info/model_id' });
  });
});

describe("OpenAPI document: Databricks' comments and activity lists", () => {
  it('states the comment limit, takes a deleted comment by its id in the query string, and answers 404 for an unknown one', () => {
    const create = bodyOf('Comments_create');
    assert.deepEqual([...create.required].sort(), ['comment', 'name', 'version']);
    assert.equal(create.properties.comment.maxLength, REGISTRY_LIMITS.comment);
    assert.equal(bodyOf('Comments_update').properties.comment.maxLength, REGISTRY_LIMITS.comment);
    const [id] = operation('Comments_delete').parameters as Schema[];
    assert.deepEqual([id.name, id.in, id.required], ['id', 'query', true]);
    for (const id of ['Comments_update', 'Comments_delete', 'Activities_list', 'Comments_create']) {
      assert.ok(operation(id).responses['404'], `${id} documents 404`);
    }
    assert.ok(served('GET /ajax-api/2.0/mlflow/model-versions/get-activities'));
    assert.ok(served('DELETE /ajax-api/2.0/mlflow/comments/delete'));
  });

  it("links a new version to commenting on it, and a new comment's id to its update and delete", () => {
    const versionLinks = operation('ModelVersions_create').responses['200'].links as Record<string, Schema>;
    assert.deepEqual(versionLinks.Comments_create.requestBody, { version: '$response.body#/model_version/version' });
    const commentLinks = operation('Comments_create').responses['200'].links as Record<string, Schema>;
    assert.deepEqual(commentLinks.Comments_update.requestBody, { id: '$response.body#/comment/id' });
    assert.deepEqual(commentLinks.Comments_delete.parameters, { 'query.id': '$response.body#/comment/id' });
  });
});

describe('integerStringPattern', () => {
  const accepts = (minimum: number, maximum: number, text: string) =>
    new RegExp(integerStringPattern(minimum, maximum)).test(text);

  it('accepts exactly the decimal strings within the range, leading zeros included', () => {
    const cases: Array<[number, number, string, boolean]> = [
      [0, INT64_BOUND, '9007199254740991', true],
      [0, INT64_BOUND, '9007199254740992', false],
      [0, INT64_BOUND, '10000000000000000', false],
      [0, INT64_BOUND, '0009', true],
      [0, INT64_BOUND, '-0', true],
      [0, INT64_BOUND, '-1', false],
      [-INT64_BOUND, INT64_BOUND, '-9007199254740991', true],
      [-INT64_BOUND, INT64_BOUND, '-9007199254740992', false],
      [1, 2500, '0', false],
      [1, 2500, '2500', true],
      [1, 2500, '2501', false],
      [1, 2500, '999', true],
      [1, 2500, '1e3', false],
    ];
    for (const [minimum, maximum, text, expected] of cases) {
      assert.equal(accepts(minimum, maximum, text), expected, `${text} in [${minimum}, ${maximum}]`);
    }
  });

  it("documents the registry's audit trail: its filters' bounds and its JSON-lines export", () => {
    assert.equal(parameterOf('Audit_search', 'version').maximum, 2 ** 31 - 1);
    assert.equal(parameterOf('Audit_search', 'from').minimum, 0);
    assert.deepEqual(Object.keys(operation('Audit_export').responses['200'].content), ['application/x-ndjson']);
    for (const id of ['Audit_verify', 'Audit_publicKeys_ajax']) assert.ok(operation(id).responses['200']);
  });
});
