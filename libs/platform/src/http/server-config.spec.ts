import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadServerConfig } from './server-config';

const load = (env: NodeJS.ProcessEnv, role: 'public' | 'internal' = 'internal') =>
  loadServerConfig('tracking', 5001, role, env);

describe('authentication settings', () => {
  it('are off in the embedded shape unless set', () => {
    assert.deepEqual(load({}).auth, { methods: [] });
    assert.deepEqual(load({ LOGBOOK_AUTH: 'basic' }, 'public').auth, { methods: ['basic'] });
  });

  it('must be said in the distributed shape, and auth on needs the key the gateway signs principals with', () => {
    assert.throws(() => load({ LOGBOOK_MODE: 'distributed' }), /LOGBOOK_AUTH must be off, or basic and\/or oidc/);
    assert.deepEqual(load({ LOGBOOK_MODE: 'distributed', LOGBOOK_AUTH: 'off' }).auth, { methods: [] });
    assert.throws(
      () => load({ LOGBOOK_MODE: 'distributed', LOGBOOK_AUTH: 'basic', LOGBOOK_GATEWAY_KEY: 'short' }),
      /LOGBOOK_GATEWAY_KEY must be a secret of at least 32 characters/,
    );
    const key = 'k'.repeat(32);
    const distributed = { LOGBOOK_MODE: 'distributed', LOGBOOK_AUTH: 'basic', LOGBOOK_GATEWAY_KEY: key };
    assert.deepEqual(load(distributed, 'public').auth, { methods: ['basic'], gatewayKey: key });
    assert.throws(() => load(distributed), /LOGBOOK_GATEWAY_URL must name the gateway/);
    assert.deepEqual(load({ ...distributed, LOGBOOK_GATEWAY_URL: 'http://gateway:5000/' }).auth, {
      methods: ['basic'],
      gatewayKey: key,
      gatewayUrl: 'http://gateway:5000',
    });
    assert.throws(
      () => load({ ...distributed, LOGBOOK_GATEWAY_URL: 'gateway' }),
      /LOGBOOK_GATEWAY_URL must be an http/,
    );
  });

  it('name sign-in methods, tokens only beside a way for users to sign in', () => {
    assert.deepEqual(load({ LOGBOOK_AUTH: 'oidc,basic' }, 'public').auth, { methods: ['oidc', 'basic'] });
    assert.deepEqual(load({ LOGBOOK_AUTH: 'basic,token' }, 'public').auth, { methods: ['basic', 'token'] });
    for (const wrong of ['basic,off', 'token', 'basic,basic', 'basic,oidc,token,basic', '']) {
      assert.throws(() => load({ LOGBOOK_AUTH: wrong }), /LOGBOOK_AUTH must be/, wrong);
    }
  });

  it('refuse a mode Logbook does not have', () => {
    assert.throws(() => load({ LOGBOOK_AUTH: 'kerberos' }), /LOGBOOK_AUTH must be off, or basic and\/or oidc/);
  });
});
