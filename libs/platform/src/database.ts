import { execFile } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { EventEmitter } from 'node:events';
import { promisify } from 'node:util';
import { Client, escapeLiteral, types } from 'pg';
import { DataSource, EntityManager, QueryResult as TypeOrmQueryResult, QueryRunner } from 'typeorm';
import { lockDataDir } from './data-dir-lock';
import { pgliteDriver } from './pglite-driver';

const INT8_OID = 20;

/**
 * int8 (bigint) columns carry timestamps, steps and counts. Writes are held to the doubles' exact range,
 * but a row written before that rule (or by hand) may hold more: it reads as its exact decimal string,
 * which protobuf JSON accepts for int64, rather than as a BigInt that no JSON answer could serialize.
 */
export function parseInt8(text: string): number | string {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : text;
}

// TypeORM's postgres driver loads this same pg module, so the DataSource's pool reads int8 this way too.
types.setTypeParser(INT8_OID, parseInt8);
const PARSERS = { [INT8_OID]: parseInt8 };

/** Postgres unique_violation: a concurrent writer won the race for a unique key. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === '23505';
}

export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<Row>>;
}

/** A transaction: set-based SQL through `query`, and TypeORM's entities and repositories through `manager`, committing together. */
export interface Transaction extends Queryable {
  readonly manager: EntityManager;
  /**
   * `query` through a statement its session prepares once, with the parameters written into its text: the
   * plan is made for these values at the first run and reused by the next runs of the same statement and
   * values, where `query` plans every time. For a read run again and again (a search) whose planning is a
   * good part of its cost.
   */
  queryPrepared<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<Row>>;
}

/**
 * The one seam between Logbook and Postgres. Both implementations sit on a TypeORM DataSource: a pg
 * pool against a real server (distributed shape, tests) and PGlite in-process (embedded shape).
 */
export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T>;
  /** The DataSource underneath, connected: for entities, repositories and the migration runner. */
  dataSource(): Promise<DataSource>;
  /**
   * A connection of its own, outside the pool, for what lives as long as a session (advisory locks).
   * Absent where one process owns the whole database (PGlite).
   */
  openSession?(): Promise<DatabaseSession>;
  close(): Promise<void>;
}

/** One server session; `ended` resolves when it is gone, whether closed, terminated or cut off. */
export interface DatabaseSession extends Queryable {
  readonly ended: Promise<void>;
  close(): Promise<void>;
}

/**
 * Default of LOGBOOK_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS. Every relay in the cluster reads only below
 * the oldest running transaction, so one session left idle inside a transaction stalls them all;
 * Postgres ends Logbook's own such sessions after this long.
 */
export const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

/** Queries and transactions through the DataSource's query runners, whose connections come from its pool. */
abstract class DataSourceDatabase implements Database {
  abstract readonly kind: 'postgres' | 'pglite';

  protected constructor(protected readonly source: DataSource) {}

  abstract dataSource(): Promise<DataSource>;

  async query<Row>(sql: string, params?: unknown[]): Promise<QueryResult<Row>> {
    const runner = (await this.dataSource()).createQueryRunner();
    try {
      return await queryThrough<Row>(runner, sql, params);
    } finally {
      await runner.release();
    }
  }

  async transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const runner = (await this.dataSource()).createQueryRunner();
    const connection = (await runner.connect()) as EventEmitter;
    // The server can end a session mid-transaction (the idle-in-transaction timeout, a restart): the
    // query runner then drops the connection and refuses further queries; the server's reason is the error.
    let lost: Error | undefined;
    const onError = (error: Error) => (lost = error);
    connection.on('error', onError);
    try {
      await runner.startTransaction();
      const statements = preparedStatementsOf(connection);
      const result = await work({
        manager: runner.manager,
        query: <Row>(sql: string, params?: unknown[]) => queryThrough<Row>(runner, sql, params),
        queryPrepared: <Row>(sql: string, params?: unknown[]) => {
          const text = withParameters(sql, params ?? []);
          return text === undefined ? queryThrough<Row>(runner, sql, params) : statements.run<Row>(runner, text);
        },
      });
      await runner.commitTransaction();
      return result;
    } catch (error) {
      if (runner.isTransactionActive && !runner.isReleased) await runner.rollbackTransaction().catch(() => undefined);
      throw lost ?? error;
    } finally {
      connection.off('error', onError);
      await runner.release();
    }
  }

  async close(): Promise<void> {
    if (this.source.isInitialized) await this.source.destroy();
  }
}

async function queryThrough<Row>(runner: QueryRunner, sql: string, params?: unknown[]): Promise<QueryResult<Row>> {
  const result = (await runner.query(sql, params, true)) as TypeOrmQueryResult;
  return { rows: (result.records ?? []) as Row[], rowCount: result.affected ?? 0 };
}

