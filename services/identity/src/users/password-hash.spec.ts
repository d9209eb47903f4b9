import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashPassword, verifyPassword } from './password-hash';

// Printed by Werkzeug 3.1.9 (MLflow 3.17.2's): generate_password_hash('correct horse battery'), and the same
// with method='pbkdf2:sha256:1000' for the hashes of older MLflow databases.
const WERKZEUG_SCRYPT =
  'scrypt:32768:8:1$gC5Vv8CEYIwg84fk$c60d8f2fab3c535bb0b3e1b7848f7b179f8d87746b922079d039627b579420da4988664f86feb7ddc064a0f37fc9f5bb7b6e001e634702adeefc6359eba1c78b';
const WERKZEUG_PBKDF2 =
  'pbkdf2:sha256:1000$CPjWTFzPGZo5vcVC$33c204151a8132817a2d44be935e328e0fe96364b4ed4d58c394546de12c42fc';

describe('password hashes', () => {
  it('verifies a hash Werkzeug wrote, and refuses another password against it', async () => {
    assert.equal(await verifyPassword(WERKZEUG_SCRYPT, 'correct horse battery'), true);
    assert.equal(await verifyPassword(WERKZEUG_SCRYPT, 'correct horse batterY'), false);
    assert.equal(await verifyPassword(WERKZEUG_SCRYPT, ''), false);
  });

  it("verifies Werkzeug's older pbkdf2 hashes", async () => {
    assert.equal(await verifyPassword(WERKZEUG_PBKDF2, 'correct horse battery'), true);
    assert.equal(await verifyPassword(WERKZEUG_PBKDF2, 'wrong horse battery'), false);
  });

  it("writes Werkzeug's scrypt format with a fresh 16-character salt, and verifies what it wrote", async () => {
    const first = await hashPassword('correct horse battery');
    const second = await hashPassword('correct horse battery');
    assert.match(first, /^scrypt:32768:8:1\$[a-zA-Z0-9]{16}\$[0-9a-f]{128}$/);
    assert.notEqual(first, second);
    assert.equal(await verifyPassword(first, 'correct horse battery'), true);
    assert.equal(await verifyPassword(first, 'correct horse battery '), false);
  });

  it('refuses malformed hashes and unknown methods instead of throwing', async () => {
    for (const stored of ['', 'plain', 'scrypt$salt', 'md5$salt$abc', 'scrypt:3:8:1$salt$abc', 'pbkdf2:md5:1$s$ab']) {
      assert.equal(await verifyPassword(stored, 'correct horse battery'), false, stored);
    }
  });
});
