/** MLflow's artifact proxy: `<prefix>/artifacts/<path>`, `<prefix>/mpu/...`, under the REST and the UI prefix. */
export const ARTIFACT_PREFIXES = ['/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts'];

/** The only routes that take part in TRANSFER_OFFLOAD: a file's PUT and GET. */
export const OFFLOADABLE_PREFIXES = ARTIFACT_PREFIXES.map((prefix) => `${prefix}/artifacts/`);

/** MLflow's capability document, which the artifact store declares (multipart uploads). */
export const SERVER_INFO_ROUTES = ['/api/3.0/mlflow/server-info', '/ajax-api/3.0/mlflow/server-info'];

/**
 * MLflow's run- and model-relative artifact routes, which the artifact store answers: the legacy
 * get-artifact (at the server's root), the UI's small-file upload, and a logged model's files (UI only)
 * and directories.
 */
export const OWNER_ARTIFACT_ROUTES = {
  runFile: '/get-artifact',
  runUpload: '/ajax-api/2.0/mlflow/upload-artifact',
  loggedModelFile: '/ajax-api/2.0/mlflow/logged-models/:modelId/artifacts/files',
  loggedModelDirectories: ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow'].map(
    (prefix) => `${prefix}/logged-models/:modelId/artifacts/directories`,
  ),
};
