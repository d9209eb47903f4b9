import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { testInfra } from '@logbook/testing';
import { PostgresDatabase } from './database';
import { isTransientDatabaseError, Outage, retryTransient } from './retry';

/** A logger that keeps its lines, to count them. */
function recordingLogger() {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
}

describe('retryTransient', () => {
  it('retries transient failures until success, logging the outage once and the recovery once', async () => {
    const { logger, lines } = recordingLogger();
    let attempts = 0;
    const result = await retryTransient(
      new Outage(logger, 'database'),
      async () => {
        if (++attempts <= 5) throw refused();
        return 'answered';
      },
      { isTransient: isTransientDatabaseError, initialDelayMs: 1, maxDelayMs: 4 },
    );
    assert.equal(result, 'answered');
    assert.equal(attempts, 6);
    assert.deepEqual(
      lines.map((line) => [line.level, line.msg]),
      [
        [40, 'database: failing; retrying with backoff until it recovers'],
        [30, 'database: recovered'],
      ],
    );
  });

  it('gives up at once on an error that will not go away', async () => {
    const { logger } = recordingLogger();
    let attempts = 0;
    const wrongPassword = Object.assign(new Error('password authentication failed'), { code: '28P01' });
    await assert.rejects(
      retryTransient(
        new Outage(logger, 'database'),
        async () => {
          attempts++;
          throw wrongPassword;
        },
        { isTransient: isTransientDatabaseError, initialDelayMs: 1 },
      ),
      wrongPassword,
    );
    assert.equal(attempts, 1);
  });
});

describe('isTransientDatabaseError', () => {
  it('tells a server that does not answer from a database that does not exist', async () => {
    const url = new URL(testInfra().databaseUrl);
    const unreachable = new URL(url);
    unreachable.port = '1';
    const missing = new URL(url);
    missing.pathname = '/no_such_database_here';
    for (const [target, transient] of [
      [unreachable, true],
      [missing, false],
    ] as const) {
      const db = new PostgresDatabase(target.toString(), 1);
      const error = await db.query('SELECT 1').catch((e: unknown) => e);
      await db.close();
      assert.ok(error instanceof Error, `${target.pathname}: the query failed`);
      assert.equal(isTransientDatabaseError(error), transient, `${target.port || 'default port'} ${error.message}`);
    }
  });
});
