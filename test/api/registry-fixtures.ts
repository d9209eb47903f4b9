import { Queryable } from '@logbook/platform';

/** The MLmodel file of a small pyfunc model: what registration parses and get-artifact serves back. */
export const MLMODEL = `artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.pyfunc.model
    python_version: 3.11.0
mlflow_version: 3.1.0
utc_time_created: '2026-12-04 18:00:00.000000'
`;

const PROJECTION_TABLES = [
  'registered_models ORDER BY registered_model_id',
  'registered_model_tags ORDER BY registered_model_id, key',
  'registered_model_aliases ORDER BY registered_model_id, alias',
  'model_versions ORDER BY registered_model_id, version',
  'model_version_tags ORDER BY registered_model_id, version, key',
  'version_activities ORDER BY activity_id',
];

/** Every row of the registry's projection tables, in a fixed order: what a rebuild must reproduce. */
export const registryProjectionRows = (db: Queryable) =>
  Promise.all(PROJECTION_TABLES.map(async (table) => (await db.query(`SELECT * FROM registry.${table}`)).rows));
