import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { waitFor, createTestDatabase, testInfra, TcpProxy } from '@logbook/testing';
import { loadTrackingConfig } from '../../services/tracking/src/config';
import { startTrackingRuntime } from '../../services/tracking/src/tracking.runtime';

describe('a service started before its database', () => {
  it('waits for the database, logging the outage once (not per attempt), then migrates and runs', async () => {
    const database = await createTestDatabase('dbwait');
    const real = new URL(database.url);
    const proxy = new TcpProxy({ host: real.hostname, port: Number(real.port) });
    const viaProxy = new URL(database.url);
    viaProxy.port = String(await proxy.listen());
    const lines: Array<{ level: number; msg: string }> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const outageLines = () => lines.filter((line) => line.msg.startsWith('database: '));
    try {
      const config = loadTrackingConfig({
        LOGBOOK_MODE: 'distributed',
        DATABASE_URL: viaProxy.toString(),
        KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
      });
      const starting = startTrackingRuntime(config, logger);
      await waitFor('three failed attempts', async () => proxy.refused >= 3);
      proxy.up();
      const runtime = await starting;
      try {
        const { rows } = await runtime.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tracking.events');
        assert.equal(rows[0].n, 0, 'the schema was migrated once the database answered');
        assert.deepEqual(
          outageLines().map((line) => [line.level, line.msg]),
          [
            [40, 'database: failing; retrying with backoff until it recovers'],
            [30, 'database: recovered'],
          ],
        );
      } finally {
        await runtime.close();
      }
    } finally {
      await proxy.close();
      await database.drop();
    }
  });
});
