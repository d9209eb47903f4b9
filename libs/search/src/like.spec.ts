import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { likeToRegExp } from './like';

const like = (value: string, pattern: string): boolean => likeToRegExp(pattern, false).test(value);
const ilike = (value: string, pattern: string): boolean => likeToRegExp(pattern, true).test(value);

describe('likeToRegExp', () => {
  // Patterns from the registry store tests (test_search_registered_models).
  const names = ['test_for_search_RM1', 'test_for_search_RM4A', 'test_for_search_RM4ab'];

  it('matches prefixes, suffixes and infixes with %', () => {
    assert.deepEqual(
      names.filter((n) => like(n, 'test_for_search_%')),
      names,
    );
    assert.deepEqual(
      names.filter((n) => like(n, '%RM%')),
      names,
    );
    assert.deepEqual(
      names.filter((n) => like(n, 'test_for_search_RM4A%')),
      ['test_for_search_RM4A'],
    );
    assert.deepEqual(
      names.filter((n) => like(n, '%cats%')),
      [],
    );
  });

  it('treats _ as exactly one character', () => {
    assert.deepEqual(
      names.filter((n) => like(n, '_e%')),
      names,
    );
    assert.equal(like('ab', 'a_'), true);
    assert.equal(like('abc', 'a_'), false);
    assert.equal(like('a😀', 'a_'), true);
  });

  it('is anchored and case-sensitive for LIKE', () => {
    assert.equal(like('xabcx', 'abc'), false);
    assert.equal(like('ABC', 'abc'), false);
    assert.equal(like('xyz', 'xY%'), false);
  });

  it('ignores case for ILIKE', () => {
    assert.deepEqual(
      names.filter((n) => ilike(n, 'test_for_search_RM4a%')),
      ['test_for_search_RM4A', 'test_for_search_RM4ab'],
    );
    assert.deepEqual(
      names.filter((n) => ilike(n, '%%')),
      names,
    );
    assert.equal(ilike('xyz', 'xY%'), true);
  });

  it('treats regex metacharacters literally (test_like_pattern_with_plus_character)', () => {
    assert.equal(like('jamie-foo C+W bar', 'jamie-foo C+W bar'), true);
    assert.equal(like('jamie-foo C+W bar', 'jamie-foo C+%'), true);
    assert.equal(like('a.b', 'a.b'), true);
    assert.equal(like('axb', 'a.b'), false);
    assert.equal(like('(x)[y]{z}|^$\\/?*', '(x)[y]{z}|^$\\/?*'), true);
  });

  it('lets % span newlines', () => {
    assert.equal(like('line1\nline2', 'line1%'), true);
  });
});
