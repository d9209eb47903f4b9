import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CredentialCache } from './credential-cache';

const alice = { id: 1, username: 'alice', isAdmin: false };
const bob = { id: 2, username: 'bob', isAdmin: true };

describe('credential cache', () => {
  it('remembers a verified password for its time to live, and only that password', () => {
    let now = 0;
    const cache = new CredentialCache(1000, 10, () => now);
    cache.remember('alice', 'correct horse battery', alice);
    assert.deepEqual(cache.get('alice', 'correct horse battery'), alice);
    assert.equal(cache.get('alice', 'another password'), null);
    now = 999;
    assert.deepEqual(cache.get('alice', 'correct horse battery'), alice);
    now = 1000;
    assert.equal(cache.get('alice', 'correct horse battery'), null);
    assert.equal(cache.size, 0);
  });

  it('does not mistake one user and password for another that concatenates the same', () => {
    const cache = new CredentialCache();
    cache.remember('al', 'icepassword12', alice);
    assert.equal(cache.get('alice', 'password12'), null);
  });

  it('forgets every entry of one user, keeping the others', () => {
    const cache = new CredentialCache();
    cache.remember('alice', 'first password', alice);
    cache.remember('alice', 'second password', alice);
    cache.remember('bob', 'bobs password!', bob);
    cache.forget('alice');
    assert.equal(cache.get('alice', 'first password'), null);
    assert.equal(cache.get('alice', 'second password'), null);
    assert.deepEqual(cache.get('bob', 'bobs password!'), bob);
  });

  it('drops the least recently used entry beyond its size', () => {
    const cache = new CredentialCache(60_000, 2);
    cache.remember('alice', 'alice password', alice);
    cache.remember('bob', 'bobs password!', bob);
    cache.get('alice', 'alice password');
    cache.remember('carol', 'carol password', { id: 3, username: 'carol', isAdmin: false });
    assert.equal(cache.size, 2);
    assert.equal(cache.get('bob', 'bobs password!'), null);
    assert.deepEqual(cache.get('alice', 'alice password'), alice);
  });
});
