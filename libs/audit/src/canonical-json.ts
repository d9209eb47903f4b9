/**
 * The JSON Canonicalization Scheme (RFC 8785): object members sorted by the UTF-16 code units of their
 * names, no whitespace, numbers in ECMAScript's shortest round-trip form and strings escaped as
 * JSON.stringify escapes them. Equal values give equal bytes, whatever order their keys were built in or
 * how a database stored them, so a hash over this text survives a round trip through jsonb.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`Not representable in JSON: ${value}`);
      // ECMAScript's Number.prototype.toString is RFC 8785's number form (and gives -0 as 0).
      return JSON.stringify(value);
    case 'string':
      return canonicalString(value);
    case 'object':
      if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
      return canonicalObject(value as Record<string, unknown>);
    default:
      throw new TypeError(`Not representable in JSON: ${typeof value}`);
  }
}

/** In a `u` pattern a surrogate pair is one code point, so only a lone surrogate is of category Cs. */
const LONE_SURROGATE = /\p{Cs}/u;

function canonicalString(text: string): string {
  if (LONE_SURROGATE.test(text)) throw new TypeError('Not representable in JSON: a string with a lone surrogate');
  return JSON.stringify(text);
}

function canonicalObject(object: Record<string, unknown>): string {
  const members = Object.keys(object)
    .filter((key) => object[key] !== undefined)
    // Array.prototype.sort without a comparator orders by UTF-16 code units, as RFC 8785 asks.
    .sort()
    .map((key) => `${canonicalString(key)}:${canonicalJson(object[key])}`);
  return `{${members.join(',')}}`;
}
