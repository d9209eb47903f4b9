import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import Fastify, { FastifyRequest } from 'fastify';
import { requestMetadata } from './request-context';
import {
  isOpenPath,
  NOT_AUTHENTICATED_MESSAGE,
  Principal,
  PRINCIPAL_HEADER,
  requireCredentials,
  requireGatewayPrincipal,
  signPrincipal,
  verifyPrincipal,
} from './principal';

const KEY = 'k'.repeat(32);
const alice: Principal = { actor: { id: '2', kind: 'user', name: 'alice', authMethod: 'basic' }, isAdmin: false };
const now = 1_764_864_000_000;

describe('a principal the gateway signs', () => {
  it('is read back by a service holding the same key', () => {
    assert.deepEqual(verifyPrincipal(signPrincipal(alice, KEY, now), KEY, now + 1000), alice);
    const versioned = { ...alice, grantsVersion: 42 };
    assert.deepEqual(verifyPrincipal(signPrincipal(versioned, KEY, now), KEY, now), versioned);
  });

  it('is refused when signed with another key, changed, expired or not a signed principal at all', () => {
    const signed = signPrincipal(alice, KEY, now);
    assert.equal(verifyPrincipal(signed, 'x'.repeat(32), now), null, 'another key');
    const [payload, signature] = signed.split('.');
    const admin = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), isAdmin: true }),
    ).toString('base64url');
    assert.equal(verifyPrincipal(`${admin}.${signature}`, KEY, now), null, 'a payload made admin');
    assert.equal(verifyPrincipal(signed, KEY, now + 61_000), null, 'expired');
    for (const garbage of ['', '.', 'abc', `${signed}.extra`, `${payload}.`, `.${signature}`]) {
      assert.equal(verifyPrincipal(garbage, KEY, now), null, JSON.stringify(garbage));
    }
  });

  it('is refused when its signed payload is not a principal', () => {
    const forge = (value: unknown) => {
      const payload = Buffer.from(JSON.stringify(value)).toString('base64url');
      return `${payload}.${createHmac('sha256', KEY).update(payload).digest('base64url')}`;
    };
    assert.deepEqual(verifyPrincipal(forge({ ...alice, expires: now + 1 }), KEY, now), alice);
    assert.equal(verifyPrincipal(forge({ ...alice, expires: now + 1, isAdmin: 'yes' }), KEY, now), null);
    assert.equal(
      verifyPrincipal(forge({ actor: { id: '2', kind: 'root' }, isAdmin: true, expires: now + 1 }), KEY, now),
      null,
    );
    assert.equal(verifyPrincipal(forge('alice'), KEY, now), null);
  });
});

async function appWith(install: (app: ReturnType<typeof Fastify>) => void) {
  const app = Fastify();
  install(app);
  app.get('/api/2.0/mlflow/experiments/get', async (request) => ({ actor: requestMetadata(request).actor }));
  app.get('/health', async () => ({ status: 'ok' }));
  await app.ready();
  return app;
}

describe('a service behind the gateway', () => {
  it('acts as the principal the gateway signed, and refuses a request that did not come through the gateway', async () => {
    const app = await appWith((fastify) => requireGatewayPrincipal(fastify, KEY));
    const url = '/api/2.0/mlflow/experiments/get';
    const signed = await app.inject({ url, headers: { [PRINCIPAL_HEADER]: signPrincipal(alice, KEY) } });
    assert.deepEqual(signed.json(), { actor: alice.actor });
    for (const headers of [
      {},
      { [PRINCIPAL_HEADER]: signPrincipal(alice, 'x'.repeat(32)) },
      { authorization: 'Basic YTpi' },
    ]) {
      const refused = await app.inject({ url, headers });
      assert.equal(refused.statusCode, 401);
      assert.deepEqual(refused.json(), { error_code: 'UNAUTHENTICATED', message: NOT_AUTHENTICATED_MESSAGE });
    }
    for (const url of ['/health', '/health/ready', '/metrics', '/api/3.0/mlflow/server-info']) {
      assert.equal(isOpenPath(url), true, url);
    }
    assert.equal((await app.inject({ url: '/health' })).statusCode, 200, 'probes need no principal');
    assert.equal(isOpenPath('/health/../api/2.0/mlflow/experiments/get'), false);
    await app.close();
  });
});

describe('the gateway', () => {
  it('answers 401 with its challenge to a request its authenticator does not accept, and 429 to one it slows, before routing', async () => {
    const app = await appWith((fastify) =>
      requireCredentials(
        fastify,
        async (request) => {
          if (request.headers.authorization === 'Basic good') return { principal: alice };
          if (request.headers.authorization === 'Basic again') return { refused: 'throttled', retryAfterSeconds: 4 };
          return { refused: 'credentials' };
        },
        ['Basic realm="mlflow"'],
      ),
    );
    const accepted = await app.inject({
      url: '/api/2.0/mlflow/experiments/get',
      headers: { authorization: 'Basic good' },
    });
    assert.deepEqual(accepted.json(), { actor: alice.actor });
    for (const url of ['/api/2.0/mlflow/experiments/get', '/no/such/path']) {
      const refused = await app.inject({ url, headers: { authorization: 'Basic bad' } });
      assert.equal(refused.statusCode, 401, url);
      assert.equal(refused.headers['www-authenticate'], 'Basic realm="mlflow"');
    }
    const throttled = await app.inject({
      url: '/api/2.0/mlflow/experiments/get',
      headers: { authorization: 'Basic again' },
    });
    assert.equal(throttled.statusCode, 429);
    assert.equal(throttled.headers['retry-after'], '4');
    assert.equal(throttled.json().error_code, 'RESOURCE_EXHAUSTED');
    assert.equal((await app.inject({ url: '/health' })).statusCode, 200);
    await app.close();
  });

  it('serves its internal endpoints to the services alone: a system principal signed with the key, never user credentials', async () => {
    const app = await appWith((fastify) => {
      requireCredentials(fastify, async () => ({ principal: alice }), ['Basic realm="mlflow"'], KEY);
      fastify.post('/internal/access/grants', async (request: FastifyRequest) => ({ actor: request.principal?.actor }));
    });
    const tracking: Principal = {
      actor: { id: 'tracking', kind: 'system', name: 'tracking', authMethod: 'none' },
      isAdmin: false,
    };
    const url = '/internal/access/grants';
    const served = await app.inject({
      method: 'POST',
      url,
      headers: { [PRINCIPAL_HEADER]: signPrincipal(tracking, KEY) },
    });
    assert.deepEqual(served.json(), { actor: tracking.actor });
    for (const headers of [
      { authorization: 'Basic good' },
      { [PRINCIPAL_HEADER]: signPrincipal(alice, KEY) },
      { [PRINCIPAL_HEADER]: signPrincipal(tracking, 'x'.repeat(32)) },
    ]) {
      assert.equal((await app.inject({ method: 'POST', url, headers })).statusCode, 401, JSON.stringify(headers));
    }
    await app.close();
  });
});
