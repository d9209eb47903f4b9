import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { Database, PgliteDatabase } from './database';
import {
  EmbeddedDatabaseOptions,
  EmbeddedPostgresDatabase,
  openEmbeddedDatabase,
  startEmbeddedPostgres,
} from './embedded-postgres';

const OPTIONS: EmbeddedDatabaseOptions = {
  choice: 'auto',
  durability: 'full',
  sharedBuffersMb: 16,
  maxConnections: 4,
  idleInTransactionTimeoutMs: 60_000,
};

const MODULE = join(__dirname, 'embedded-postgres.js');

/** A script for `node -e` that opens the embedded database in argv[1], writes a row, says so, and stays open. */
const HOLD_OPEN = `
const { openEmbeddedDatabase } = require(${JSON.stringify(MODULE)});
openEmbeddedDatabase(process.argv[1], ${JSON.stringify(OPTIONS)}).then(async ({ db }) => {
  await db.query("CREATE TABLE IF NOT EXISTS notes (body text)");
  await db.query("INSERT INTO notes VALUES ('written before the kill')");
  console.log('open ' + db.serverPid);
  setInterval(() => {}, 1 << 30);
});
`;

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitUntil(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((done) => setTimeout(done, 50));
  }
}

const notes = async (db: Database) =>
  (await db.query<{ body: string }>('SELECT body FROM notes')).rows.map((r) => r.body);

describe('embedded database (native Postgres)', () => {
  const root = mkdtempSync(join(tmpdir(), 'logbook-embedded-pg-'));
  // mkdtemp makes the folder 0700: run by root, the server's user (nobody) could not reach it.
  chmodSync(root, 0o755);
  after(() => rmSync(root, { recursive: true, force: true }));

  it('keeps what was written across a restart, and refuses a second process the same folder meanwhile', async () => {
    const dir = join(root, 'restart');
    const first = await openEmbeddedDatabase(dir, OPTIONS);
    assert.equal(first.engine, 'postgres');
    await first.db.query('CREATE TABLE notes (body text)');
    await first.db.query("INSERT INTO notes VALUES ('kept')");
    await assert.rejects(openEmbeddedDatabase(dir, OPTIONS), /in use by another process/);
    await first.db.close();
    assert.equal(existsSync(join(dir, 'postgres', 'postmaster.pid')), false, 'the server stopped with the database');

    const second = await openEmbeddedDatabase(dir, OPTIONS);
    try {
      assert.equal(second.engine, 'postgres');
      assert.deepEqual(await notes(second.db), ['kept']);
    } finally {
      await second.db.close();
    }
  });

  it('listens on no network address, and syncs commits only with full durability', async () => {
    for (const durability of ['full', 'fast'] as const) {
      const { db } = await openEmbeddedDatabase(join(root, `durability-${durability}`), { ...OPTIONS, durability });
      try {
        const settings = await db.query<{ name: string; setting: string }>(
          "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'listen_addresses', 'shared_buffers') ORDER BY name",
        );
        assert.deepEqual(
          Object.fromEntries(settings.rows.map((r) => [r.name, r.setting])),
          { fsync: durability === 'full' ? 'on' : 'off', listen_addresses: '', shared_buffers: '2048' },
          '16 MB of shared buffers are 2048 pages of 8 kB',
        );
      } finally {
        await db.close();
      }
    }
  });

  it('stops its server when the process holding it is killed, and the next start finds every acknowledged row', async () => {
    const dir = join(root, 'killed');
    const child = spawn(process.execPath, ['-e', HOLD_OPEN, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let serverPid = 0;
    for await (const line of createInterface({ input: child.stdout! })) {
      const match = /^open (\d+)$/.exec(line);
      if (match) {
        serverPid = Number(match[1]);
        break;
      }
    }
    assert.ok(serverPid > 0, 'the child opened the database');
    child.kill('SIGKILL');
    await waitUntil(() => !isAlive(serverPid));

    const { db } = await openEmbeddedDatabase(dir, OPTIONS);
    try {
      assert.deepEqual(await notes(db), ['written before the kill']);
    } finally {
      await db.close();
    }
  });

  it('stops a server left running on the cluster before starting its own', async () => {
    const dir = join(root, 'leftover');
    mkdirSync(dir);
    const leftover = await startEmbeddedPostgres(dir, OPTIONS);
    const replacement = await startEmbeddedPostgres(dir, OPTIONS);
    try {
      assert.equal(isAlive(leftover.pid), false, 'the leftover server was stopped');
      assert.notEqual(replacement.pid, leftover.pid);
      const pidFile = readFileSync(join(dir, 'postgres', 'postmaster.pid'), 'utf8');
      assert.equal(Number(pidFile.split('\n')[0]), replacement.pid);
    } finally {
      await replacement.stop();
    }
  });

  it('keeps opening a PGlite database a data folder already holds, unless told to use the native server', async () => {
    const dir = join(root, 'pglite');
    mkdirSync(join(dir, 'pg'), { recursive: true });
    const pglite = await PgliteDatabase.open(join(dir, 'pg'));
    await pglite.query('CREATE TABLE notes (body text)');
    await pglite.query("INSERT INTO notes VALUES ('from PGlite')");
    await pglite.close();

    const opened = await openEmbeddedDatabase(dir, OPTIONS);
    try {
      assert.equal(opened.engine, 'pglite');
      assert.deepEqual(await notes(opened.db), ['from PGlite']);
    } finally {
      await opened.db.close();
    }
    await assert.rejects(
      openEmbeddedDatabase(dir, { ...OPTIONS, choice: 'postgres' }),
      /holds a PGlite database .* LOGBOOK_EMBEDDED_DATABASE=pglite/,
    );
    assert.equal(existsSync(join(dir, 'postgres')), false, 'the refused start made no cluster');
  });

  const asRoot = process.getuid?.() === 0;
  it(
    'run by root, runs the server as nobody, and falls back to PGlite where nobody cannot reach the folder',
    { skip: !asRoot && 'needs root' },
    async () => {
      const { db } = await openEmbeddedDatabase(join(root, 'owner'), OPTIONS);
      try {
        const pid = (db as EmbeddedPostgresDatabase).serverPid;
        assert.equal(statSync(`/proc/${pid}`).uid, 65534, 'the server runs as nobody');
      } finally {
        await db.close();
      }

      const closed = join(root, 'closed');
      mkdirSync(closed, { mode: 0o700 });
      chmodSync(closed, 0o700);
      const fallback = await openEmbeddedDatabase(join(closed, 'data'), OPTIONS);
      try {
        assert.equal(fallback.engine, 'pglite');
        assert.match(fallback.fallback ?? '', /nobody.*cannot reach/);
      } finally {
        await fallback.db.close();
      }
      await assert.rejects(
        openEmbeddedDatabase(join(closed, 'data-2'), { ...OPTIONS, choice: 'postgres' }),
        /nobody.*cannot reach/,
      );
    },
  );
});
