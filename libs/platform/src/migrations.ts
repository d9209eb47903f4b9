import { DataSource, Migration, MigrationExecutor, MigrationInterface, QueryRunner } from 'typeorm';
import { Database } from './database';

/** What a migration's own step (beyond its SQL) may do with the database: query it, in the migration's transaction. */
export type MigrationQueries = Pick<QueryRunner, 'query'>;

/**
 * A migration of plain SQL, kept in the service's migrations/ folder. Its class name ends with the
 * millisecond timestamp that orders it (TypeORM's convention); `legacyId` is the id under which the
 * hand-written runner TypeORM replaced recorded it, for migrations that predate TypeORM.
 */
export abstract class SqlMigration implements MigrationInterface {
  protected constructor(
    private readonly sql: string,
    readonly legacyId?: string,
  ) {}

  async up(runner: MigrationQueries): Promise<void> {
    for (const statement of splitStatements(this.sql)) await runner.query(statement);
  }

  async down(): Promise<void> {
    throw new Error(`${this.constructor.name}: Logbook's migrations only go forward`);
  }
}

/** The table, in the service's own schema, where TypeORM records the migrations it ran there. */
export const MIGRATIONS_TABLE = 'typeorm_migrations';

/**
 * Applies the service's pending migrations in order, all in one transaction, under an advisory lock so
 * that several replicas starting together do not race. Returns the names of those it applied.
 */
export async function migrate(db: Database, schema: string, migrations: SqlMigration[]): Promise<string[]> {
  const dataSource = await db.dataSource();
  const runner = dataSource.createQueryRunner();
  try {
    await runner.startTransaction();
    await runner.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`logbook-migrate-${schema}`]);
    await runner.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await runner.query(`SET LOCAL search_path TO ${schema}, public`);
    const applied = await new SchemaMigrationExecutor(
      dataSource,
      runner,
      schema,
      migrations,
    ).executePendingMigrations();
    await runner.commitTransaction();
    return applied.map((migration) => migration.name);
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw error;
  } finally {
    await runner.release();
  }
}

/**
 * TypeORM's migration runner, keeping its record in `<schema>.typeorm_migrations` rather than in one
 * table per DataSource: in the embedded shape every service shares one DataSource, each with its own
 * schema and migrations.
 */
class SchemaMigrationExecutor extends MigrationExecutor {
  private readonly table: string;

  constructor(
    dataSource: DataSource,
    runner: QueryRunner,
    private readonly schema: string,
    private readonly migrations: SqlMigration[],
  ) {
    super(dataSource, runner);
    this.transaction = 'all';
    this.table = `${schema}.${MIGRATIONS_TABLE}`;
  }

  protected override getMigrations(): Migration[] {
    const migrations = this.migrations.map((instance) => {
      const name = instance.constructor.name;
      if (!/\d{13}$/.test(name))
        throw new Error(`migration ${name}: its class name must end with a 13-digit timestamp`);
      return new Migration(undefined, Number(name.slice(-13)), name, instance);
    });
    this.checkForDuplicateMigrations(migrations);
    return migrations.sort((a, b) => a.timestamp - b.timestamp);
  }

  protected override async createMigrationsTableIfNotExist(runner: QueryRunner): Promise<void> {
    const [{ exists }] = (await runner.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [this.table])) as {
      exists: boolean;
    }[];
    if (exists) return;
    await runner.query(
      `CREATE TABLE ${this.table} (id serial PRIMARY KEY, timestamp bigint NOT NULL, name varchar NOT NULL)`,
    );
    await this.adoptLegacyRecord(runner);
  }

  /** A schema the hand-written runner migrated: what it recorded as applied is recorded here, not run again. */
  private async adoptLegacyRecord(runner: QueryRunner): Promise<void> {
    const [{ legacy }] = (await runner.query(`SELECT to_regclass($1) IS NOT NULL AS legacy`, [
      `${this.schema}.migrations`,
    ])) as { legacy: boolean }[];
    if (!legacy) return;
    const rows = (await runner.query(`SELECT id FROM ${this.schema}.migrations`)) as { id: string }[];
    const appliedIds = new Set(rows.map((row) => row.id));
    for (const migration of this.getMigrations()) {
      const { legacyId } = migration.instance as SqlMigration;
      if (legacyId !== undefined && appliedIds.has(legacyId)) await this.insertExecutedMigration(runner, migration);
    }
  }

  protected override async loadExecutedMigrations(runner: QueryRunner): Promise<Migration[]> {
    const rows = (await runner.query(`SELECT id, timestamp, name FROM ${this.table} ORDER BY id DESC`)) as {
      id: number;
      timestamp: number;
      name: string;
    }[];
    return rows.map((row) => new Migration(row.id, row.timestamp, row.name));
  }

  protected override async insertExecutedMigration(runner: QueryRunner, migration: Migration): Promise<void> {
    await runner.query(`INSERT INTO ${this.table} (timestamp, name) VALUES ($1, $2)`, [
      migration.timestamp,
      migration.name,
    ]);
  }
}

// PGlite's extended protocol takes one statement per query; migrations keep `;` at line ends only.
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
