import { invalidParameter } from '../errors';
import { rememberSourceText } from './python-json';

/** No MLflow request nests deeper than a handful of levels; this bound keeps every recursive walk safe. */
export const MAX_JSON_DEPTH = 64;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Parses a JSON request body as MLflow's server does (an empty body reads as {}, a JSON string holding
 * JSON is decoded twice), refusing with 400 what Postgres could not store or a parser could not survive:
 * invalid UTF-8, nesting deeper than MAX_JSON_DEPTH, and strings holding U+0000 or unpaired surrogates.
 */
export function parseJsonBody(body: Buffer): unknown {
  let text: string;
  try {
    text = strictUtf8.decode(body);
  } catch {
    throw invalidParameter('Malformed request body: it is not valid UTF-8');
  }
  if (text.trim() === '') return {};
  const parsed = parseBounded(text);
  if (typeof parsed === 'string') {
    const inner = parseBounded(parsed);
    assertStorableStrings(inner);
    rememberSourceText(inner, parsed);
    return inner;
  }
  if (SUSPECT_ESCAPE.test(text)) assertStorableStrings(parsed);
  rememberSourceText(parsed, text);
  return parsed;
}

function parseBounded(text: string): unknown {
  assertNestingDepth(text);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidParameter(`Malformed JSON body: ${(error as Error).message}`);
  }
}

/** Counts brackets outside string literals; linear, and never recursive itself. */
function assertNestingDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c /* \ */) i++;
      else if (code === 0x22 /* " */) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x7b /* { */ || code === 0x5b /* [ */) {
      if (++depth > MAX_JSON_DEPTH) {
        throw invalidParameter(`Malformed JSON body: it nests deeper than ${MAX_JSON_DEPTH} levels`);
      }
    } else if (code === 0x7d /* } */ || code === 0x5d /* ] */) {
      depth--;
    }
  }
}

// JSON can only carry NUL or a lone surrogate as a \u escape; bodies without one skip the walk.
const SUSPECT_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && !UNPAIRED_SURROGATE.test(text);
}

/**
 * Postgres text and jsonb hold neither U+0000 nor unpaired surrogates, so such a string could never be
 * stored; it is refused naming the field it came in, before anything is written.
 */
export function assertStorableStrings(value: unknown): void {
  const found = unstorablePath(value);
  if (found !== undefined) {
    const path = found.replace(/^\./, '') || 'body';
    throw invalidParameter(
      `Invalid value for parameter '${path}' supplied: text may not contain the NUL character (U+0000) or unpaired UTF-16 surrogates`,
    );
  }
}

/** The path of the first unstorable string (keys included), or undefined; built only on the way out of a hit. */
function unstorablePath(value: unknown): string | undefined {
  if (typeof value === 'string') return isStorableText(value) ? undefined : '';
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const inner = unstorablePath(value[index]);
      if (inner !== undefined) return `[${index}]${inner}`;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const inner = isStorableText(key) ? unstorablePath(item) : '';
      if (inner !== undefined) return `.${key}${inner}`;
    }
  }
  return undefined;
}