/** How many prepared statements a session keeps; the least recently run is deallocated for a new one. */
export const PREPARED_STATEMENTS_PER_SESSION = 64;

/** Prepared statements' names, unique in the process, so two holders of one session never reuse a name. */
let preparedStatementsMade = 0;

/** A session's prepared statements, by their text, least recently run first. */
class PreparedStatements {
  private readonly names = new Map<string, string>();

  async run<Row>(runner: QueryRunner, text: string): Promise<QueryResult<Row>> {
    let name = this.names.get(text);
    if (name === undefined) {
      if (this.names.size >= PREPARED_STATEMENTS_PER_SESSION) {
        const [[oldestText, oldest]] = this.names;
        await queryThrough(runner, `DEALLOCATE ${oldest}`);
        this.names.delete(oldestText);
      }
      name = `logbook_prepared_${++preparedStatementsMade}`;
      // PREPARE and DEALLOCATE are not undone by a rollback, so the map follows the session, not the transaction.
      await queryThrough(runner, `PREPARE ${name} AS ${text}`);
    } else this.names.delete(text);
    this.names.set(text, name);
    return queryThrough<Row>(runner, `EXECUTE ${name}`);
  }
}

const preparedBySession = new WeakMap<object, PreparedStatements>();

/** The prepared statements of the session behind a pooled connection (one object per session, as pools keep). */
function preparedStatementsOf(connection: object): PreparedStatements {
  let statements = preparedBySession.get(connection);
  if (!statements) preparedBySession.set(connection, (statements = new PreparedStatements()));
  return statements;
}

/**
 * `sql` with each `$n` replaced by its value as a quoted literal of the text pg would send for it: Postgres
 * types an untyped literal from its context as it types an untyped parameter, so the statement means the same.
 * Undefined for a value only a parameter can carry (a NUL, which ends a query's text, or a buffer or object).
 */
function withParameters(sql: string, params: unknown[]): string | undefined {
  const literals = params.map(literal);
  if (literals.some((text) => text === undefined)) return undefined;
  return sql.replace(/\$(\d+)\b/g, (placeholder, index: string) => literals[Number(index) - 1] ?? placeholder);
}

function literal(value: unknown): string | undefined {
  if (value === null || value === undefined) return 'NULL';
  const text = parameterText(value);
  return text === undefined || text.includes('\0') ? undefined : escapeLiteral(text);
}

