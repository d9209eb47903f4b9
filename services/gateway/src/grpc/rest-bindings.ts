import { LOGBOOK_REST_BINDINGS } from './logbook-rest-bindings';

/** The HTTP verbs MLflow's routes use. */
export type RestVerb = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** The REST route a gRPC method is answered by; `{field}` in the path is taken from the request message. */
export interface RestBinding {
  verb: RestVerb;
  path: string;
}

type Routes = Record<string, [RestVerb, string]>;

/** A service's methods, each bound to its REST route (MLflow's paths are under /api/2.0). */
const service = (name: string, routes: Routes): [string, RestBinding][] =>
  Object.entries(routes).map(([method, [verb, path]]) => [`${name}/${method}`, { verb, path: `/api/2.0${path}` }]);

/**
 * Every gRPC method Logbook serves, by its full name (`package.Service/method`), and the REST route that
 * answers it: the route MLflow's own proto declares for the method, so a gRPC call takes the REST call's
 * controller, validation, limits and permissions. Where MLflow declares both GET and POST, POST: its body
 * carries what a query string cannot.
 */
export const REST_BINDINGS: ReadonlyMap<string, RestBinding> = new Map([
  ...service('mlflow.MlflowService', {
    getExperimentByName: ['GET', '/mlflow/experiments/get-by-name'],
    createExperiment: ['POST', '/mlflow/experiments/create'],
    searchExperiments: ['POST', '/mlflow/experiments/search'],
    getExperiment: ['GET', '/mlflow/experiments/get'],
    deleteExperiment: ['POST', '/mlflow/experiments/delete'],
    restoreExperiment: ['POST', '/mlflow/experiments/restore'],
    updateExperiment: ['POST', '/mlflow/experiments/update'],
    createRun: ['POST', '/mlflow/runs/create'],
    updateRun: ['POST', '/mlflow/runs/update'],
    deleteRun: ['POST', '/mlflow/runs/delete'],
    restoreRun: ['POST', '/mlflow/runs/restore'],
    logMetric: ['POST', '/mlflow/runs/log-metric'],
    logParam: ['POST', '/mlflow/runs/log-parameter'],
    setExperimentTag: ['POST', '/mlflow/experiments/set-experiment-tag'],
    deleteExperimentTag: ['POST', '/mlflow/experiments/delete-experiment-tag'],
    setTag: ['POST', '/mlflow/runs/set-tag'],
    deleteTag: ['POST', '/mlflow/runs/delete-tag'],
    getRun: ['GET', '/mlflow/runs/get'],
    searchRuns: ['POST', '/mlflow/runs/search'],
    listArtifacts: ['GET', '/mlflow/artifacts/list'],
    getMetricHistory: ['GET', '/mlflow/metrics/get-history'],
    getMetricHistoryBulkInterval: ['GET', '/mlflow/metrics/get-history-bulk-interval'],
    logBatch: ['POST', '/mlflow/runs/log-batch'],
    logInputs: ['POST', '/mlflow/runs/log-inputs'],
    logOutputs: ['POST', '/mlflow/runs/outputs'],
    createLoggedModel: ['POST', '/mlflow/logged-models'],
    finalizeLoggedModel: ['PATCH', '/mlflow/logged-models/{model_id}'],
    getLoggedModel: ['GET', '/mlflow/logged-models/{model_id}'],
    deleteLoggedModel: ['DELETE', '/mlflow/logged-models/{model_id}'],
    searchLoggedModels: ['POST', '/mlflow/logged-models/search'],
    setLoggedModelTags: ['PATCH', '/mlflow/logged-models/{model_id}/tags'],
    deleteLoggedModelTag: ['DELETE', '/mlflow/logged-models/{model_id}/tags/{tag_key}'],
    listLoggedModelArtifacts: ['GET', '/mlflow/logged-models/{model_id}/artifacts/directories'],
    LogLoggedModelParams: ['POST', '/mlflow/logged-models/{model_id}/params'],
  }),
  ...service('mlflow.ModelRegistryService', {
    createRegisteredModel: ['POST', '/mlflow/registered-models/create'],
    renameRegisteredModel: ['POST', '/mlflow/registered-models/rename'],
    updateRegisteredModel: ['PATCH', '/mlflow/registered-models/update'],
    deleteRegisteredModel: ['DELETE', '/mlflow/registered-models/delete'],
    getRegisteredModel: ['GET', '/mlflow/registered-models/get'],
    searchRegisteredModels: ['GET', '/mlflow/registered-models/search'],
    getLatestVersions: ['POST', '/mlflow/registered-models/get-latest-versions'],
    createModelVersion: ['POST', '/mlflow/model-versions/create'],
    updateModelVersion: ['PATCH', '/mlflow/model-versions/update'],
    transitionModelVersionStage: ['POST', '/mlflow/model-versions/transition-stage'],
    deleteModelVersion: ['DELETE', '/mlflow/model-versions/delete'],
    getModelVersion: ['GET', '/mlflow/model-versions/get'],
    searchModelVersions: ['GET', '/mlflow/model-versions/search'],
    getModelVersionDownloadUri: ['GET', '/mlflow/model-versions/get-download-uri'],
    setRegisteredModelTag: ['POST', '/mlflow/registered-models/set-tag'],
    setModelVersionTag: ['POST', '/mlflow/model-versions/set-tag'],
    deleteRegisteredModelTag: ['DELETE', '/mlflow/registered-models/delete-tag'],
    deleteModelVersionTag: ['DELETE', '/mlflow/model-versions/delete-tag'],
    setRegisteredModelAlias: ['POST', '/mlflow/registered-models/alias'],
    deleteRegisteredModelAlias: ['DELETE', '/mlflow/registered-models/alias'],
    getModelVersionByAlias: ['GET', '/mlflow/registered-models/alias'],
  }),
  ...service('mlflow.WebhookService', {
    createWebhook: ['POST', '/mlflow/webhooks'],
    listWebhooks: ['GET', '/mlflow/webhooks'],
    getWebhook: ['GET', '/mlflow/webhooks/{webhook_id}'],
    updateWebhook: ['PATCH', '/mlflow/webhooks/{webhook_id}'],
    deleteWebhook: ['DELETE', '/mlflow/webhooks/{webhook_id}'],
    testWebhook: ['POST', '/mlflow/webhooks/{webhook_id}/test'],
  }),
  ...service('mlflow.artifacts.MlflowArtifactsService', {
    listArtifacts: ['GET', '/mlflow-artifacts/artifacts'],
  }),
  ...LOGBOOK_REST_BINDINGS,
]);
