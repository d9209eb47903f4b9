import 'reflect-metadata';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { createTestDatabase, testInfra } from '@logbook/testing';
import { loadIdentityConfig } from '../../services/identity/src/config';
import { IdentityRuntime, startIdentityRuntime } from '../../services/identity/src/identity.runtime';
import { verifyPassword } from '../../services/identity/src/users/password-hash';

const COMMAND = join(__dirname, '../../services/identity/src/admin.js');

describe('npm run identity:admin', () => {
  let database: { url: string; drop(): Promise<void> };
  let env: NodeJS.ProcessEnv;
  let runtime: IdentityRuntime;

  const admin = (args: string[], password: string) =>
    spawnSync(process.execPath, [COMMAND, ...args], {
      env: { ...env, LOGBOOK_ADMIN_PASSWORD: password },
      encoding: 'utf8',
      timeout: 60_000,
    });
  const userNamed = async (username: string) =>
    (
      await runtime.db.query<{ is_admin: boolean; password_hash: string }>(
        'SELECT is_admin, password_hash FROM identity.users WHERE username = $1',
        [username],
      )
    ).rows[0];

  before(async () => {
    database = await createTestDatabase('identity_admin_command');
    env = {
      PATH: process.env.PATH,
      LOG_LEVEL: 'warn',
      LOGBOOK_MODE: 'distributed',
      DATABASE_URL: database.url,
      KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
    };
    const done = admin(['ops'], 'the first admin password');
    assert.equal(done.status, 0, done.stderr);
    runtime = await startIdentityRuntime(loadIdentityConfig(env), pino({ level: 'silent' }));
  });

  after(async () => {
    await runtime.close();
    await database.drop();
  });

  it('creates the first admin with the given password', async () => {
    const ops = await userNamed('ops');
    assert.equal(ops.is_admin, true);
    assert.equal(await verifyPassword(ops.password_hash, 'the first admin password'), true);
  });

  it("keeps an existing user's password unless told to reset it", async () => {
    assert.equal(admin(['ops'], 'another password here').status, 0);
    assert.equal(await verifyPassword((await userNamed('ops')).password_hash, 'the first admin password'), true);
    assert.equal(admin(['ops', '--reset-password'], 'another password here').status, 0);
    assert.equal(await verifyPassword((await userNamed('ops')).password_hash, 'another password here'), true);
  });

  it('refuses a missing username and a short password, changing nothing', async () => {
    assert.notEqual(admin([], 'the first admin password').status, 0);
    const short = admin(['newcomer'], 'short');
    assert.notEqual(short.status, 0);
    assert.match(short.stderr + short.stdout, /Password must be at least 12 characters/);
    assert.equal(await userNamed('newcomer'), undefined);
  });
});
