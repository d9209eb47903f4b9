import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MlflowError } from '../errors';
import { MAX_JSON_DEPTH, parseJsonBody } from './json-body';

const parse = (text: string) => parseJsonBody(Buffer.from(text, 'utf8'));
const refusal = (text: string | Buffer, fragment: string) =>
  assert.throws(
    () => parseJsonBody(typeof text === 'string' ? Buffer.from(text, 'utf8') : text),
    (error: unknown) =>
      error instanceof MlflowError && error.errorCode === 'INVALID_PARAMETER_VALUE' && error.message.includes(fragment),
  );

describe('JSON request bodies', () => {
  it('reads an empty body as {} and decodes a JSON string holding JSON twice, as MLflow does', () => {
    assert.deepEqual(parse('  '), {});
    assert.deepEqual(parse(JSON.stringify(JSON.stringify({ name: 'x' }))), { name: 'x' });
  });

  it('takes nesting up to the bound and refuses one level more, whatever the bracket kind', () => {
    const nested = (depth: number) => '['.repeat(depth - 1) + '{"a":1}' + ']'.repeat(depth - 1);
    assert.doesNotThrow(() => parse(nested(MAX_JSON_DEPTH)));
    refusal(nested(MAX_JSON_DEPTH + 1), `deeper than ${MAX_JSON_DEPTH}`);
    refusal(JSON.stringify(nested(MAX_JSON_DEPTH + 1)), `deeper than ${MAX_JSON_DEPTH}`);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ value: '\\"' + '['.repeat(1000) });
    assert.deepEqual(parse(text), { value: '\\"' + '['.repeat(1000) });
  });

  it('refuses NUL and unpaired surrogates anywhere, naming the field, and keeps paired ones', () => {
    refusal('{"tags": [{"key": "k", "value": "a\\u0000"}]}', "'tags[0].value'");
    refusal('{"name": "a\\ud800b"}', "'name'");
    refusal('{"name": "a\\udc00"}', "'name'");
    refusal('{"a\\u0000": 1}', "'a\u0000'");
    refusal(JSON.stringify(JSON.stringify({ name: 'x\u0000' })), 'NUL');
    assert.deepEqual(parse('{"name": "\\ud83d\\ude00"}'), { name: '\u{1f600}' });
    assert.deepEqual(parse('{"name": "\\\\u0000"}'), { name: '\\u0000' }, 'an escaped backslash is plain text');
  });

  it('refuses bytes that are not UTF-8 instead of replacing them', () => {
    refusal(Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), 'not valid UTF-8');
  });

  it('refuses malformed JSON with the parser message', () => {
    refusal('{"run_id": ', 'Malformed JSON body');
  });
});
