import 'reflect-metadata';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PostgresDatabase } from '@logbook/platform';
import { createTestDatabase, testInfra } from '@logbook/testing';

const COMMAND = join(__dirname, '../../services/gateway/src/migrate.js');
const SCHEMAS = ['tracking', 'artifacts', 'registry', 'identity'];

describe('npm run migrate', () => {
  let database: { url: string; drop(): Promise<void> };
  let db: PostgresDatabase;
  const migrate = (env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, [COMMAND], {
      env: { PATH: process.env.PATH, LOG_LEVEL: 'info', LOGBOOK_MODE: 'distributed', ...env },
      encoding: 'utf8',
      timeout: 120_000,
    });
  const appliedPerSchema = async () =>
    Object.fromEntries(
      await Promise.all(
        SCHEMAS.map(async (schema) => {
          const { rows } = await db.query<{ count: string }>(
            `SELECT count(*) AS count FROM ${schema}.typeorm_migrations`,
          );
          return [schema, Number(rows[0].count)] as const;
        }),
      ),
    );

  before(async () => {
    database = await createTestDatabase('migrate_command');
    db = new PostgresDatabase(database.url, 1);
  });

  after(async () => {
    await db.close();
    await database.drop();
  });

  it("brings every service's schema up to date on a fresh database, then finds nothing to do", async () => {
    const env = { DATABASE_URL: database.url, KAFKA_BROKERS: testInfra().kafkaBrokers.join(',') };
    const first = migrate(env);
    assert.equal(first.status, 0, first.stderr);
    const applied = await appliedPerSchema();
    for (const schema of SCHEMAS) assert.ok(applied[schema] > 0, `${schema} has its migrations recorded`);
    const logged = first.stdout
      .split('\n')
      .filter((line) => line.includes('schema up to date'))
      .map((line) => (JSON.parse(line) as { schema: string }).schema);
    assert.deepEqual(logged, SCHEMAS);

    const again = migrate(env);
    assert.equal(again.status, 0, again.stderr);
    assert.doesNotMatch(again.stdout, /migrations applied/);
    assert.deepEqual(await appliedPerSchema(), applied);
  });

  it('fails, naming the problem, when the database cannot be reached or the configuration is wrong', () => {
    const unreachable = migrate({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', KAFKA_BROKERS: 'k:9092' });
    assert.notEqual(unreachable.status, 0);
    assert.match(unreachable.stdout + unreachable.stderr, /ECONNREFUSED/);
    const misconfigured = migrate({ DATABASE_URL: 'mysql://db/logbook', KAFKA_BROKERS: 'k:9092' });
    assert.notEqual(misconfigured.status, 0);
    assert.match(misconfigured.stdout + misconfigured.stderr, /DATABASE_URL must be a postgres:\/\/ connection string/);
  });
});
