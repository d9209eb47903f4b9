/** MLflow serves every endpoint under its REST prefix and again under the UI's ajax prefix, of one version. */
export const mlflowRoutes = (path: string, version: '2.0' | '3.0' = '2.0'): string[] => [
  `api/${version}/mlflow/${path}`,
  `ajax-api/${version}/mlflow/${path}`,
];
