import { eventStoreSchema, streamStateVersionSchema } from '@logbook/eventstore';
import { SqlMigration } from '@logbook/platform';

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
