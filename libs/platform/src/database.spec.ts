import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { EmbeddedDurability, PgliteDatabase } from './database';

const DATABASE_MODULE = join(__dirname, 'database.js');

/** A script for `node -e` that opens the database in argv[1], says so with its pid, and stays open. */
const HOLD_OPEN = `
const { PgliteDatabase } = require(${JSON.stringify(DATABASE_MODULE)});
PgliteDatabase.open(process.argv[1]).then(() => { console.log('open ' + process.pid); setInterval(() => {}, 1 << 30); });
`;

/** Resolves with the pid the child reports once it holds the database open. */
async function openedBy(child: ChildProcess): Promise<number> {
  for await (const line of createInterface({ input: child.stdout! })) {
    const match = /^open (\d+)$/.exec(line);
    if (match) return Number(match[1]);
  }
  throw new Error('the child exited before opening the database');
}

function killIfRunning(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function commandWorks(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

describe('embedded database (PGlite)', () => {
  const root = mkdtempSync(join(tmpdir(), 'logbook-pglite-'));
  const children: ChildProcess[] = [];
  const holders: number[] = [];
  after(() => {
    for (const child of children) child.kill('SIGKILL');
    for (const pid of holders) killIfRunning(pid);
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps its data across a restart and refuses a second opener while open', async () => {
    const dir = join(root, 'pg');
    const first = await PgliteDatabase.open(dir);
    await first.query('CREATE TABLE kept (value double precision)');
    await first.transaction(async (tx) => {
      await tx.query('INSERT INTO kept SELECT unnest($1::float8[])', [[1.5, NaN, Infinity]]);
    });
    await assert.rejects(PgliteDatabase.open(dir), /is in use by another process \(pid \d+\); stop it first/);
    await first.close();

    const second = await PgliteDatabase.open(dir);
    const { rows } = await second.query<{ value: number }>('SELECT value FROM kept ORDER BY value');
    assert.deepEqual(
      rows.map((r) => r.value),
      [1.5, Infinity, NaN],
    );
    await second.close();
  });

  it('creates a new database in place of a creation that was cut short', async () => {
    const dir = join(root, 'interrupted');
    mkdirSync(dir);
    mkdirSync(`${dir}.new`);
    writeFileSync(join(`${dir}.new`, 'PG_VERSION'), 'half made');
    const db = await PgliteDatabase.open(dir);
    assert.deepEqual((await db.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
    await db.close();
    assert.equal(existsSync(`${dir}.new`), false);
    assert.match(readFileSync(join(dir, 'PG_VERSION'), 'utf8'), /^\d+\n$/);
  });

  it('refuses to create a database in a folder that holds other files', async () => {
    const dir = join(root, 'occupied');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'not a database');
    await assert.rejects(PgliteDatabase.open(dir), /ENOTEMPTY/);
    assert.deepEqual(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'not a database');
    assert.equal(existsSync(`${dir}.new`), false);
  });

  it('opens over a lock file left by a process that no longer runs', async () => {
    const dir = join(root, 'stale');
    writeFileSync(`${dir}.lock`, '2147483646');
    const db = await PgliteDatabase.open(dir);
    assert.deepEqual((await db.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
    await db.close();
  });

  it('refuses a second process, and restarts at once after that process is killed -9 (not yet reaped)', async () => {
    const dir = join(root, 'killed');
    // The holder's parent execs into sleep and never reaps it, so its pid stays in the process table after
    // the kill, as it does while a supervisor or PID 1 has not yet collected it.
    const parent = spawn('sh', ['-c', `"$0" -e "$1" "$2" & exec sleep 600`, process.execPath, HOLD_OPEN, dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(parent);
    const holder = await openedBy(parent);
    holders.push(holder);

    await assert.rejects(PgliteDatabase.open(dir), new RegExp(`is in use by .*\\b${holder}\\b`));
    process.kill(holder, 'SIGKILL');
    const restarted = await PgliteDatabase.open(dir);
    await restarted.close();
  });

  it('restarts after a kill of a holder that was PID 1 of its own PID namespace', async (t) => {
    if (!commandWorks('unshare', ['--pid', '--fork', '--mount-proc', 'true'])) {
      t.skip('unshare --pid --fork --mount-proc is not permitted here (needs root or user namespaces)');
      return;
    }
    const dir = join(root, 'pid1');
    // --kill-child: killing unshare kills its child, the namespace's PID 1, as a container runtime would.
    const unshare = spawn(
      'unshare',
      ['--pid', '--fork', '--mount-proc', '--kill-child', process.execPath, '-e', HOLD_OPEN, dir],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(unshare);
    assert.equal(await openedBy(unshare), 1);

    unshare.kill('SIGKILL');
    const restarted = await PgliteDatabase.open(dir);
    await restarted.close();
  });

  for (const [durability, expected] of [
    ['full', { fsync: 'on', synchronous_commit: 'on', wal_sync_method: 'fsync', shared_buffers: '16MB' }],
    ['fast', { fsync: 'off', synchronous_commit: 'on', wal_sync_method: 'fdatasync', shared_buffers: '16MB' }],
  ] as const) {
    it(`runs Postgres with the ${durability} durability settings and 16 MB of shared buffers`, async () => {
      const db = await PgliteDatabase.open(join(root, `settings-${durability}`), durability);
      const shown: Record<string, string> = {};
      for (const name of Object.keys(expected)) {
        shown[name] = (await db.query<Record<string, string>>(`SHOW ${name}`)).rows[0][name];
      }
      await db.close();
      assert.deepEqual(shown, expected);
    });
  }

  it('runs Postgres with the shared buffers it is given', async () => {
    const db = await PgliteDatabase.open(join(root, 'shared-buffers'), 'full', 48);
    assert.deepEqual((await db.query('SHOW shared_buffers')).rows, [{ shared_buffers: '48MB' }]);
    await db.close();
  });

  it('syncs a commit to the disk before acknowledging it under full durability, not under fast', async (t) => {
    if (!commandWorks('strace', ['-f', '-qq', '-e', 'trace=fsync', 'true'])) {
      t.skip('strace is not installed or may not trace here');
      return;
    }
    const syncsDuringCommit = (durability: EmbeddedDurability): string[] => {
      const trace = join(root, `strace-${durability}`);
      const script = `
        const { writeSync } = require('node:fs');
        const { PgliteDatabase } = require(${JSON.stringify(DATABASE_MODULE)});
        (async () => {
          const db = await PgliteDatabase.open(process.argv[1], process.argv[2]);
          await db.query('CREATE TABLE t (v int)');
          writeSync(1, 'commit-begins\\n');
          await db.query('INSERT INTO t VALUES (1)');
          writeSync(1, 'commit-acknowledged\\n');
          await db.close();
        })();`;
      const run = spawnSync(
        'strace',
        [
          '-f',
          '-qq',
          '-o',
          trace,
          '-e',
          'trace=fsync,fdatasync,sync_file_range,write',
          process.execPath,
          '-e',
          script,
          join(root, `traced-${durability}`),
          durability,
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
      );
      assert.equal(run.status, 0);
      const lines = readFileSync(trace, 'utf8').split('\n');
      const begin = lines.findIndex((line) => line.includes('"commit-begins\\n"'));
      const end = lines.findIndex((line) => line.includes('"commit-acknowledged\\n"'));
      assert.ok(begin >= 0 && end > begin, 'markers not found in the trace');
      return lines.slice(begin, end).filter((line) => /\b(fsync|fdatasync|sync_file_range)\(/.test(line));
    };
    // strace names the syscall, e.g. "fsync(18) = 0": the WAL file synced before the INSERT answers.
    assert.notEqual(syncsDuringCommit('full').length, 0);
    assert.deepEqual(syncsDuringCommit('fast'), []);
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

  it('rolls a nested transaction back to its savepoint and commits the rest', async () => {
    const db = await PgliteDatabase.open(undefined);
    await db.query('CREATE TABLE t (id int PRIMARY KEY)');
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO t VALUES (1)');
      await assert.rejects(
        tx.manager.transaction(async (nested) => {
          await nested.query('INSERT INTO t VALUES (2)');
          await nested.query('INSERT INTO t VALUES (2)');
        }),
      );
      await tx.manager.transaction((nested) => nested.query('INSERT INTO t VALUES (3)'));
    });
    assert.deepEqual((await db.query('SELECT id FROM t ORDER BY id')).rows, [{ id: 1 }, { id: 3 }]);
    await db.close();
  });

  it('analyzes the tables autovacuum would, since PGlite runs none: unanalyzed, or changed by over 10%', async () => {
    const db = await PgliteDatabase.open(undefined);
    await db.query('CREATE TABLE t (id int PRIMARY KEY, kind text)');
    await db.query(
      `INSERT INTO t SELECT g, CASE WHEN g % 10 = 0 THEN 'rare' ELSE 'common' END FROM generate_series(1, 1000) g`,
    );
    const planned = async () => {
      const { rows } = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT * FROM t WHERE kind = 'rare'`);
      return Number(/rows=(\d+)/.exec(rows[0]['QUERY PLAN'])?.[1]);
    };
    const reltuples = async () =>
      (await db.query<{ reltuples: number }>(`SELECT reltuples FROM pg_class WHERE relname = 't'`)).rows[0].reltuples;
    await db.maintainStaleTables();
    assert.equal(await reltuples(), 1000);
    assert.equal(await planned(), 100);
    await db.query(`INSERT INTO t SELECT g, 'rare' FROM generate_series(1001, 1040) g`);
    await db.maintainStaleTables();
    assert.equal(await reltuples(), 1000, 'under 50 rows + 10% changed: left as it was');
    await db.query(`INSERT INTO t SELECT g, 'rare' FROM generate_series(1041, 1200) g`);
    await db.maintainStaleTables();
    assert.equal(await reltuples(), 1200);
    assert.equal(await planned(), 300);
    await db.close();
  });

  it('vacuums the tables autovacuum would, so index-only scans skip the table and dead rows are reclaimed', async () => {
    const db = await PgliteDatabase.open(undefined);
    await db.query('CREATE TABLE t (id int PRIMARY KEY, kind text)');
    await db.query(`INSERT INTO t SELECT g, 'common' FROM generate_series(1, 5000) g`);
    const visibility = async () =>
      (
        await db.query<{ relpages: number; relallvisible: number }>(
          `SELECT relpages, relallvisible FROM pg_class WHERE relname = 't'`,
        )
      ).rows[0];
    const dead = async () =>
      (await db.query<{ n: number }>(`SELECT n_dead_tup::int AS n FROM pg_stat_user_tables WHERE relname = 't'`))
        .rows[0].n;
    await db.maintainStaleTables();
    const vacuumed = await visibility();
    assert.ok(vacuumed.relpages > 0);
    assert.equal(vacuumed.relallvisible, vacuumed.relpages, 'every page marked all-visible');
    await db.query('SET enable_seqscan = off');
    const { rows } = await db.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, COSTS OFF) SELECT id FROM t WHERE id BETWEEN 100 AND 4000`,
    );
    const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
    assert.match(plan, /Index Only Scan/);
    assert.match(plan, /Heap Fetches: 0/);
    await db.query(`UPDATE t SET kind = 'rare' WHERE id <= 2000`);
    await db.query('SELECT pg_stat_force_next_flush()');
    assert.equal(await dead(), 2000);
    await db.maintainStaleTables();
    assert.equal(await dead(), 0, 'over 50 rows + 20% dead: vacuumed');
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
