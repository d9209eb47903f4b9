import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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
    ]);
    assert.deepEqual(await migrate(db, ARTIFACTS_SCHEMA, artifactsMigrations), []);
    const { rows } = await db.query(`SELECT name FROM ${ARTIFACTS_SCHEMA}.typeorm_migrations`);
    assert.equal(rows.length, artifactsMigrations.length);
  });
});
