import { Database } from './database';

export interface Migration {
  id: string;
  sql: string;
}

/**
 * Applies the service's migrations in order, each once, under an advisory lock so that several
 * replicas starting together do not race. Migrations are plain SQL kept in the service's
 * migrations/ folder.
 */
export async function migrate(db: Database, schema: string, migrations: Migration[]): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`logbook-migrate-${schema}`]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set((await tx.query<{ id: string }>(`SELECT id FROM ${schema}.migrations`)).rows.map((r) => r.id));
    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.id)) continue;
      await tx.query(`SET LOCAL search_path TO ${schema}, public`);
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query(`INSERT INTO ${schema}.migrations (id) VALUES ($1)`, [migration.id]);
      applied.push(migration.id);
    }
    return applied;
  });
}

// PGlite's extended protocol takes one statement per query; migrations keep `;` at line ends only.
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
