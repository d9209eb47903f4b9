import { JsonSchema, OpenApiFragment, OpenApiLocation, OpenApiPaths, takenFields } from '@logbook/platform';

/**
 * Where a create's answer carries the new id, and the parameter or body field that takes it elsewhere
 * (`in` narrows where the field must be). A new run's artifacts live under `<experiment>/<run>/artifacts`. A
 * registered model and its versions are addressed by name (and version number); a comment by its id.
 */
const ID_SOURCES: Array<{ operationId: string; field: string; value: string; in?: OpenApiLocation }> = [
  { operationId: 'Experiments_create', field: 'experiment_id', value: '$response.body#/experiment_id' },
  { operationId: 'Runs_create', field: 'run_id', value: '$response.body#/run/info/run_id' },
  {
    operationId: 'Runs_create',
    field: 'path',
    in: 'path',
    value: '{$response.body#/run/info/experiment_id}/{$response.body#/run/info/run_id}/artifacts/logbook.txt',
  },
  { operationId: 'LoggedModels_create', field: 'modelId', value: '$response.body#/model/info/model_id' },
  { operationId: 'RegisteredModels_create', field: 'name', value: '$response.body#/registered_model/name' },
  { operationId: 'ModelVersions_create', field: 'name', value: '$response.body#/model_version/name' },
  { operationId: 'ModelVersions_create', field: 'version', value: '$response.body#/model_version/version' },
  { operationId: 'Comments_create', field: 'id', value: '$response.body#/comment/id' },
];

const DESCRIPTION = [
  "MLflow's REST API as Logbook serves it. Every refusal is MLflow's error shape {error_code, message}.",
  'Int64 fields take JSON integers or their decimal strings within ±(2^53−1); doubles also take',
  '"NaN", "Infinity" and "-Infinity". Text containing U+0000 or an unpaired surrogate, JSON nested deeper',
  'than 64 levels, and a body that is not JSON get 400 INVALID_PARAMETER_VALUE; a Host header outside the',
  'allowed hosts gets 403. Long param and tag values are truncated to their limit, as MLflow does by default.',
].join(' ');

const familyOf = (path: string) => path.split('/')[1];

/** OpenAPI links: the id each create answers feeds every operation (of the same prefix family) that takes it. */
function linkIds(paths: OpenApiPaths, components: Record<string, JsonSchema>): void {
  const operations = Object.entries(paths).flatMap(([path, byVerb]) =>
    Object.values(byVerb).map((operation) => ({ path, operation })),
  );
  for (const source of operations) {
    const links: Record<string, JsonSchema> = {};
    const origins = ID_SOURCES.filter(
      (s) => source.operation.operationId.replace(/(_ajax)?(_v3)?$/, '') === s.operationId,
    );
    for (const origin of origins) {
      for (const target of operations) {
        if (target === source || familyOf(target.path) !== familyOf(source.path)) continue;
        const where = takenFields(target.operation, components).get(origin.field);
        if (!where || (origin.in && origin.in !== where)) continue;
        links[target.operation.operationId] = {
          operationId: target.operation.operationId,
          ...(where === 'body'
            ? { requestBody: { [origin.field]: origin.value } }
            : { parameters: { [`${where}.${origin.field}`]: origin.value } }),
        };
      }
    }
    if (Object.keys(links).length > 0) source.operation.responses['200'].links = links;
  }
}

/** The OpenAPI 3 document of every MLflow route Logbook serves: the services' fragments, merged and linked. */
export function buildOpenApiDocument(fragments: OpenApiFragment[]): JsonSchema {
  const paths: OpenApiPaths = Object.assign({}, ...fragments.map((fragment) => fragment.paths));
  const components: Record<string, JsonSchema> = Object.assign({}, ...fragments.map((fragment) => fragment.components));
  linkIds(paths, components);
  return {
    openapi: '3.0.3',
    info: { title: 'Logbook (MLflow-compatible REST API)', version: '0.1.0', description: DESCRIPTION },
    paths,
    components: { schemas: components },
  };
}
