import { eventStoreSchema, streamStateVersionSchema } from '@logbook/eventstore';
import { Database, SqlMigration } from '@logbook/platform';

class TestEventStore1700000000001 extends SqlMigration {
  constructor(schema: string) {
    super(eventStoreSchema(schema));
  }
}

class TestStreamStateVersion1700000000002 extends SqlMigration {
  constructor(schema: string) {
    super(streamStateVersionSchema(schema));
  }
}

class TestTables1700000000003 extends SqlMigration {
  constructor(sql: string) {
    super(sql);
  }
}

/** A test service's migrations: the event store's tables in `schema`, then `tablesSql` when given. */
export function eventStoreMigrations(schema: string, tablesSql?: string): SqlMigration[] {
  return [
    new TestEventStore1700000000001(schema),
    new TestStreamStateVersion1700000000002(schema),
    ...(tablesSql === undefined ? [] : [new TestTables1700000000003(tablesSql)]),
  ];
}

/**
 * Leaves a migrated `schema` as the hand-written runner TypeORM replaced would have: the ids it applied
 * in `<schema>.migrations`, and no record of TypeORM's.
 */
export async function recordAsLegacyRunner(db: Database, schema: string, appliedIds: string[]): Promise<void> {
  await db.query(`DROP TABLE ${schema}.typeorm_migrations`);
  await db.query(
    `CREATE TABLE ${schema}.migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
  );
  await db.query(`INSERT INTO ${schema}.migrations (id) SELECT unnest($1::text[])`, [appliedIds]);
}
