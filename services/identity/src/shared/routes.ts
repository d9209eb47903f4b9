/** MLflow serves every endpoint under its REST prefix and again under the UI's ajax prefix. */
export const mlflowRoutes = (path: string): string[] => [`api/2.0/mlflow/${path}`, `ajax-api/2.0/mlflow/${path}`];
