import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testInfra } from '@logbook/testing';
import { Database, PgliteDatabase, PostgresDatabase, PREPARED_STATEMENTS_PER_SESSION } from './database';

const SQL = `SELECT $1::text AS text, $2::float8 AS number, $3::text[] AS list, $4::bigint[] AS ids, $5 AS untyped,
  $6::int AS n, $7::text AS missing`;

const TEXTS = ["it's", 'back\\slash', "both \\' and '", 'quote"d', '', 'ünïcødé ✓', '$1', '--', "'; SELECT 1; --"];

const prepared = async (db: Database) =>
  db.transaction(async (tx) => {
    const { rows } = await tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'logbook_prepared_%'`,
    );
    return rows[0].n;
  });

function checks(open: () => Promise<Database>) {
  it('answers as the same statement with parameters would, for strings, numbers, arrays and nulls', async () => {
    const db = await open();
    try {
      for (const text of TEXTS) {
        const params = [text, 0.1, ['a"b', 'c\\d', "e'f", null, text], ['1', '-9007199254740993'], text, 7, null];
        const [direct, viaPrepared] = await db.transaction(async (tx) => [
          (await tx.query(SQL, params)).rows,
          (await tx.queryPrepared(SQL, params)).rows,
        ]);
        assert.deepEqual(viaPrepared, direct, JSON.stringify(text));
      }
      for (const number of [-0, 1e21, -1.5e-300, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER]) {
        const params = ['x', number, [], [], number, 1, null];
        const [direct, viaPrepared] = await db.transaction(async (tx) => [
          (await tx.query(SQL, params)).rows,
          (await tx.queryPrepared(SQL, params)).rows,
        ]);
        assert.deepEqual(viaPrepared, direct, String(number));
      }
    } finally {
      await db.close();
    }
  });

  it('prepares a statement once per session and its values, and keeps a bounded number', async () => {
    const db = await open();
    try {
      const before = await prepared(db);
      for (let run = 0; run < 3; run++) {
        await db.transaction((tx) => tx.queryPrepared('SELECT $1::int AS n', [1]));
      }
      assert.equal(await prepared(db), before + 1, 'the same text and values: one statement');
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.queryPrepared('SELECT $1::int AS n', [2]);
          throw new Error('rolled back');
        }),
        /rolled back/,
      );
      const { rows } = await db.transaction((tx) => tx.queryPrepared<{ n: number }>('SELECT $1::int AS n', [2]));
      assert.deepEqual(rows, [{ n: 2 }], 'a statement prepared in a rolled-back transaction is still there');
      for (let n = 0; n < PREPARED_STATEMENTS_PER_SESSION + 10; n++) {
        await db.transaction((tx) => tx.queryPrepared('SELECT $1::int AS n', [n + 100]));
      }
      assert.equal(await prepared(db), PREPARED_STATEMENTS_PER_SESSION, 'the least recently run are deallocated');
    } finally {
      await db.close();
    }
  });

  it('leaves a value only a parameter can carry to a parameter', async () => {
    const db = await open();
    try {
      const before = await prepared(db);
      const outcome = (run: Promise<unknown>) =>
        run.then(
          () => 'answered',
          (error: Error) => error.message,
        );
      const [direct, viaPrepared] = await Promise.all([
        outcome(db.transaction((tx) => tx.query('SELECT $1::text AS text', ['a\0b']))),
        outcome(db.transaction((tx) => tx.queryPrepared('SELECT $1::text AS text', ['a\0b']))),
      ]);
      assert.equal(viaPrepared, direct);
      assert.equal(await prepared(db), before, 'nothing prepared');
    } finally {
      await db.close();
    }
  });
}

describe('prepared statements, embedded (PGlite)', () => checks(() => PgliteDatabase.open(undefined)));

describe('prepared statements, Postgres (one pooled session)', () =>
  checks(() => Promise.resolve(new PostgresDatabase(testInfra().databaseUrl, 1))));
