import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pino from 'pino';
import { SYSTEM_METADATA } from '@logbook/platform';
import { createTestDatabase, testInfra } from '@logbook/testing';
import { loadIdentityConfig } from '../config';
import { IdentityModule } from '../identity.module';
import { IdentityRuntime, startIdentityRuntime } from '../identity.runtime';
import { UsersService } from '../users/users.service';
import { IdentityAuthenticator, LEGACY_ADMIN_PASSWORD } from './authenticator';

describe('identity authenticator on real Postgres', () => {
  let database: { url: string; drop(): Promise<void> };
  let runtime: IdentityRuntime;
  let context: INestApplicationContext;
  let authenticator: IdentityAuthenticator;
  let users: UsersService;

  const isAdmin = async (username: string) =>
    (
      await runtime.db.query<{ is_admin: boolean }>(`SELECT is_admin FROM identity.users WHERE username = $1`, [
        username,
      ])
    ).rows[0]?.is_admin;

  before(async () => {
    database = await createTestDatabase('identity_auth');
    const config = loadIdentityConfig({
      LOGBOOK_MODE: 'distributed',
      DATABASE_URL: database.url,
      KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
    });
    runtime = await startIdentityRuntime(config, pino({ level: 'silent' }));
    context = await NestFactory.createApplicationContext(IdentityModule.with(runtime), { logger: false });
    authenticator = context.get(IdentityAuthenticator);
    users = context.get(UsersService);
  });

  after(async () => {
    await context.close();
    await runtime.close();
    await database.drop();
  });

  it('verifies a password against the stored hash, and refuses a wrong one or an unknown user', async () => {
    const id = await users.create(
      { username: 'alice', password: 'alice password!', isAdmin: false },
      SYSTEM_METADATA(),
    );
    assert.deepEqual(await authenticator.verifyBasic('alice', 'alice password!'), {
      id,
      username: 'alice',
      isAdmin: false,
    });
    assert.equal(await authenticator.verifyBasic('alice', 'Alice password!'), null);
    assert.equal(await authenticator.verifyBasic('nobody', 'alice password!'), null);
  });

  it('answers a verified password from memory until the user changes, and never remembers a failure', async () => {
    await users.create({ username: 'bob', password: 'bobs password!', isAdmin: false }, SYSTEM_METADATA());
    assert.equal(await authenticator.verifyBasic('bob', 'wrong password'), null);
    assert.ok(await authenticator.verifyBasic('bob', 'bobs password!'));
    // Behind the projection's back: only the remembered verification can still answer.
    await runtime.db.query(`UPDATE identity.users SET password_hash = 'scrypt:32768:8:1$x$00' WHERE username = 'bob'`);
    assert.ok(await authenticator.verifyBasic('bob', 'bobs password!'));
    authenticator.forget('bob');
    assert.equal(await authenticator.verifyBasic('bob', 'bobs password!'), null);
  });

  it('forgets a remembered password when the user is deleted', async () => {
    await users.create({ username: 'carol', password: 'carol password', isAdmin: false }, SYSTEM_METADATA());
    assert.ok(await authenticator.verifyBasic('carol', 'carol password'));
    await users.delete('carol', null, SYSTEM_METADATA());
    assert.equal(await authenticator.verifyBasic('carol', 'carol password'), null);
  });

  it('creates the configured admin, or makes the existing user an admin keeping its password', async () => {
    await authenticator.ensureAdmin('root', 'root password 12');
    assert.equal(await isAdmin('root'), true);
    assert.ok(await authenticator.verifyBasic('root', 'root password 12'));
    await authenticator.ensureAdmin('root', 'another password');
    assert.ok(await authenticator.verifyBasic('root', 'root password 12'));

    await users.create({ username: 'dave', password: 'daves password', isAdmin: false }, SYSTEM_METADATA());
    await authenticator.ensureAdmin('dave', 'not daves password');
    assert.equal(await isAdmin('dave'), true);
    assert.equal((await authenticator.verifyBasic('dave', 'daves password'))?.isAdmin, true);
    assert.equal(await authenticator.verifyBasic('dave', 'not daves password'), null);
  });

  it("refuses an admin on MLflow's old default password, as MLflow does", async () => {
    await users.create({ username: 'erin', password: LEGACY_ADMIN_PASSWORD, isAdmin: false }, SYSTEM_METADATA());
    assert.ok(await authenticator.verifyBasic('erin', LEGACY_ADMIN_PASSWORD));
    await users.changeAdmin('erin', true, SYSTEM_METADATA());
    assert.equal(await authenticator.verifyBasic('erin', LEGACY_ADMIN_PASSWORD), null);
  });
});
