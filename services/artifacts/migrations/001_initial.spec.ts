import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { PostgresDatabase, migrate } from '@logbook/platform';
import { createTestDatabase, recordAsLegacyRunner } from '@logbook/testing';
import { ARTIFACTS_SCHEMA, artifactsMigrations } from './001_initial';

describe('artifacts migrations', () => {
  let database: { url: string; drop(): Promise<void> };
  let db: PostgresDatabase;
  before(async () => {
    database = await createTestDatabase('artifacts_migrations');
    db = new PostgresDatabase(database.url, 2);
  });
  beforeEach(async () => {
    await db.query(`DROP SCHEMA IF EXISTS ${ARTIFACTS_SCHEMA} CASCADE`);
  });
  after(async () => {
    await db.close();
    await database.drop();
  });

  it('runs none again on a database the hand-written runner migrated (its ids name these migrations)', async () => {
    assert.equal((await migrate(db, ARTIFACTS_SCHEMA, artifactsMigrations)).length, artifactsMigrations.length);
    await recordAsLegacyRunner(db, ARTIFACTS_SCHEMA, [
      '001_event_store',
      '002_projections',
      '003_models',
      '004_stream_state_version',
      '005_registrations',
    ]);
    assert.deepEqual(await migrate(db, ARTIFACTS_SCHEMA, artifactsMigrations), []);
    const { rows } = await db.query(`SELECT name FROM ${ARTIFACTS_SCHEMA}.typeorm_migrations`);
    assert.equal(rows.length, artifactsMigrations.length);
  });

  it('runs only the registrations on a database the hand-written runner migrated before them', async () => {
    await migrate(db, ARTIFACTS_SCHEMA, artifactsMigrations.slice(0, 4));
    await recordAsLegacyRunner(db, ARTIFACTS_SCHEMA, [
      '001_event_store',
      '002_projections',
      '003_models',
      '004_stream_state_version',
    ]);
    assert.deepEqual(await migrate(db, ARTIFACTS_SCHEMA, artifactsMigrations), ['ArtifactsRegistrations1796451145000']);
    await db.query(
      `INSERT INTO ${ARTIFACTS_SCHEMA}.registrations (registered_model_id, version, name, source, requested_at, cause_event_id, correlation_id)
       VALUES ('m', 1, 'model', 'runs:/r/model', 0, 'e', 'c')`,
    );
  });
});