function parameterText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (!Array.isArray(value)) return undefined;
  const elements: string[] = [];
  for (const element of value as unknown[]) {
    if (element === null || element === undefined) elements.push('NULL');
    else if (Array.isArray(element)) return undefined;
    else {
      const text = parameterText(element);
      if (text === undefined) return undefined;
      elements.push(`"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
    }
  }
  return `{${elements.join(',')}}`;
}

export class PostgresDatabase extends DataSourceDatabase {
  readonly kind = 'postgres' as const;
  private connecting: Promise<DataSource> | undefined;

  /** `idleInTransactionTimeoutMs`: 0 leaves the server's setting. Connects on first use, so a database still starting can be waited for. */
  constructor(
    private readonly connectionString: string,
    maxConnections = 10,
    idleInTransactionTimeoutMs = DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  ) {
    super(
      new DataSource({
        type: 'postgres',
        url: connectionString,
        poolSize: maxConnections,
        extra: { idle_in_transaction_session_timeout: idleInTransactionTimeoutMs },
        // An idle connection the server closed (restart, failover) is replaced on next use, not fatal.
        poolErrorHandler: () => undefined,
        logging: false,
      }),
    );
  }

  dataSource(): Promise<DataSource> {
    if (this.source.isInitialized) return Promise.resolve(this.source);
    // A failed attempt is forgotten, so the next use (the wait for the database) tries again.
    this.connecting ??= this.source.initialize().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  async openSession(): Promise<DatabaseSession> {
    // A peer that vanished without closing the connection: keepAlive lets the operating system notice,
    // and a query that gets no answer fails after query_timeout instead of waiting forever.
    const client = new Client({
      connectionString: this.connectionString,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      query_timeout: 10_000,
    });
    const ended = new Promise<void>((resolve) => {
      client.on('error', () => resolve());
      client.on('end', () => resolve());
    });
    await client.connect();
    return {
      ended,
      query: async <Row>(sql: string, params?: unknown[]) => {
        const r = await client.query(sql, params as unknown[]);
        return { rows: r.rows as Row[], rowCount: r.rowCount ?? 0 };
      },
      close: () => client.end().catch(() => undefined),
    };
  }

  override async close(): Promise<void> {
    await this.connecting?.catch(() => undefined);
    await super.close();
  }
}

type PgliteModule = typeof import('@electric-sql/pglite');
type PGliteInstance = import('@electric-sql/pglite').PGlite;
type Filesystem = NonNullable<import('@electric-sql/pglite').PGliteOptions['fs']>;
type EmscriptenModule = Parameters<Filesystem['init']>[1];

/**
 * `full`: a write is acknowledged once its WAL is fsynced to the disk, so it survives a power loss.
 * `fast`: PGlite's own default (fsync off): a write survives the process crashing, not the machine.
 */
export type EmbeddedDurability = 'full' | 'fast';
export const EMBEDDED_DURABILITIES: readonly EmbeddedDurability[] = ['full', 'fast'];

/**
 * The Postgres settings of each durability. Emscripten's fdatasync() does nothing, so the WAL is synced with
 * fsync(), which reaches the disk through the operation `addFsync` supplies.
 */
const DURABILITY_SETTINGS: Record<EmbeddedDurability, string[]> = {
  full: ['fsync=on', 'synchronous_commit=on', 'wal_sync_method=fsync'],
  fast: ['fsync=off'],
};

/** How often the embedded database looks for tables to vacuum or whose planner statistics are out of date. */
export const EMBEDDED_MAINTENANCE_INTERVAL_MS = 30_000;

/**
 * The tables autovacuum would vacuum or analyze, by its default thresholds. Vacuumed: over 50 rows + 20% dead,
 * or 1,000 rows + 20% inserted since the last VACUUM, or over 128 pages + 20% not known all-visible (PGlite keeps
 * no activity counts from one opening to the next; the visibility map stays). Analyzed: changed by more than 50
 * rows + 10% since the last ANALYZE, or not analyzed since the database opened.
 */
const STALE_TABLES = `SELECT format('%I.%I', s.schemaname, s.relname) AS name,
    s.n_dead_tup > 50 + 0.2 * greatest(c.reltuples, 0)
      OR s.n_ins_since_vacuum > 1000 + 0.2 * greatest(c.reltuples, 0)
      OR c.relpages - c.relallvisible > 128 + 0.2 * c.relpages AS vacuum,
    s.last_analyze IS NULL OR s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0) AS analyze
  FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid`;

/**
 * Default of LOGBOOK_EMBEDDED_SHARED_BUFFERS_MB. PGlite's own 128 MB is resident from the start (the buffers are
 * zeroed when Postgres starts); pages beyond the buffers stay in the operating system's file cache, which the
 * process's memory does not count.
 */
export const DEFAULT_EMBEDDED_SHARED_BUFFERS_MB = 16;

export class PgliteDatabase extends DataSourceDatabase {
  readonly kind = 'pglite' as const;
  /**
   * PGlite runs no autovacuum: without ANALYZE its planner never learns a table's size or its values' frequencies
   * and plans every query as if the tables were empty (a search over 100,000 runs then visits each of them);
   * without VACUUM no page is ever marked all-visible, so an index-only scan still reads every row's page, and
   * dead rows (a run's latest metrics, replaced as it logs) are never reclaimed.
   */
  private readonly maintenanceTimer: NodeJS.Timeout;
  private maintaining: Promise<void> | undefined;

  private constructor(
    source: DataSource,
    private readonly db: PGliteInstance,
    private readonly releaseLock: () => void,
  ) {
    super(source);
    this.maintenanceTimer = setInterval(
      () => void this.maintainStaleTables(),
      EMBEDDED_MAINTENANCE_INTERVAL_MS,
    ).unref();
    setImmediate(() => void this.maintainStaleTables());
  }

  /**
   * VACUUM and/or ANALYZE of each table that needs it, one table at a time, since the database serves one
   * statement at a time and a whole-database pass would hold every query up for its length. A VACUUM skips the
   * pages already all-visible, so it costs about what changed since the last one.
   */
  maintainStaleTables(): Promise<void> {
    this.maintaining ??= (async () => {
      try {
        // The session reports its changes to the activity counts when idle, at most once a second unless asked.
        await this.query('SELECT pg_stat_force_next_flush()');
        const { rows } = await this.query<{ name: string; vacuum: boolean; analyze: boolean }>(STALE_TABLES);
        for (const { name, vacuum, analyze } of rows) {
          if (vacuum) await this.query(`VACUUM ${analyze ? '(ANALYZE) ' : ''}${name}`);
          else if (analyze) await this.query(`ANALYZE ${name}`);
        }
      } catch {
        // A table dropped meanwhile, or the database closing: the next round looks again.
      } finally {
        this.maintaining = undefined;
      }
    })();
    return this.maintaining;
  }

  /**
   * Opens (creating if needed) the database in `dataDir`, or an in-memory one without it. PGlite itself does not stop a second
   * process from opening the same folder, which corrupts it, so the folder is locked to this process.
   */
  static async open(
    dataDir: string | undefined,
    durability: EmbeddedDurability = 'full',
    sharedBuffersMb = DEFAULT_EMBEDDED_SHARED_BUFFERS_MB,
  ): Promise<PgliteDatabase> {
    if (dataDir === undefined) {
      const { PGlite } = await importPglite();
      return PgliteDatabase.connect(new PGlite({ parsers: PARSERS }), () => undefined);
    }
    const releaseLock = await lockDataDir(dataDir);
    try {
      if (!existsSync(join(dataDir, 'PG_VERSION'))) {
        await createCluster(dataDir);
        if (durability === 'full') syncNewDatabase(dataDir);
      }
      const { PGlite } = await importPglite();
      const db = new PGlite({
        parsers: PARSERS,
        fs: await syncingNodeFs(dataDir),
        startParams: startParams(PGlite.defaultStartParams, durability, sharedBuffersMb),
      });
      await db.waitReady;
      return await PgliteDatabase.connect(db, releaseLock);
    } catch (error) {
      releaseLock();
      throw error;
    }
  }

  private static async connect(db: PGliteInstance, releaseLock: () => void): Promise<PgliteDatabase> {
    await db.waitReady;
    const source = new DataSource({ type: 'postgres', driver: pgliteDriver(db), logging: false });
    try {
      await source.initialize();
    } catch (error) {
      await db.close();
      throw error;
    }
    return new PgliteDatabase(source, db, releaseLock);
  }

  dataSource(): Promise<DataSource> {
    return Promise.resolve(this.source);
  }

  override async close(): Promise<void> {
    clearInterval(this.maintenanceTimer);
    await this.maintaining;
    await super.close();
    await this.db.close();
    this.releaseLock();
  }
}

/**
 * Creates the cluster in a child process (see pglite-create-cluster.ts), in a folder beside `dataDir` that
 * takes its place once complete: a creation cut short leaves no half-made cluster to be opened later.
 */
async function createCluster(dataDir: string): Promise<void> {
  const building = `${dataDir.replace(/\/+$/, '')}.new`;
  rmSync(building, { recursive: true, force: true });
  try {
    await promisify(execFile)(process.execPath, [join(__dirname, 'pglite-create-cluster.js'), building]).catch(
      (error: { stderr?: string }) => {
        throw new Error(`Could not create the embedded database in ${dataDir}: ${error.stderr?.trim() || error}`);
      },
    );
    // rename(2) replaces an empty folder (the one the caller may have made) and refuses one with files in it.
    renameSync(building, dataDir);
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
}

function startParams(defaults: string[], durability: EmbeddedDurability, sharedBuffersMb: number): string[] {
  const settings = [...DURABILITY_SETTINGS[durability], `shared_buffers=${sharedBuffersMb}MB`];
  // PGlite's defaults turn fsync off with -F; the durability's own settings decide instead.
  return [...defaults.filter((param) => param !== '-F'), ...settings.flatMap((s) => ['-c', s])];
}

// PGlite ships as ES modules only.
function importPglite(): Promise<PgliteModule> {
  return dynamicImport('@electric-sql/pglite') as Promise<PgliteModule>;
}

/** PGlite's Node filesystem for `dataDir`, with an fsync that reaches the disk. */
async function syncingNodeFs(dataDir: string): Promise<Filesystem> {
  const { NodeFS } = (await dynamicImport('@electric-sql/pglite/nodefs')) as {
    NodeFS: new (dataDir: string) => Filesystem;
  };
  class SyncingNodeFS extends NodeFS {
    override async init(pg: PGliteInstance, options: EmscriptenModule) {
      const { emscriptenOpts } = await super.init(pg, options);
      return { emscriptenOpts: { ...emscriptenOpts, preRun: [...(emscriptenOpts.preRun ?? []), addFsync] } };
    }
  }
  return new SyncingNodeFS(dataDir);
}

/** Emscripten's Node filesystem has no fsync operation, so Postgres's fsync() returned without syncing anything. */
function addFsync(module: EmscriptenModule): void {
  const nodefs = module.NODEFS as unknown as { stream_ops: { fsync?: (stream: { nfd: number }) => number } };
  nodefs.stream_ops.fsync = (stream) => {
    fsyncSync(stream.nfd);
    return 0;
  };
}

/**
 * A new database's files are written by PGlite's initdb without fsync; syncing them once means the WAL,
 * synced from then on, always has a cluster to replay onto after a power loss.
 */
function syncNewDatabase(dataDir: string): void {
  syncTree(dataDir);
  syncPath(dirname(resolve(dataDir)));
}

function syncTree(directory: string): void {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) syncTree(path);
    else if (entry.isFile()) syncPath(path);
  }
  syncPath(directory);
}

function syncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

// TypeScript compiles `import()` to `require()` under CommonJS; this keeps a real dynamic import.
const dynamicImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;
