import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { ServiceConfig, Database, PgliteDatabase, PostgresDatabase, Logger } from '@logbook/platform';

/**
 * A service's database: a pg pool on DATABASE_URL in the distributed shape; otherwise the one embedded
 * Postgres in `<data dir>/pg`, which every module of the embedded process shares.
 */
export async function openServiceDatabase(config: ServiceConfig, logger: Logger): Promise<Database> {
  if (config.mode === 'distributed')
    return new PostgresDatabase(config.databaseUrl as string, config.dbPoolSize, config.dbIdleInTransactionTimeoutMs);
  const directory = resolve(config.dataDir, 'pg');
  mkdirSync(directory, { recursive: true });
  const db = await PgliteDatabase.open(directory, config.embeddedDurability, config.embeddedSharedBuffersMb);
  logger.info(
    { durability: config.embeddedDurability, sharedBuffersMb: config.embeddedSharedBuffersMb },
    'embedded database opened',
  );
  return db;
}
