import { EventEmitter } from 'node:events';

type PGliteInstance = import('@electric-sql/pglite').PGlite;

interface DriverResult {
  rows: unknown[];
  rowCount: number;
}

const TRANSACTION_CONTROL =
  /^(START TRANSACTION|COMMIT|ROLLBACK( TO SAVEPOINT \w+)?|SAVEPOINT \w+|RELEASE SAVEPOINT \w+)$/;

type QueryCallback = (error: Error | null, result?: DriverResult) => void;
type ConnectCallback = (error: Error | undefined, client?: PgliteConnection, release?: (error?: Error) => void) => void;

/**
 * What TypeORM's postgres driver needs of the `pg` module (a Pool), over one PGlite instance the caller
 * opened with its own filesystem, durability and data-dir lock.
 *
 * PGlite is one session. Its own lock covers a single query, while TypeORM runs a transaction as
 * separate statements on a connection it holds; so a connection here is the whole session, held
 * exclusively from `connect` to `release`, and two transactions never interleave their statements.
 */
export function pgliteDriver(db: PGliteInstance): { Pool: new () => PglitePool } {
  const session = new SessionLock();
  return {
    Pool: class extends PglitePool {
      constructor() {
        super(db, session);
      }
    },
  };
}

class SessionLock {
  private tail: Promise<void> = Promise.resolve();

  /** Resolves with the release once every earlier holder has released. */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const acquired = this.tail.then(() => release);
    this.tail = this.tail.then(() => released);
    return acquired;
  }
}

class PglitePool extends EventEmitter {
  /** The one session, as one connection object: what a session keeps (prepared statements) is found by it. */
  private readonly connection: PgliteConnection;

  constructor(
    db: PGliteInstance,
    private readonly session: SessionLock,
  ) {
    super();
    this.connection = new PgliteConnection(db);
  }

  connect(callback: ConnectCallback): void {
    this.session.acquire().then(
      (release) => callback(undefined, this.connection, release),
      (error: Error) => callback(error),
    );
  }

  /** The instance is closed by its owner, after the DataSource. */
  end(callback?: (error?: Error) => void): void {
    callback?.();
  }
}

class PgliteConnection extends EventEmitter {
  constructor(private readonly db: PGliteInstance) {
    super();
  }

  query(sql: string, params?: unknown[]): Promise<DriverResult>;
  query(sql: string, callback: QueryCallback): void;
  query(sql: string, paramsOrCallback?: unknown[] | QueryCallback): Promise<DriverResult> | void {
    if (typeof paramsOrCallback === 'function') {
      this.run(sql).then(
        (result) => paramsOrCallback(null, result),
        (error: Error) => paramsOrCallback(error),
      );
      return;
    }
    return this.run(sql, paramsOrCallback);
  }

  private async run(sql: string, params?: unknown[]): Promise<DriverResult> {
    // TypeORM's BEGIN, COMMIT and savepoints through the extended protocol double an embedded transaction's
    // time; the simple protocol (what PGlite's own transactions use) costs what a raw PGlite transaction does.
    if (params === undefined && TRANSACTION_CONTROL.test(sql)) {
      await this.db.exec(sql);
      return { rows: [], rowCount: 0 };
    }
    const result = await this.db.query(sql, params);
    return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
  }
}
