import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PostgresDatabase, migrate } from '@logbook/platform';
import { createTestDatabase, recordAsLegacyRunner } from '@logbook/testing';
import { TRACKING_SCHEMA, trackingMigrations } from './001_initial';

describe('tracking migrations', () => {
  let database: { url: string; drop(): Promise<void> };
  let db: PostgresDatabase;
  before(async () => {
    database = await createTestDatabase('tracking_migrations');
    db = new PostgresDatabase(database.url, 2);
  });
  after(async () => {
    await db.close();
    await database.drop();
  });

  it('runs again only the migrations written after those the hand-written runner applied (its ids name them)', async () => {
    const legacy = trackingMigrations.slice(0, 3);
    assert.equal((await migrate(db, TRACKING_SCHEMA, legacy)).length, legacy.length);
    await recordAsLegacyRunner(db, TRACKING_SCHEMA, ['001_event_store', '002_projections', '003_stream_state_version']);
    assert.deepEqual(await migrate(db, TRACKING_SCHEMA, trackingMigrations), [
      'TrackingMetricsByTimestamp1796630000000',
      'TrackingKeyValueStatistics1796640000000',
      'TrackingEventPayloadsAsJson1796720000000',
      'TrackingCoveringSearchIndexes1796810000000',
    ]);
    assert.deepEqual(await migrate(db, TRACKING_SCHEMA, trackingMigrations), []);
    const { rows } = await db.query(`SELECT name FROM ${TRACKING_SCHEMA}.typeorm_migrations`);
    assert.equal(rows.length, trackingMigrations.length);
    const { rows: key } = await db.query<{ definition: string }>(
      `SELECT pg_get_indexdef(indexrelid) AS definition FROM pg_index
       WHERE indrelid = '${TRACKING_SCHEMA}.metrics'::regclass AND indisprimary`,
    );
    assert.match(key[0].definition, /\(run_key, key_id, ts, step, value\)/);
    const { rows: payload } = await db.query<{ type: string; compression: string }>(
      `SELECT format_type(atttypid, atttypmod) AS type, attcompression::text AS compression FROM pg_attribute
       WHERE attrelid = '${TRACKING_SCHEMA}.events'::regclass AND attname = 'data'`,
    );
    assert.deepEqual(payload, [{ type: 'json', compression: 'l' }], 'payloads kept as text, lz4-compressed');
  });
});
