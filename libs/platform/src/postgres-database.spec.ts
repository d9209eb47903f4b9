import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { testInfra, uniqueSchema } from '@logbook/testing';
import { PostgresDatabase } from './database';

describe('PostgresDatabase (pg pool)', () => {
  it('has the server end its own session left idle inside a transaction, and keeps serving', async () => {
    const { databaseUrl } = testInfra();
    const observer = new PostgresDatabase(databaseUrl, 1, 0);
    const db = new PostgresDatabase(databaseUrl, 2, 200);
    const table = uniqueSchema('idle_tx');
    await observer.query(`CREATE TABLE ${table} (n integer)`);
    try {
      const sessionGone = async (pid: number) => {
        for (let polls = 0; polls < 400; polls++) {
          const { rowCount } = await observer.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
          if (rowCount === 0) return;
          await delay(50);
        }
        throw new Error(`session ${pid} still open after 20 s idle in its transaction`);
      };
      const transaction = db.transaction(async (tx) => {
        const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await tx.query(`INSERT INTO ${table} VALUES (1)`);
        // Idle inside the transaction, as a stuck caller would be, until the server has ended the session.
        await sessionGone(rows[0].pid);
        await tx.query('SELECT 1');
      });
      await assert.rejects(transaction, /terminat|idle-in-transaction|Connection/i);
      const { rows } = await observer.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
      assert.equal(rows[0].n, 0, 'nothing of the ended transaction was committed');
      assert.equal((await db.query('SELECT 1')).rowCount, 1, 'the pool replaces the ended session');
    } finally {
      await observer.query(`DROP TABLE ${table}`);
      await db.close();
      await observer.close();
    }
  });
});

describe('PostgresDatabase transactions (TypeORM query runner)', () => {
  it("gives the work TypeORM's entity manager in the same transaction, and rolls both back together", async () => {
    const db = new PostgresDatabase(testInfra().databaseUrl, 2);
    const table = uniqueSchema('manager_tx');
    await db.query(`CREATE TABLE ${table} (n integer)`);
    try {
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.query(`INSERT INTO ${table} VALUES (1)`);
          const seen = (await tx.manager.query(`SELECT count(*)::int AS n FROM ${table}`)) as { n: number }[];
          assert.equal(seen[0].n, 1, 'the manager sees the transaction it is part of');
          await tx.manager.query(`INSERT INTO ${table} VALUES (2)`);
          throw new Error('abandon');
        }),
        /abandon/,
      );
      const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
      assert.equal(rows[0].n, 0);
    } finally {
      await db.query(`DROP TABLE ${table}`);
      await db.close();
    }
  });

  it('reads an int8 beyond 2^53 as its exact decimal string, and others as numbers', async () => {
    const db = new PostgresDatabase(testInfra().databaseUrl, 1);
    try {
      const { rows } = await db.query('SELECT 9007199254740993::int8 AS big, 42::int8 AS small');
      assert.deepEqual(rows, [{ big: '9007199254740993', small: 42 }]);
      const inTransaction = await db.transaction((tx) => tx.query('SELECT (-9007199254740993)::int8 AS big'));
      assert.deepEqual(inTransaction.rows, [{ big: '-9007199254740993' }]);
    } finally {
      await db.close();
    }
  });
});
