import { ServiceConfig, Database, PostgresDatabase, Logger, openEmbeddedDatabase } from '@logbook/platform';

/**
 * A service's database: a pg pool on DATABASE_URL in the distributed shape; otherwise the one embedded
 * database in the data folder, which every module of the embedded process shares.
 */
export async function openServiceDatabase(config: ServiceConfig, logger: Logger): Promise<Database> {
  if (config.mode === 'distributed')
    return new PostgresDatabase(config.databaseUrl as string, config.dbPoolSize, config.dbIdleInTransactionTimeoutMs);
  const { db, engine, fallback } = await openEmbeddedDatabase(config.dataDir, {
    choice: config.embeddedDatabase,
    durability: config.embeddedDurability,
    sharedBuffersMb: config.embeddedSharedBuffersMb,
    maxConnections: config.dbPoolSize,
    idleInTransactionTimeoutMs: config.dbIdleInTransactionTimeoutMs,
  });
  if (fallback) logger.warn({ reason: fallback }, 'the embedded Postgres cannot run here; using PGlite');
  logger.info(
    { engine, durability: config.embeddedDurability, sharedBuffersMb: config.embeddedSharedBuffersMb },
    'embedded database opened',
  );
  return db;
}
