import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeKeysetToken, decodeOffsetToken, encodeKeysetToken, encodeOffsetToken } from './page-token';
import { assertSyntaxError } from '@logbook/testing';

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

describe('encodeOffsetToken', () => {
  it("matches Python's base64.b64encode(json.dumps({'offset': N}))", () => {
    assert.equal(encodeOffsetToken(1), 'eyJvZmZzZXQiOiAxfQ==');
    assert.equal(encodeOffsetToken(1000), base64('{"offset": 1000}'));
  });

  it('rejects offsets that are not non-negative integers', () => {
    assert.throws(() => encodeOffsetToken(-1), RangeError);
    assert.throws(() => encodeOffsetToken(1.5), RangeError);
  });
});

describe('decodeOffsetToken', () => {
  it('returns 0 for a missing or empty token', () => {
    assert.equal(decodeOffsetToken(undefined), 0);
    assert.equal(decodeOffsetToken(''), 0);
  });

  it('round-trips encoded offsets', () => {
    for (const offset of [0, 1, 2, 25, 50000, 2 ** 40])
      assert.equal(decodeOffsetToken(encodeOffsetToken(offset)), offset);
  });

  it('accepts compact JSON and a string offset, as MLflow does', () => {
    assert.equal(decodeOffsetToken(base64('{"offset":7}')), 7);
    assert.equal(decodeOffsetToken(base64('{"offset": "12"}')), 12);
  });

  it('ignores characters outside the base64 alphabet, like Python', () => {
    assert.equal(decodeOffsetToken(`${encodeOffsetToken(3)}\n`), 3);
  });

  // tests/utils/test_search_utils.py::test_invalid_page_tokens and the registry store tests.
  const invalid: [string, string][] = [
    [base64('{}'), 'Invalid page token, parsed value='],
    [base64('{"offset": "a"}'), 'Invalid page token'],
    [base64('{"offsoot": 7}'), 'Invalid page token, parsed value='],
    [base64('not json'), 'Invalid page token, decoded value=not json'],
    [base64('[1, 2]'), 'Invalid page token'],
    [base64('{"offset": -1}'), 'Invalid page token'],
    [base64('{"offset": 1.5}'), 'Invalid page token'],
    ['not base64', 'Invalid page token, could not base64-decode'],
    ['evilhax', 'Invalid page token, could not base64-decode'],
  ];
  for (const [token, message] of invalid) {
    it(`rejects ${JSON.stringify(token)}`, () => assertSyntaxError(() => decodeOffsetToken(token), message));
  }
});

describe('keyset page tokens', () => {
  const columns = ['timestamp', 'step', 'value'] as const;

  it('name the row a page ended with, exactly, and nothing without a token', () => {
    const row = { timestamp: '9007199254740993', step: '-4', value: 'NaN' };
    assert.deepEqual(decodeKeysetToken(encodeKeysetToken(row), columns), row);
    assert.equal(decodeKeysetToken(undefined, columns), undefined);
    assert.equal(decodeKeysetToken('', columns), undefined);
  });

  const invalid: [string, string][] = [
    [encodeOffsetToken(3), 'Invalid page token, parsed value='],
    [base64('{"after": {"timestamp": "1", "step": "2"}}'), 'Invalid page token, parsed value='],
    [base64('{"after": {"timestamp": 1, "step": "2", "value": "3"}}'), 'Invalid page token, parsed value='],
    [base64('not json'), 'Invalid page token, decoded value=not json'],
    ['evilhax', 'Invalid page token, could not base64-decode'],
  ];
  for (const [token, message] of invalid) {
    it(`rejects ${JSON.stringify(token)}`, () => assertSyntaxError(() => decodeKeysetToken(token, columns), message));
  }
});
