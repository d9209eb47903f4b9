import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tokenize } from './tokens';

const kinds = (source: string): string[] => tokenize(source).map((token) => `${token.kind}:${token.value}`);

describe('tokenize', () => {
  it('groups dotted and quoted names into one identifier', () => {
    assert.deepEqual(kinds('metrics.`f1 score` tags."user-name" `metric`.a tags.mlflow.runName'), [
      'ident:metrics.`f1 score`',
      'ident:tags."user-name"',
      'ident:`metric`.a',
      'ident:tags.mlflow.runName',
    ]);
  });

  it('reads strings, numbers, operators, keywords and lists', () => {
    assert.deepEqual(kinds("a>=-1.5e3 AND b != 'x''y' and c not in ('p', ')') OR d NoT LiKe 'z'"), [
      'ident:a',
      'op:>=',
      'number:-1.5e3',
      'keyword:AND',
      'ident:b',
      'op:!=',
      "string:'x''y'",
      'keyword:AND',
      'ident:c',
      'keyword:NOT',
      'keyword:IN',
      "list:('p', ')')",
      'keyword:OR',
      'ident:d',
      'op:NOT LIKE',
      "string:'z'",
    ]);
  });

  it('turns unterminated quotes and parentheses into error tokens', () => {
    assert.deepEqual(kinds("'abc"), ["error:'", 'ident:abc']);
    assert.deepEqual(kinds('(a'), ['error:(', 'ident:a']);
    assert.deepEqual(kinds('`x'), ['error:`', 'ident:x']);
  });

  it('does not read names that start with digits as numbers', () => {
    assert.deepEqual(kinds('1abc 12 .5'), ['ident:1abc', 'number:12', 'number:.5']);
  });
});
