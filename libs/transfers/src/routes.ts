/** MLflow's artifact proxy: `<prefix>/artifacts/<path>`, `<prefix>/mpu/...`, under the REST and the UI prefix. */
export const ARTIFACT_PREFIXES = ['/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts'];

/** The only routes that take part in TRANSFER_OFFLOAD: a file's PUT and GET. */
export const OFFLOADABLE_PREFIXES = ARTIFACT_PREFIXES.map((prefix) => `${prefix}/artifacts/`);

/** MLflow's capability document, which the artifact store declares (multipart uploads). */
export const SERVER_INFO_ROUTES = ['/api/3.0/mlflow/server-info', '/ajax-api/3.0/mlflow/server-info'];
