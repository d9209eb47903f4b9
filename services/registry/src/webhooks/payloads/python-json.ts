/**
 * JSON text byte-identical to Python's `json.dumps(value)` with its defaults (", " and ": " separators,
 * every character outside printable ASCII escaped), because MLflow signs and sends exactly that text and
 * receivers written for MLflow may compare it. Dicts are ordered maps: Python keeps insertion order even
 * for keys that look like integers, which a JavaScript object would move first.
 */
export type PythonValue =
  | null
  | boolean
  | number
  | string
  | PythonFloat
  | readonly PythonValue[]
  | ReadonlyMap<string, PythonValue>
  | { readonly [key: string]: PythonValue };

/** A number Python holds as a float: `100.0` prints as `100.0`, where an int would print `100`. */
export class PythonFloat {
  constructor(readonly value: number) {}
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

function pythonString(text: string): string {
  const escaped = text.replace(/["\\]|[^\x20-\x7e]/g, (char) => {
    return SHORT_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  return `"${escaped}"`;
}

/** Python's float repr: the shortest digits that round-trip, in exponent form below 1e-4 and from 1e16. */
function pythonFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  const [mantissa, exponentText] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace(/[-.]/g, '');
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const exponentSign = exponent < 0 ? '-' : '+';
    return `${sign}${digits[0]}${fraction}e${exponentSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1) || '0';
  return `${sign}${whole}.${fraction}`;
}

function pythonNumber(value: number): string {
  if (!Number.isSafeInteger(value)) throw new Error(`${value} is not an integer: give floats as PythonFloat`);
  return String(value);
}

export function pythonJson(value: PythonValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return pythonNumber(value);
  if (typeof value === 'string') return pythonString(value);
  if (value instanceof PythonFloat) return pythonFloat(value.value);
  if (Array.isArray(value)) return `[${(value as readonly PythonValue[]).map(pythonJson).join(', ')}]`;
  const entries = value instanceof Map ? [...value] : Object.entries(value);
  return `{${entries.map(([key, item]) => `${pythonString(key)}: ${pythonJson(item as PythonValue)}`).join(', ')}}`;
}

/** Python's `datetime.isoformat()` of a UTC datetime: microseconds shown unless zero, offset `+00:00`. */
export function pythonIsoFormat(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  const seconds = iso.slice(0, 19);
  const milliseconds = epochMs - Math.floor(epochMs / 1000) * 1000;
  const fraction = milliseconds === 0 ? '' : `.${String(milliseconds).padStart(3, '0')}000`;
  return `${seconds}${fraction}+00:00`;
}
