import 'reflect-metadata';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Controller, Get, Module } from '@nestjs/common';
import { AccessModule, Authorize, param, Rules } from '@logbook/access';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { importJWK, SignJWT } from 'jose';
import pino from 'pino';
import { createHttpApp, loadServerConfig } from '@logbook/platform';
import { createTestDatabase, testInfra } from '@logbook/testing';
import { Authentication, startAuthentication } from '../../services/gateway/src/authentication/authentication';
import {
  OidcSettings,
  OidcVerifier,
  ProviderUnreachableError,
} from '../../services/gateway/src/authentication/oidc-verifier';
import { signingKey, startTestProvider, TestProvider } from './oidc-provider.fixture';

const AUDIENCE = 'https://logbook.test/api';
const ADMIN: [string, string] = ['root', 'root password 12'];
const silent = pino({ level: 'silent' });

/** A route that needs READ on the experiment it names, as the services' routes do. */
@Controller('test/experiments')
class ExperimentReadController {
  @Get()
  @Authorize(Rules.on('experiment', 'read', param('experiment_id')))
  read() {
    return { read: true };
  }
}

describe('OpenID Connect sign-in against a real provider', () => {
  let provider: TestProvider;
  let settings: OidcSettings;
  let authentication: Authentication;
  let app: NestFastifyApplication;
  let database: { url: string; drop(): Promise<void> };

  const call = async (method: 'GET' | 'POST', path: string, authorization?: string, body?: unknown) => {
    const response = await app.inject({
      method,
      url: `/api/2.0/mlflow/users/${path}`,
      headers: { ...(authorization ? { authorization } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { payload: JSON.stringify(body) } : {}),
    });
    return { status: response.statusCode, json: response.json(), headers: response.headers };
  };
  const bearer = (token: string) => `Bearer ${token}`;
  const basic = ([user, password]: [string, string]) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  before(async () => {
    provider = await startTestProvider({ alice: ['mlops-admins', 'analysts'], bob: ['analysts'] });
    database = await createTestDatabase('oidc_api');
    Object.assign(process.env, {
      LOGBOOK_MODE: 'distributed',
      DATABASE_URL: database.url,
      KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
      LOGBOOK_ADMIN_USERNAME: ADMIN[0],
      LOGBOOK_ADMIN_PASSWORD: ADMIN[1],
      LOGBOOK_DEFAULT_PERMISSION: 'NO_PERMISSIONS',
      LOGBOOK_OIDC_GROUP_ROLES: 'analysts=analyst-readers, auditors=analyst-readers',
    });
    settings = {
      issuer: provider.issuer,
      audience: AUDIENCE,
      usernameClaim: 'preferred_username',
      groupsClaim: 'groups',
      adminGroups: ['mlops-admins'],
      clockToleranceSeconds: 0,
      jwksCooldownMs: 0,
    };
    const server = loadServerConfig('gateway', 0, 'public', { LOGBOOK_AUTH: 'basic,oidc' });
    authentication = await startAuthentication(server, settings, silent);
    @Module({ imports: [...authentication.modules, AccessModule.with()], controllers: [ExperimentReadController] })
    class TestModule {}
    app = await createHttpApp(TestModule, { logger: silent, bodyLimitBytes: 1024 * 1024 });
    authentication.install(app);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  after(async () => {
    await app.close();
    await authentication.close();
    await provider.close();
    await database.drop();
  });

  it('signs in a user the provider vouches for, provisioned on first sight as the same user each time', async () => {
    const token = await provider.login('carol', AUDIENCE);
    const first = await call('GET', 'current', bearer(token));
    assert.equal(first.status, 200, JSON.stringify(first.json));
    assert.equal(first.json.user.username, 'carol');
    assert.equal(first.json.user.is_admin, false);
    const again = await call('GET', 'current', bearer(await provider.login('carol', AUDIENCE)));
    assert.equal(again.json.user.id, first.json.user.id);
    const seen = await call('GET', 'get?username=carol', basic(ADMIN));
    assert.equal(seen.status, 200, 'an admin sees the provisioned user');
  });

  it("makes the members of an admin group admins, from the token's group claim", async () => {
    const alice = await call('POST', 'create', bearer(await provider.login('alice', AUDIENCE)), {
      username: 'made-by-alice',
      password: 'a password of 20 chars',
    });
    assert.equal(alice.status, 200, JSON.stringify(alice.json));
    const bob = await call('POST', 'create', bearer(await provider.login('bob', AUDIENCE)), {
      username: 'made-by-bob',
      password: 'a password of 20 chars',
    });
    assert.equal(bob.status, 403);
  });

  it("gives a group's members the grants of the role it maps to, while they are in it", async () => {
    const post = (path: string, body: unknown) =>
      app.inject({
        method: 'POST',
        url: `/api/3.0/mlflow/roles/${path}`,
        headers: { authorization: basic(ADMIN) },
        payload: body as object,
      });
    const role = (await post('create', { name: 'analyst-readers', workspace: 'default' })).json().role;
    const added = await post('permissions/add', {
      role_id: role.id,
      resource_type: 'experiment',
      resource_pattern: '42',
      permission: 'READ',
    });
    assert.equal(added.statusCode, 200, added.body);
    const read = async (user: string, experimentId: string) =>
      (
        await app.inject({
          method: 'GET',
          url: `/test/experiments?experiment_id=${experimentId}`,
          headers: { authorization: bearer(await provider.login(user, AUDIENCE)) },
        })
      ).statusCode;
    assert.equal(await read('bob', '42'), 200, 'an analyst reads what the role grants');
    assert.equal(await read('bob', '43'), 403, 'and nothing else');
    assert.equal(await read('carol', '42'), 403, 'someone in no mapped group does not');
  });

  it('still takes Basic credentials when both methods are on, and challenges for both', async () => {
    assert.equal((await call('GET', 'current', basic(ADMIN))).status, 200);
    const refused = await call('GET', 'current');
    assert.equal(refused.status, 401);
    assert.equal(refused.headers['www-authenticate'], 'Basic realm="mlflow", Bearer realm="mlflow"');
  });

  it('refuses an expired token', async () => {
    // Token times are whole seconds: a 2 s token lives at least 1 s, and is gone 3 s after it was issued.
    provider.setAccessTokenTtl(2);
    const token = await provider.login('carol', AUDIENCE);
    provider.setAccessTokenTtl(300);
    assert.equal((await call('GET', 'current', bearer(token))).status, 200);
    await delay(3100);
    assert.equal((await call('GET', 'current', bearer(token))).status, 401);
  });

  it('refuses a token issued for another audience', async () => {
    const token = await provider.login('carol', 'https://another-api.test');
    assert.equal((await call('GET', 'current', bearer(token))).status, 401);
  });

  it("follows the provider's key rotation: new keys' tokens pass, the retired key's do not", async () => {
    const before = await provider.login('dave', AUDIENCE);
    assert.equal((await call('GET', 'current', bearer(before))).status, 200);
    await provider.rotateKeys();
    const rotated = await provider.login('dave', AUDIENCE);
    assert.equal((await call('GET', 'current', bearer(rotated))).status, 200);
    assert.equal((await call('GET', 'current', bearer(before))).status, 401);
  });

  it("refuses alg none, another key's signature, and malformed or oversized tokens", async () => {
    const claims = { iss: provider.issuer, aud: AUDIENCE, preferred_username: 'root', sub: 'root' };
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ ...claims, iat: now, exp: now + 300 })}.`;
    const foreignKey = await signingKey();
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: foreignKey.kid })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(await importJWK(foreignKey, 'RS256'));
    for (const authorization of [
      bearer(unsigned),
      bearer(forged),
      bearer('a.b.c'),
      'Bearer',
      'Bearer not a token',
      bearer('a'.repeat(20_000)),
    ]) {
      const answer = await call('GET', 'current', authorization);
      assert.equal(answer.status, 401, authorization.slice(0, 60));
      assert.equal(answer.json.error_code, 'UNAUTHENTICATED');
    }
  });

  it('says the provider is out of reach rather than that the token is wrong', async () => {
    const unreachable = new OidcVerifier({ ...settings, issuer: 'http://127.0.0.1:9' }, silent);
    await assert.rejects(unreachable.verify(await provider.login('carol', AUDIENCE)), ProviderUnreachableError);
  });
});
