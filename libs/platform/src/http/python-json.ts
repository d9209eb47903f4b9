/**
 * Values in MLflow's validation messages are printed by Python's `json.dumps(value, sort_keys=True,
 * separators=(",", ":"))` applied to what Python's JSON parser read. Python keeps `9.0` a float and `9`
 * an int, which JSON.parse cannot tell apart, so the number literals of a parsed body are looked up in
 * its source text, and only when a message needs them.
 */

const sourceTexts = new WeakMap<object, string>();

/** Remembers the text a parsed JSON body came from, for messages about its values. */
export function rememberSourceText(parsed: unknown, text: string): void {
  if (parsed !== null && typeof parsed === 'object') sourceTexts.set(parsed, text);
}

/** Where a value sits in a request, as validation messages name it: `tags[0].value`. */
export type LiteralLookup = (path: string) => string | undefined;

/** The number literals of a remembered body by path, or nothing for a body that was not parsed from text. */
export function numberLiteralsOf(parsed: unknown): LiteralLookup | undefined {
  const text = parsed !== null && typeof parsed === 'object' ? sourceTexts.get(parsed) : undefined;
  if (text === undefined) return undefined;
  let literals: Map<string, string> | undefined;
  return (path) => (literals ??= scanNumberLiterals(text)).get(path);
}

interface Container {
  path: string;
  isArray: boolean;
  index: number;
  key?: string;
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/y;

/** One linear pass over valid JSON (JSON.parse has accepted it), recording each number literal by path. */
function scanNumberLiterals(text: string): Map<string, string> {
  const found = new Map<string, string>();
  const stack: Container[] = [];
  const valuePath = () => {
    const top = stack.at(-1);
    if (!top) return '';
    if (top.isArray) return `${top.path}[${top.index}]`;
    return top.path ? `${top.path}.${top.key}` : (top.key ?? '');
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const top = stack.at(-1);
      if (top && !top.isArray && top.key === undefined) top.key = JSON.parse(text.slice(i, end + 1)) as string;
      i = end + 1;
    } else if (c === '{' || c === '[') {
      stack.push({ path: valuePath(), isArray: c === '[', index: 0 });
      i++;
    } else if (c === '}' || c === ']') {
      stack.pop();
      i++;
    } else if (c === ',') {
      const top = stack.at(-1);
      if (top?.isArray) top.index++;
      else if (top) top.key = undefined;
      i++;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const literal = NUMBER.exec(text)?.[0] ?? c;
      found.set(valuePath(), literal);
      i += literal.length;
    } else {
      i++;
    }
  }
  return found;
}

const isFloatLiteral = (value: number, literal: string | undefined) =>
  literal !== undefined ? /[.eE]/.test(literal) : !Number.isSafeInteger(value);

/** Python's name for the type of a JSON value: `int` or `float` as the literal was written. */
export function pythonTypeName(value: unknown, literal?: string): string {
  if (value === null || value === undefined) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'number') return isFloatLiteral(value, literal) ? 'float' : 'int';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'str';
  return 'dict';
}

/** `json.dumps` with its defaults: ASCII only, `\uXXXX` escapes in lower-case hex. */
const asciiString = (text: string) =>
  JSON.stringify(text).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** Python's repr of a float: the shortest round-trip digits, in exponent form below 1e-4 and from 1e16. */
export function pythonFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  const [mantissa, exponentText] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  // JavaScript prints fixed notation across this whole range too; Python adds '.0' to whole numbers.
  const fixed = Object.is(value, -0) ? '-0' : String(value);
  return fixed.includes('.') ? fixed : `${fixed}.0`;
}

function pythonNumber(value: number, literal: string | undefined): string {
  if (!isFloatLiteral(value, literal)) return literal !== undefined ? BigInt(literal).toString() : String(value);
  return pythonFloat(value);
}

/** The value as MLflow's messages print it. */
export function pythonJson(value: unknown, literalAt?: LiteralLookup, path = ''): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return pythonNumber(value, literalAt?.(path));
  if (typeof value === 'string') return asciiString(value);
  if (Array.isArray(value)) {
    return `[${value.map((item, index) => pythonJson(item, literalAt, `${path}[${index}]`)).join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  const entries = Object.keys(record)
    .sort()
    .map((key) => `${asciiString(key)}:${pythonJson(record[key], literalAt, path ? `${path}.${key}` : key)}`);
  return `{${entries.join(',')}}`;
}
