import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { basicCredentials } from './basic-credentials';

const basic = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;

describe('HTTP Basic credentials', () => {
  it('are read as MLflow clients send them: the password is everything after the first colon', () => {
    assert.deepEqual(basicCredentials(basic('alice:s3cret:with:colons')), {
      username: 'alice',
      password: 's3cret:with:colons',
    });
    assert.deepEqual(basicCredentials(`bAsIc ${Buffer.from('jürgen:pässwörd').toString('base64')}`), {
      username: 'jürgen',
      password: 'pässwörd',
    });
    assert.deepEqual(basicCredentials(basic('bob:')), { username: 'bob', password: '' });
  });

  it('are none for a missing, malformed, foreign-scheme or oversized header', () => {
    for (const header of [
      undefined,
      '',
      'Basic',
      'Basic ',
      'Basic !!!notbase64',
      basic('no-colon'),
      basic(':nousername'),
      'Bearer abc.def.ghi',
      'Digest username=admin',
      `Basic ${Buffer.from([0x61, 0x3a, 0xff, 0xfe]).toString('base64')}`,
      basic(`alice:${'x'.repeat(10_000)}`),
      'Basic YWxpY2U6cHc', // not padded to a multiple of 4
    ]) {
      assert.equal(basicCredentials(header), null, String(header));
    }
  });
});
