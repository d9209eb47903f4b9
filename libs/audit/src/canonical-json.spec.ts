import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson } from './canonical-json';

describe('canonicalJson (RFC 8785)', () => {
  it('sorts members by UTF-16 code units, at every depth, without whitespace', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }),
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
    // RFC 8785 §3.2.3: "\u20ac" (U+20AC) sorts before "\ud83d\ude00" (a surrogate pair) by code units.
    assert.equal(canonicalJson({ '😀': 1, '€': 2, '\r': 3, '1': 4 }), '{"\\r":3,"1":4,"€":2,"😀":1}');
  });

  it("writes numbers in ECMAScript's shortest round-trip form", () => {
    assert.equal(
      canonicalJson([1.0, -0, 1e21, 1e-7, 0.1, 333333333.3333333, 5e-324, -1.5e300]),
      '[1,0,1e+21,1e-7,0.1,333333333.3333333,5e-324,-1.5e+300]',
    );
  });

  it('escapes strings as JSON.stringify does, keeping other characters as they are', () => {
    assert.equal(canonicalJson('a"b\\c\n\u0001é'), '"a\\"b\\\\c\\n\\u0001é"');
  });

  it('leaves out undefined members and writes undefined array items as null, as JSON does', () => {
    assert.equal(canonicalJson({ a: undefined, b: [undefined] }), '{"b":[null]}');
  });

  it('refuses what JSON cannot carry', () => {
    assert.throws(() => canonicalJson(Number.NaN), TypeError);
    assert.throws(() => canonicalJson(Infinity), TypeError);
    assert.throws(() => canonicalJson('\ud800'), TypeError);
    assert.throws(() => canonicalJson({ f: () => 1 }), TypeError);
  });

  it('gives the same text for the same value however its keys were ordered', () => {
    assert.equal(canonicalJson({ x: 1, y: [true, false] }), canonicalJson(JSON.parse('{"y":[true,false],"x":1.0}')));
  });
});
