import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queryable } from '@logbook/platform';
import { createTestDatabase, testInfra } from '@logbook/testing';

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

/** Where a registry keeps its data: a Postgres database (distributed), or an embedded PGlite folder. */
export interface RegistryStorage {
  env: Record<string, string>;
  drop(): Promise<void>;
}

/** Both storages a registry runs on, each new per suite: `name` tells their databases and folders apart. */
export function registryStorages(name: string): Array<{ shape: string; storage: () => Promise<RegistryStorage> }> {
  return [
    {
      shape: 'real Postgres',
      storage: async () => {
        const database = await createTestDatabase(`registry_${name}`);
        return {
          env: {
            LOGBOOK_MODE: 'distributed',
            DATABASE_URL: database.url,
            KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
          },
          drop: () => database.drop(),
        };
      },
    },
    {
      shape: 'PGlite (embedded)',
      storage: async () => {
        const folder = await mkdtemp(join(tmpdir(), `logbook-${name}-`));
        return {
          env: { LOGBOOK_MODE: 'embedded', LOGBOOK_DATA_DIR: folder },
          drop: () => rm(folder, { recursive: true, force: true }),
        };
      },
    },
  ];
}
