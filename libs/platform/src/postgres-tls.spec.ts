import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PrivatePostgres } from '@logbook/testing';
import { loadConfig, serviceConfig, ServiceEnvironment } from './config';
import { PostgresDatabase } from './database';

/** PostgreSQL over TLS as the services reach it: the settings in DATABASE_URL, read from a file. */
describe('PostgreSQL over TLS', () => {
  let postgres: PrivatePostgres;
  let urlFile: string;

  before(async () => {
    postgres = await PrivatePostgres.create({ tls: true });
    await postgres.start();
    urlFile = join(mkdtempSync(join(tmpdir(), 'logbook-pg-secret-')), 'database-url');
  });

  after(async () => {
    await postgres?.destroy();
  });

  const databaseFrom = (url: string) => {
    writeFileSync(urlFile, `${url}\n`);
    const config = serviceConfig(
      loadConfig('spec', ServiceEnvironment, {
        LOGBOOK_MODE: 'distributed',
        DATABASE_URL_FILE: urlFile,
        KAFKA_BROKERS: 'unused:9092',
      }),
      'spec',
    );
    return new PostgresDatabase(config.databaseUrl as string, 1);
  };

  it('connects with the certificate verified against the given authority, encrypted', async () => {
    const db = databaseFrom(`${postgres.url}?sslmode=verify-full&sslrootcert=${postgres.caFile}`);
    try {
      const { rows } = await db.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      assert.deepEqual(rows, [{ ssl: true }]);
    } finally {
      await db.close();
    }
  });

  it('refuses a server whose certificate does not chain to the given authority', async () => {
    const db = databaseFrom(`${postgres.url}?sslmode=verify-full&sslrootcert=/etc/ssl/certs/ca-certificates.crt`);
    try {
      await assert.rejects(db.query('SELECT 1'), /self[- ]signed certificate|unable to (get|verify)|certificate/i);
    } finally {
      await db.close();
    }
  });
});
