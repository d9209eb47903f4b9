import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PgliteDatabase } from './database';

describe('embedded database (PGlite)', () => {
  const root = mkdtempSync(join(tmpdir(), 'logbook-pglite-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('keeps its data across a restart and refuses a second opener while open', async () => {
    const dir = join(root, 'pg');
    const first = await PgliteDatabase.open(dir);
    await first.query('CREATE TABLE kept (value double precision)');
    await first.transaction(async (tx) => {
      await tx.query('INSERT INTO kept SELECT unnest($1::float8[])', [[1.5, NaN, Infinity]]);
    });
    await assert.rejects(PgliteDatabase.open(dir), /in use by process/);
    await first.close();

    const second = await PgliteDatabase.open(dir);
    const { rows } = await second.query<{ value: number }>('SELECT value FROM kept ORDER BY value');
    assert.deepEqual(
      rows.map((r) => r.value),
      [1.5, Infinity, NaN],
    );
    await second.close();
  });

  it('takes over a lock left by a process that no longer runs', async () => {
    const dir = join(root, 'stale');
    writeFileSync(`${dir}.lock`, '2147483646');
    const db = await PgliteDatabase.open(dir);
    await db.close();
  });

  it('rolls back a failed transaction', async () => {
    const db = await PgliteDatabase.open(undefined);
    await db.query('CREATE TABLE t (id int PRIMARY KEY)');
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (1)');
        await tx.query('INSERT INTO t VALUES (1)');
      }),
    );
    assert.equal((await db.query('SELECT * FROM t')).rows.length, 0);
    await db.close();
  });

  it('reads an int8 beyond 2^53 as its exact decimal string, and others as numbers', async () => {
    const db = await PgliteDatabase.open(undefined);
    const { rows } = await db.query<{ big: unknown; small: unknown }>(
      'SELECT 9007199254740993::int8 AS big, (-9007199254740991)::int8 AS small',
    );
    assert.deepEqual(rows, [{ big: '9007199254740993', small: -9007199254740991 }]);
    await db.close();
  });
});
