import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FastifyRequest } from 'fastify';
import { IdentityAuthenticator } from '../../../identity/src/index';
import { basicAuthentication } from './basic-authentication';
import { SignInThrottle } from './sign-in-throttle';

const PASSWORD = 'the right password';
const users: Pick<IdentityAuthenticator, 'verifyBasic'> = {
  verifyBasic: async (username, password) =>
    password === PASSWORD ? { id: username.length, username, isAdmin: false } : null,
};
const request = (username: string, password: string, ip = '10.0.0.1') =>
  ({
    ip,
    headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
  }) as FastifyRequest;

function authenticationAt(now: { ms: number }) {
  return basicAuthentication(
    users as IdentityAuthenticator,
    {
      user: new SignInThrottle({ freeFailures: 2, maxWaitMs: 60_000, capacity: 100 }),
      address: new SignInThrottle({ freeFailures: 5, maxWaitMs: 60_000, capacity: 100 }),
    },
    () => now.ms,
  );
}

describe('HTTP Basic sign-in', () => {
  it('names the user as the actor, authenticated by basic', async () => {
    const outcome = await authenticationAt({ ms: 0 })(request('alice', PASSWORD));
    assert.deepEqual(outcome, {
      principal: { actor: { id: '5', kind: 'user', name: 'alice', authMethod: 'basic' }, isAdmin: false },
    });
  });

  it('given repeated wrong passwords for a user, refuses even the right one until the wait passes', async () => {
    const now = { ms: 0 };
    const authenticate = authenticationAt(now);
    for (let attempt = 0; attempt < 3; attempt++) {
      assert.deepEqual(await authenticate(request('alice', 'guess')), { refused: 'credentials' });
    }
    assert.deepEqual(await authenticate(request('alice', PASSWORD)), { refused: 'throttled', retryAfterSeconds: 1 });
    assert.ok('principal' in (await authenticate(request('bob', PASSWORD, '10.0.0.2'))), 'another user signs in');
    now.ms = 1000;
    assert.ok('principal' in (await authenticate(request('alice', PASSWORD))));
  });

  it('given many failures from one address across users, slows that address', async () => {
    const authenticate = authenticationAt({ ms: 0 });
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) await authenticate(request(name, 'guess', '10.9.9.9'));
    assert.equal(
      ((await authenticate(request('zoe', PASSWORD, '10.9.9.9'))) as { refused: string }).refused,
      'throttled',
    );
    assert.ok('principal' in (await authenticate(request('zoe', PASSWORD, '10.1.1.1'))));
  });

  it('refuses a request without Basic credentials without counting it', async () => {
    const authenticate = authenticationAt({ ms: 0 });
    const bare = { ip: '10.0.0.1', headers: {} } as FastifyRequest;
    assert.deepEqual(await authenticate(bare), { refused: 'credentials' });
  });
});
