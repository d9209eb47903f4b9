import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KEY_NAME_PATTERN, pythonNormpath, resolvesElsewhere, validateKeyName } from './mlflow-names';

const refusal = (name: string) => {
  try {
    validateKeyName(name);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
};

describe('MLflow key names', () => {
  it('normalizes paths as Python does: a trailing slash dropped, a leading double slash kept', () => {
    assert.equal(pythonNormpath('a/'), 'a');
    assert.equal(pythonNormpath('//a/./b/../c'), '//a/c');
    assert.equal(pythonNormpath('///a'), '/a');
    assert.equal(pythonNormpath('../a/..'), '..');
    assert.equal(pythonNormpath(''), '.');
  });

  it('takes letters and digits of any script, as Python’s Unicode \\w does', () => {
    for (const name of ['iä', 'モデル/精度', 'x²', 'a b:c-d.e_f/g']) assert.equal(refusal(name), undefined, name);
  });

  it('refuses other characters, quoting the key as MLflow’s json.dumps does', () => {
    assert.equal(
      refusal('ä*'),
      'Invalid value "\\u00e4*" for parameter \'key\' supplied: Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).',
    );
    assert.match(refusal('a\u0005') ?? '', /Names may only contain/);
  });

  it('refuses names that a path would resolve elsewhere, with what they resolve to', () => {
    assert.match(refusal('a/') ?? '', /This name would resolve to 'a'$/);
    assert.match(refusal('') ?? '', /This name would resolve to '\.'$/);
    for (const name of ['/a', '../a', 'a/../b', 'a//b', './a', '.']) assert.ok(refusal(name), name);
  });

  it('documents a pattern matching exactly the ASCII names the server takes', () => {
    const documented = new RegExp(KEY_NAME_PATTERN);
    const names = ['loss', 'a/b', 'a/b/', 'x.y', '...', '.a', 'a.', 'm: 1', '/a', 'a//b', './a', 'a/.', '..', '.'];
    const more = ['..a', 'a/..x', 'a/...', 'a/.b', 'a/../b', 'a\\b', 'a?b', ''];
    for (const name of [...names, ...more]) {
      assert.equal(documented.test(name), refusal(name) === undefined, JSON.stringify(name));
    }
  });

  it('the pattern, which also lets the server skip the path check, takes no name the path rules refuse', () => {
    const documented = new RegExp(KEY_NAME_PATTERN);
    const byPathRules = (name: string) => /^[\w.\- :/]*$/.test(name) && !resolvesElsewhere(name);
    const names = [''];
    for (let length = 1; length <= 6; length++) {
      for (const prefix of names.filter((name) => name.length === length - 1)) {
        for (const character of ['a', '.', '/', ' ']) names.push(prefix + character);
      }
    }
    for (const name of names) assert.equal(documented.test(name), byPathRules(name), JSON.stringify(name));
  });
});
