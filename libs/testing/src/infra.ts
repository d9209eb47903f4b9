import { randomBytes } from 'node:crypto';
import { KafkaCluster, PostgresDatabase } from '@logbook/platform';

export interface TestInfra {
  databaseUrl: string;
  kafkaBrokers: string[];
  /** The brokers as the services reach them, with the topic layout they use by default. */
  kafka: KafkaCluster;
}

/** A plaintext cluster of `brokers`, its topics laid out as the services' defaults lay them out. */
export const kafkaCluster = (brokers: string[]): KafkaCluster => ({
  brokers,
  topics: { partitions: 3 },
  consumerSessionTimeoutMs: 10_000,
});

/**
 * The real infrastructure the test run started (deploy/local/infra.sh, sourced by test/run.sh).
 * Tests that need it fail loudly without it instead of skipping.
 */
export function testInfra(): TestInfra {
  const databaseUrl = process.env.DATABASE_URL;
  const brokers = process.env.KAFKA_BROKERS;
  if (!databaseUrl || !brokers) {
    throw new Error('DATABASE_URL and KAFKA_BROKERS must be set: run `npm test`, which starts the infrastructure');
  }
  return { databaseUrl, kafkaBrokers: brokers.split(','), kafka: kafkaCluster(brokers.split(',')) };
}

/** A fresh Postgres schema name per test, so tests never see each other's rows. */
export function uniqueSchema(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

export async function dropSchema(db: PostgresDatabase, schema: string): Promise<void> {
  await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}

/** A fresh database on the test server, for suites that use the services' fixed schema names. */
export async function createTestDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const { databaseUrl } = testInfra();
  const name = uniqueSchema(prefix);
  const admin = new PostgresDatabase(databaseUrl, 1);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    },
  };
}
