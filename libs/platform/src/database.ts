import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Pool, PoolClient, types } from 'pg';

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

types.setTypeParser(INT8_OID, parseInt8);

export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<Row>>;
}

/**
 * The one seam between Logbook and Postgres. Two implementations exist: a pg pool against a real
 * server (distributed shape, tests) and PGlite in-process (embedded shape).
 */
export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Default of LOGBOOK_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS. Every relay in the cluster reads only below
 * the oldest running transaction, so one session left idle inside a transaction stalls them all;
 * Postgres ends Logbook's own such sessions after this long.
 */
export const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

export class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  private readonly pool: Pool;

  /** `idleInTransactionTimeoutMs`: 0 leaves the server's setting. */
  constructor(
    connectionString: string,
    maxConnections = 10,
    idleInTransactionTimeoutMs = DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  ) {
    this.pool = new Pool({
      connectionString,
      max: maxConnections,
      idle_in_transaction_session_timeout: idleInTransactionTimeoutMs,
    });
    // An idle connection the server closed (restart, failover) is replaced on next use, not fatal.
    this.pool.on('error', () => undefined);
  }

  async query<Row>(sql: string, params?: unknown[]): Promise<QueryResult<Row>> {
    const result = await this.pool.query(sql, params as unknown[]);
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const client: PoolClient = await this.pool.connect();
    // The server can end a session mid-transaction (the idle-in-transaction timeout, a restart): pg
    // then emits 'error' on the client, which would crash the process unheard; the next query fails.
    let lost: Error | undefined;
    const onError = (error: Error) => (lost = error);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work({
        query: async <Row>(sql: string, params?: unknown[]) => {
          const r = await client.query(sql, params as unknown[]);
          return { rows: r.rows as Row[], rowCount: r.rowCount ?? 0 };
        },
      });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.off('error', onError);
      client.release(lost);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

type PGliteInstance = import('@electric-sql/pglite').PGlite;

export class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;

  private constructor(
    private readonly db: PGliteInstance,
    private readonly releaseLock: () => void,
  ) {}

  /**
   * Opens (creating if needed) the database in `dataDir`, or an in-memory one without it. PGlite itself does not stop a second
   * process from opening the same folder, which corrupts it, so the folder is locked to this process.
   */
  static async open(dataDir: string | undefined): Promise<PgliteDatabase> {
    const releaseLock = dataDir === undefined ? () => undefined : lockDataDir(dataDir);
    try {
      // PGlite ships as an ES module only.
      const { PGlite } = (await dynamicImport('@electric-sql/pglite')) as typeof import('@electric-sql/pglite');
      const db = new PGlite({ dataDir, parsers: { [INT8_OID]: parseInt8 } });
      await db.waitReady;
      return new PgliteDatabase(db, releaseLock);
    } catch (error) {
      releaseLock();
      throw error;
    }
  }

  async query<Row>(sql: string, params?: unknown[]): Promise<QueryResult<Row>> {
    const result = await this.db.query<Row>(sql, params as unknown[]);
    return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) =>
      work({
        query: async <Row>(sql: string, params?: unknown[]) => {
          const r = await tx.query<Row>(sql, params as unknown[]);
          return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
        },
      }),
    );
  }

  async close(): Promise<void> {
    await this.db.close();
    this.releaseLock();
  }
}

/** Takes `<dataDir>.lock` for this process; a lock left by a process that no longer runs is taken over. */
function lockDataDir(dataDir: string): () => void {
  const lockFile = `${dataDir.replace(/\/+$/, '')}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(lockFile, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && isRunning(owner)) {
        throw new Error(`The embedded database in ${dataDir} is in use by process ${owner}; stop it first`);
      }
      rmSync(lockFile, { force: true });
    }
  }
  throw new Error(`Could not lock the embedded database in ${dataDir}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// TypeScript compiles `import()` to `require()` under CommonJS; this keeps a real dynamic import.
const dynamicImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;
