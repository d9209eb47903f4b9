import { JsonSchema } from './openapi-metadata';

/**
 * Int64 fields take integers within ±(2^53−1) only: beyond that a JSON number can no longer be read
 * exactly, so the server refuses it rather than store a value the client did not send.
 */
export const INT64_BOUND = Number.MAX_SAFE_INTEGER;

/** Canonical decimal forms (no sign, no leading zero) of the integers 1..max, as regex alternatives. */
function positiveAtMost(max: number): string[] {
  const digits = String(max);
  const alternatives: string[] = [];
  if (digits.length > 1) alternatives.push(digits.length === 2 ? '[1-9]' : `[1-9][0-9]{0,${digits.length - 2}}`);
  for (let i = 0; i < digits.length; i++) {
    const lowest = i === 0 ? 1 : 0;
    const digit = Number(digits[i]);
    if (digit <= lowest) continue;
    const rest = digits.length - i - 1;
    alternatives.push(`${digits.slice(0, i)}[${lowest}-${digit - 1}]${rest > 0 ? `[0-9]{${rest}}` : ''}`);
  }
  alternatives.push(digits);
  return alternatives;
}

/** A regex for the decimal strings (leading zeros allowed) whose value lies in [minimum, maximum]. */
export function integerStringPattern(minimum: number, maximum: number): string {
  const forms: string[] = [];
  if (minimum < 0) forms.push(`-0*(?:${positiveAtMost(-minimum).join('|')})`);
  if (minimum <= 0) forms.push('-?0+');
  if (maximum > 0) forms.push(`0*(?:${positiveAtMost(maximum).join('|')})`);
  return `^(?:${forms.join('|')})$`;
}

/** An int64 request field: a JSON integer, or its decimal string as protobuf JSON sends it. */
export function int64Schema(range: { minimum?: number; maximum?: number }, inBody: boolean): JsonSchema {
  const minimum = range.minimum ?? -INT64_BOUND;
  const maximum = range.maximum ?? INT64_BOUND;
  const number: JsonSchema = { type: 'integer', format: 'int64', minimum, maximum };
  if (!inBody) return number;
  return { anyOf: [number, { type: 'string', pattern: integerStringPattern(minimum, maximum) }] };
}

/** Doubles: JSON numbers, the protobuf JSON strings of the non-finite ones, or a number's decimal string. */
export const DOUBLE_SCHEMA: JsonSchema = {
  anyOf: [
    { type: 'number' },
    { type: 'string', pattern: '^(?:NaN|-?Infinity|\\s*-?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][-+]?[0-9]+)?\\s*)$' },
  ],
};

/** Enums are taken by name or by number (1-based), as protobuf JSON allows. */
export function enumSchema(names: readonly string[], inBody: boolean): JsonSchema {
  const numbers = names.map((_, index) => String(index + 1));
  if (!inBody) return { type: 'string', enum: [...names, ...numbers] };
  return {
    anyOf: [
      { type: 'string', enum: [...names, ...numbers] },
      { type: 'integer', minimum: 1, maximum: names.length },
    ],
  };
}

/** Text fields refuse U+0000; a field with a pattern of its own states what it takes instead. */
export const NO_NUL_PATTERN = '^[^\\u0000]*$';
