import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { PostgresDatabase, migrate } from '@logbook/platform';
import { createTestDatabase, recordAsLegacyRunner } from '@logbook/testing';
import { REGISTRY_SCHEMA, registryMigrations } from './001_initial';

describe('registry migrations', () => {
  let database: { url: string; drop(): Promise<void> };
  let db: PostgresDatabase;
  before(async () => {
    database = await createTestDatabase('registry_migrations');
    db = new PostgresDatabase(database.url, 2);
  });
  beforeEach(async () => {
    await db.query(`DROP SCHEMA IF EXISTS ${REGISTRY_SCHEMA} CASCADE`);
  });
  after(async () => {
    await db.close();
    await database.drop();
  });

  it('runs none again on a database the hand-written runner migrated (its ids name these migrations)', async () => {
    const legacy = registryMigrations.slice(0, 5);
    assert.equal((await migrate(db, REGISTRY_SCHEMA, legacy)).length, legacy.length);
    await recordAsLegacyRunner(db, REGISTRY_SCHEMA, [
      '001_event_store',
      '002_projections',
      '003_stream_state_version',
      '004_lineage',
      '005_history',
    ]);
    assert.deepEqual(await migrate(db, REGISTRY_SCHEMA, registryMigrations), [
      'RegistryAudit1796500000000',
      'RegistryPolicies1796500000100',
      'RegistryVersionActivities1796500000200',
      'RegistryTransitionRequests1796500000300',
      'RegistryAuditDecisions1796500000400',
      'RegistryWebhooks1796500000500',
    ]);
    assert.deepEqual(await migrate(db, REGISTRY_SCHEMA, registryMigrations), []);
    const { rows } = await db.query(`SELECT name FROM ${REGISTRY_SCHEMA}.typeorm_migrations`);
    assert.equal(rows.length, registryMigrations.length);
  });

  it('runs only the migrations written after those the hand-written runner applied', async () => {
    await migrate(db, REGISTRY_SCHEMA, registryMigrations.slice(0, 3));
    await recordAsLegacyRunner(db, REGISTRY_SCHEMA, ['001_event_store', '002_projections', '003_stream_state_version']);
    assert.deepEqual(await migrate(db, REGISTRY_SCHEMA, registryMigrations), [
      'RegistryLineage1796451273000',
      'RegistryHistory1796459290000',
      'RegistryAudit1796500000000',
      'RegistryPolicies1796500000100',
      'RegistryVersionActivities1796500000200',
      'RegistryTransitionRequests1796500000300',
      'RegistryAuditDecisions1796500000400',
      'RegistryWebhooks1796500000500',
    ]);
    await db.query(
      `INSERT INTO ${REGISTRY_SCHEMA}.lineage_runs (run_id, experiment_id, run_name, user_id, status, start_time)
       VALUES ('r', '0', 'run', 'u', 'RUNNING', 0)`,
    );
  });
});
