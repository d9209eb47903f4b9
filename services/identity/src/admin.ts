import 'reflect-metadata';
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { createLogger, runMain, SYSTEM_METADATA } from '@logbook/platform';
import { IdentityAuthenticator } from './authentication/authenticator';
import { loadIdentityConfig } from './config';
import { IdentityModule } from './identity.module';
import { openIdentityStore } from './identity.runtime';
import { UsersService } from './users/users.service';

/** The password from LOGBOOK_ADMIN_PASSWORD, or asked for on the terminal without echoing it. */
async function password(): Promise<string> {
  if (process.env.LOGBOOK_ADMIN_PASSWORD) return process.env.LOGBOOK_ADMIN_PASSWORD;
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  process.stderr.write('Password: ');
  const terminal = createInterface({ input: process.stdin, output: silent, terminal: process.stdin.isTTY });
  const answer = await terminal.question('');
  terminal.close();
  process.stderr.write('\n');
  return answer;
}

/**
 * `npm run identity:admin -- <username> [--reset-password]`: makes <username> an admin, creating the user
 * with the password of LOGBOOK_ADMIN_PASSWORD (or typed at the prompt) when nobody has that name; with
 * --reset-password an existing user's password is set too (an admin locked out). Uses the identity
 * service's configuration; in the embedded shape, stop the server first.
 */
async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: { 'reset-password': { type: 'boolean' } },
    allowPositionals: true,
  });
  if (positionals.length !== 1 || positionals[0] === '') {
    throw new Error('usage: npm run identity:admin -- <username> [--reset-password]');
  }
  const [username] = positionals;
  const logger = createLogger('identity-admin');
  // The admin is the one named here: the start-up admin settings are not this command's to apply.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LOGBOOK_ADMIN_')));
  const config = { ...loadIdentityConfig(env), admin: null };
  const runtime = await openIdentityStore(config, logger);
  const app = await NestFactory.createApplicationContext(IdentityModule.with({ ...runtime, config }), {
    logger: false,
  });
  try {
    const secret = await password();
    await app.get(IdentityAuthenticator).ensureAdmin(username, secret);
    if (values['reset-password']) {
      await app.get(UsersService).changePassword({ username, password: secret }, null, SYSTEM_METADATA());
    }
    logger.info({ username }, 'admin ready');
  } finally {
    await app.close();
    await runtime.close();
  }
}

runMain(main);
