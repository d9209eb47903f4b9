import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PythonFloat, pythonIsoFormat, pythonJson, PythonValue } from './python-json';

// The expected texts below are what CPython 3.11's json.dumps and datetime.isoformat printed for the same values.
describe("Python's json.dumps text", () => {
  it('escapes every character outside printable ASCII, keeps dict order and tells floats from ints', () => {
    const floats = [100, 105.5, 1e16, 1e-5, 0.0001, 123456789.125, -0.5, 1.5e300, 1234567890123456, 0.1];
    const value = new Map<string, PythonValue>([
      ['text', 'é\x7f\u2028😀"\\\n\r\t\b\f\x01/ok'],
      ['2', 1],
      ['1', [true, false, null, {}, []]],
      ['floats', floats.map((n) => new PythonFloat(n))],
    ]);
    assert.equal(
      pythonJson(value),
      String.raw`{"text": "\u00e9\u007f\u2028\ud83d\ude00\"\\\n\r\t\b\f\u0001/ok", "2": 1, "1": [true, false, null, {}, []], "floats": [100.0, 105.5, 1e+16, 1e-05, 0.0001, 123456789.125, -0.5, 1.5e+300, 1234567890123456.0, 0.1]}`,
    );
  });

  it('refuses a fraction given as an int, which Python would print otherwise', () => {
    assert.throws(() => pythonJson(0.5), /PythonFloat/);
  });

  it("prints a UTC time as Python's isoformat: microseconds unless zero, +00:00", () => {
    assert.equal(pythonIsoFormat(1764864000000), '2025-12-04T16:00:00+00:00');
    assert.equal(pythonIsoFormat(1764864000007), '2025-12-04T16:00:00.007000+00:00');
  });
});
