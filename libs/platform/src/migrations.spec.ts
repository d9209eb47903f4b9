import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { dropSchema, testInfra, uniqueSchema } from '@logbook/testing';
import { PgliteDatabase, PostgresDatabase } from './database';
import { MIGRATIONS_TABLE, SqlMigration, migrate } from './migrations';

class Notes1700000000001 extends SqlMigration {
  constructor(schema: string) {
    super(
      `CREATE TABLE ${schema}.notes (id integer PRIMARY KEY);\nCREATE INDEX notes_by_id ON ${schema}.notes (id);`,
      '001_notes',
    );
  }
}

class Tags1700000000002 extends SqlMigration {
  constructor(schema: string) {
    super(`CREATE TABLE ${schema}.tags (note_id integer NOT NULL, tag text NOT NULL)`, '002_tags');
  }
}

/** Unqualified: the runner sets the schema's search path. */
class Authors1700000000003 extends SqlMigration {
  constructor() {
    super(`CREATE TABLE authors (name text PRIMARY KEY)`);
  }
}

class Broken1700000000004 extends SqlMigration {
  constructor() {
    super(`CREATE TABLE no_such_schema.broken (id integer)`);
  }
}

const migrations = (schema: string) => [
  new Notes1700000000001(schema),
  new Tags1700000000002(schema),
  new Authors1700000000003(),
];

async function tables(db: PostgresDatabase | PgliteDatabase, schema: string): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
    [schema],
  );
  return rows.map((row) => row.name);
}

describe('migrations (TypeORM migration runner, per service schema)', () => {
  const db = new PostgresDatabase(testInfra().databaseUrl, 4);
  const schemas: string[] = [];
  const schemaFor = (prefix: string) => {
    const schema = uniqueSchema(prefix);
    schemas.push(schema);
    return schema;
  };
  after(async () => {
    for (const schema of schemas) await dropSchema(db, schema);
    await db.close();
  });

  it('applies every migration of a fresh schema in timestamp order, once: running again applies nothing', async () => {
    const schema = schemaFor('mig_fresh');
    const [notes, tags, authors] = migrations(schema);
    assert.deepEqual(await migrate(db, schema, [authors, tags, notes]), [
      'Notes1700000000001',
      'Tags1700000000002',
      'Authors1700000000003',
    ]);
    assert.deepEqual(await tables(db, schema), ['authors', 'notes', 'tags', MIGRATIONS_TABLE]);
    assert.deepEqual(await migrate(db, schema, migrations(schema)), []);
    const { rows } = await db.query<{ name: string; timestamp: number }>(
      `SELECT name, timestamp FROM ${schema}.${MIGRATIONS_TABLE} ORDER BY id`,
    );
    assert.deepEqual(rows, [
      { name: 'Notes1700000000001', timestamp: 1700000000001 },
      { name: 'Tags1700000000002', timestamp: 1700000000002 },
      { name: 'Authors1700000000003', timestamp: 1700000000003 },
    ]);
  });

  it('recognises a schema the hand-written runner migrated: what it recorded is not run again', async () => {
    const schema = schemaFor('mig_legacy');
    // What the hand-written runner left after applying its first two migrations.
    await db.query(`CREATE SCHEMA ${schema}`);
    await db.query(`CREATE TABLE ${schema}.notes (id integer PRIMARY KEY)`);
    await db.query(`CREATE TABLE ${schema}.tags (note_id integer NOT NULL, tag text NOT NULL)`);
    await db.query(
      `CREATE TABLE ${schema}.migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    await db.query(`INSERT INTO ${schema}.migrations (id) VALUES ('001_notes'), ('002_tags')`);

    assert.deepEqual(await migrate(db, schema, migrations(schema)), ['Authors1700000000003']);
    assert.deepEqual(await migrate(db, schema, migrations(schema)), []);
    const { rows } = await db.query<{ name: string }>(`SELECT name FROM ${schema}.${MIGRATIONS_TABLE} ORDER BY id`);
    assert.deepEqual(
      rows.map((row) => row.name),
      ['Notes1700000000001', 'Tags1700000000002', 'Authors1700000000003'],
    );
  });

  it('has two migrators starting together apply each migration once', async () => {
    const schema = schemaFor('mig_race');
    const other = new PostgresDatabase(testInfra().databaseUrl, 2);
    try {
      const results = await Promise.all([
        migrate(db, schema, migrations(schema)),
        migrate(other, schema, migrations(schema)),
      ]);
      assert.deepEqual(
        results.map((applied) => applied.length).sort(),
        [0, 3],
        'one applied all three, the other found nothing pending',
      );
      const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.${MIGRATIONS_TABLE}`);
      assert.equal(rows[0].n, 3);
    } finally {
      await other.close();
    }
  });

  it('applies nothing when one pending migration fails: they run in one transaction', async () => {
    const schema = schemaFor('mig_fail');
    await assert.rejects(migrate(db, schema, [...migrations(schema), new Broken1700000000004()]), /no_such_schema/);
    assert.deepEqual(await tables(db, schema), []);
  });

  it('runs on the embedded database too', async () => {
    const embedded = await PgliteDatabase.open(undefined);
    try {
      assert.equal((await migrate(embedded, 'notes', migrations('notes'))).length, 3);
      assert.deepEqual(await migrate(embedded, 'notes', migrations('notes')), []);
      assert.deepEqual(await tables(embedded, 'notes'), ['authors', 'notes', 'tags', MIGRATIONS_TABLE]);
    } finally {
      await embedded.close();
    }
  });
});
