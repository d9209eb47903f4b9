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
    const legacy = artifactsMigrations.filter((migration) => migration.legacyId !== undefined);
    assert.equal((await migrate(db, ARTIFACTS_SCHEMA, legacy)).length, legacy.length);
    await recordAsLegacyRunner(db, ARTIFACTS_SCHEMA, [
      '001_event_store',
      '002_projections',
      '003_models',
      '004_stream_state_version',
      '005_registrations',
    ]);
    // Only what was written after the hand-written runner: the registered models' names.
    assert.deepEqual(await migrate(db, ARTIFACTS_SCHEMA, artifactsMigrations), [
      'ArtifactsRegisteredModelNames1796533846000',
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
    assert.deepEqual(await migrate(db, ARTIFACTS_SCHEMA, artifactsMigrations), [
      'ArtifactsRegistrations1796451145000',
      'ArtifactsRegisteredModelNames1796533846000',
    ]);
    await db.query(
      `INSERT INTO ${ARTIFACTS_SCHEMA}.registrations (registered_model_id, version, name, source, requested_at, cause_event_id, correlation_id)
       VALUES ('m', 1, 'model', 'runs:/r/model', 0, 'e', 'c')`,
    );
  });

  it("learns each registered model's name from the versions queued before the table existed, the latest one", async () => {
    await migrate(db, ARTIFACTS_SCHEMA, artifactsMigrations.slice(0, 5));
    await db.query(
      `INSERT INTO ${ARTIFACTS_SCHEMA}.registrations (registered_model_id, version, name, source, requested_at, cause_event_id, correlation_id)
       VALUES ('m', 1, 'before', 'runs:/r/model', 1, 'e1', 'c'), ('m', 2, 'after', 'runs:/r/model', 2, 'e2', 'c'),
              ('n', 1, 'other', 'runs:/r/model', 1, 'e3', 'c')`,
    );
    assert.deepEqual(await migrate(db, ARTIFACTS_SCHEMA, artifactsMigrations), [
      'ArtifactsRegisteredModelNames1796533846000',
    ]);
    const { rows } = await db.query(
      `SELECT registered_model_id, name, named_at FROM ${ARTIFACTS_SCHEMA}.registered_model_names ORDER BY 1`,
    );
    assert.deepEqual(rows, [
      { registered_model_id: 'm', name: 'after', named_at: 2 },
      { registered_model_id: 'n', name: 'other', named_at: 1 },
    ]);
  });
});
