import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SecretBox } from './secret-box';

// Made once with Python's cryptography 50: Fernet.generate_key(), then Fernet(key).encrypt(...).
const PYTHON_KEY = '8ybEvgbGN0J0WZ0lUekBZEN6lTU0rQ1eNSGxeRMiwZI=';
const PYTHON_TOKEN =
  'gAAAAABrFcKu5DVL3qcE4JKGBVEvKxZbSmkBQeYAizKZ_wRJ3d2vZwqErgJpjpWBdgHQ3GAMBnTbISbqQCf_dU7R2I2b0VmYyRyRDnAyQdv-lIck0w-MYBU=';
const OTHER_KEY = 'zeVbmgXbvtN7fRXiuE2vzTBtHD9Wqj9tYbEsbfgzQHo=';

describe('webhook secrets encrypted at rest (Fernet)', () => {
  it('decrypts what it encrypted, in a token shaped as Fernet says', () => {
    const box = SecretBox.fromKey(PYTHON_KEY);
    const token = box.encrypt('whsec-ünïcode secret');
    assert.match(token, /^gAAAAA[A-Za-z0-9_-]+=*$/);
    assert.equal(token.length % 4, 0);
    assert.equal(box.decrypt(token), 'whsec-ünïcode secret');
    assert.notEqual(box.encrypt('same'), box.encrypt('same'));
  });

  it("decrypts a token Python's cryptography.fernet made, as MLflow stores secrets", () => {
    assert.equal(SecretBox.fromKey(PYTHON_KEY).decrypt(PYTHON_TOKEN), 'whsec-ünïcode secret');
  });

  it('refuses a token altered anywhere, and one made with another key', () => {
    const box = SecretBox.fromKey(PYTHON_KEY);
    for (const index of [0, 12, 40, PYTHON_TOKEN.length - 10]) {
      const flipped = PYTHON_TOKEN[index] === 'A' ? 'B' : 'A';
      const tampered = PYTHON_TOKEN.slice(0, index) + flipped + PYTHON_TOKEN.slice(index + 1);
      assert.throws(() => box.decrypt(tampered), /not one this key encrypted, or it was altered/);
    }
    assert.throws(() => box.decrypt(PYTHON_TOKEN.slice(0, -8)), /altered/);
    assert.throws(() => box.decrypt('not a token'), /altered/);
    assert.throws(() => SecretBox.fromKey(OTHER_KEY).decrypt(PYTHON_TOKEN), /altered/);
  });

  it('takes only a 32-byte URL-safe base64 key', () => {
    for (const key of [
      '',
      'short',
      PYTHON_KEY.slice(0, -1),
      PYTHON_KEY.replace('=', ''),
      `${PYTHON_KEY.slice(0, -2)}+=`,
    ]) {
      assert.throws(() => SecretBox.fromKey(key), /a Fernet key is 32 bytes in URL-safe base64/);
    }
  });
});
