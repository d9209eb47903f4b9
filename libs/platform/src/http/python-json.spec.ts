import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJsonBody } from './json-body';
import { numberLiteralsOf, pythonFloat, pythonJson, pythonTypeName } from './python-json';
import { parseRequest, StringField } from './validation';

class Base {
  @StringField('required') run_id?: string;
}

class Derived extends Base {
  @StringField('required') key?: string;
  @StringField() value?: string;
}

const refusal = (body: string) => {
  try {
    parseRequest(Derived, parseJsonBody(Buffer.from(body)));
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
};

describe('values printed as Python prints them', () => {
  it('prints strings as json.dumps: double quotes, ASCII only', () => {
    assert.equal(pythonJson('é"\n\x7f'), '"\\u00e9\\"\\n\\u007f"');
  });

  it('prints floats as Python’s repr', () => {
    const cases: [number, string][] = [
      [9, '9.0'],
      [123.456, '123.456'],
      [1e16, '1e+16'],
      [1.5e16, '1.5e+16'],
      [1e15, '1000000000000000.0'],
      [0.0001, '0.0001'],
      [1.5e-5, '1.5e-05'],
      [-0, '-0.0'],
      [NaN, 'NaN'],
      [-Infinity, '-Infinity'],
    ];
    for (const [value, printed] of cases) assert.equal(pythonFloat(value), printed, String(value));
  });

  it('keeps a number written with a fraction or exponent a float, and sorts object keys', () => {
    const body = parseJsonBody(Buffer.from('{"a": [9.0, 9, 1e2, {"z": 2.50, "b": "x"}], "c": 12345678901234567890}'));
    const literals = numberLiteralsOf(body);
    const record = body as Record<string, unknown>;
    assert.equal(pythonJson(record.a, literals, 'a'), '[9.0,9,100.0,{"b":"x","z":2.5}]');
    assert.equal(pythonJson(record.c, literals, 'c'), '12345678901234567890');
    assert.equal(pythonTypeName(9, literals?.('a[0]')), 'float');
    assert.equal(pythonTypeName(9, literals?.('a[1]')), 'int');
  });

  it('reports the first field in the base class’s order, with the value as MLflow prints it', () => {
    assert.match(refusal('{"run_id": 31, "key": "k", "value": 41}') ?? '', /^Invalid value 31 for parameter 'run_id'/);
    assert.match(
      refusal('{"run_id": "r", "key": "k", "value": 9.0}') ?? '',
      /^Invalid value 9\.0 for parameter 'value' supplied: {2}Hint: Value was of type 'float'\./,
    );
    assert.match(
      refusal('{"run_id": "r", "key": "5", "value": ["5"]}') ?? '',
      /^Invalid value \["5"\] for parameter 'value'/,
    );
    assert.match(refusal('{"key": 3}') ?? '', /^Missing value for required parameter 'run_id'/);
  });
});
