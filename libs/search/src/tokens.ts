// Lexer shared by the filter and order_by parsers. It mirrors how MLflow's sqlparse-based
// parser sees a filter: dotted names (with "double-quoted" or `backticked` parts) form one
// identifier token, '...' is a string, and a parenthesised group is a single list token.

export type TokenKind = 'ident' | 'string' | 'number' | 'op' | 'keyword' | 'list' | 'punct' | 'error';

export interface Token {
  kind: TokenKind;
  /** Source text, quotes included. */
  text: string;
  /** `text` for most kinds; upper-cased, single-spaced for keywords and word operators. */
  value: string;
}

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'IS', 'NULL', 'TRUE', 'FALSE']);
const WORD_OPERATORS = new Set(['LIKE', 'ILIKE', 'RLIKE']);
const NAME_CHAR = /[\p{L}\p{N}_$#]/u;
const NAME = /[\p{L}\p{N}_$#]+/uy;
const NUMBER = /-?(?:\d+(?:\.\d+)?[eE][-+]?\d+|\d+\.\d*|\.\d+|\d+)/y;
const OPERATOR = /[<>=~!]+/y;
const WHITESPACE = /\s+/y;

/** Index just past the closing quote of the quoted run starting at `start`, or -1. */
export function scanQuoted(source: string, start: number): number {
  const quote = source[start];
  for (let i = start + 1; i < source.length; i++) {
    const ch = source[i];
    if (ch === '\\' && quote !== '`') {
      i++;
    } else if (ch === quote) {
      if (source[i + 1] !== quote) return i + 1;
      i++; // a doubled quote stands for itself
    }
  }
  return -1;
}

export function isQuoted(text: string, quote: string): boolean {
  return text.length >= 2 && text.startsWith(quote) && text.endsWith(quote);
}

/** MLflow only trims the surrounding quotes; escapes inside are kept verbatim. */
export function stripQuotes(text: string): string {
  return isQuoted(text, "'") || isQuoted(text, '"') ? text.slice(1, -1) : text;
}

export function trimBackticks(text: string): string {
  return isQuoted(text, '`') ? text.slice(1, -1) : text;
}

function scanParenthesis(source: string, start: number): number {
  let depth = 0;
  for (let i = start; i < source.length; i++) {
    const ch = source[i];
    if (ch === "'" || ch === '"' || ch === '`') {
      const end = scanQuoted(source, i);
      if (end < 0) return -1;
      i = end - 1;
    } else if (ch === '(') {
      depth++;
    } else if (ch === ')' && --depth === 0) {
      return i + 1;
    }
  }
  return -1;
}

function matchAt(pattern: RegExp, source: string, start: number): string | undefined {
  pattern.lastIndex = start;
  return pattern.exec(source)?.[0];
}

/** End of one identifier part (a name, "symbol" or `quoted name`) at `start`, or -1. */
function scanIdentifierPart(source: string, start: number): number {
  const ch = source[start];
  if (ch === '"' || ch === '`') return scanQuoted(source, start);
  const name = matchAt(NAME, source, start);
  return name ? start + name.length : -1;
}

function scanIdentifier(source: string, start: number): number {
  let end = scanIdentifierPart(source, start);
  while (end > 0 && source[end] === '.') {
    const next = scanIdentifierPart(source, end + 1);
    if (next < 0) break;
    end = next;
  }
  return end;
}

function wordToken(text: string): Token {
  const upper = text.toUpperCase();
  if (KEYWORDS.has(upper)) return { kind: 'keyword', text, value: upper };
  if (WORD_OPERATORS.has(upper)) return { kind: 'op', text, value: upper };
  return { kind: 'ident', text, value: text };
}

function readToken(source: string, start: number): Token {
  const ch = source[start];
  const single = (kind: TokenKind): Token => ({ kind, text: ch, value: ch });

  if (ch === "'") {
    const end = scanQuoted(source, start);
    if (end < 0) return single('error');
    const text = source.slice(start, end);
    return { kind: 'string', text, value: text };
  }
  if (ch === '(') {
    const end = scanParenthesis(source, start);
    if (end < 0) return single('error');
    const text = source.slice(start, end);
    return { kind: 'list', text, value: text };
  }
  const number = matchAt(NUMBER, source, start);
  const afterNumber = number === undefined ? '' : source.charAt(start + number.length);
  if (number !== undefined && !NAME_CHAR.test(afterNumber)) {
    return { kind: 'number', text: number, value: number };
  }
  const operator = matchAt(OPERATOR, source, start);
  if (operator) return { kind: 'op', text: operator, value: operator };
  if (ch === '"' || ch === '`' || NAME_CHAR.test(ch)) {
    const end = scanIdentifier(source, start);
    if (end < 0) return single('error');
    const text = source.slice(start, end);
    return /^[\p{L}\p{N}_$#]+$/u.test(text) ? wordToken(text) : { kind: 'ident', text, value: text };
  }
  return single(ch === ',' || ch === ';' || ch === '.' || ch === ')' ? 'punct' : 'error');
}

/**
 * `NOT LIKE` style operators are one comparator (which no entity accepts), and `NOT NULL` one keyword,
 * as in sqlparse. The keyword keeps its spacing: MLflow only accepts `IS NOT NULL` with one space.
 */
function mergeNegations(tokens: Token[], source: string, starts: number[]): Token[] {
  const merged: Token[] = [];
  const mergedStarts: number[] = [];
  tokens.forEach((token, index) => {
    const previous = merged[merged.length - 1];
    const negates = previous?.value === 'NOT' && previous.kind === 'keyword';
    if (negates && WORD_OPERATORS.has(token.value) && token.kind === 'op') {
      merged[merged.length - 1] = { kind: 'op', text: `${previous.text} ${token.text}`, value: `NOT ${token.value}` };
    } else if (negates && token.value === 'NULL' && token.kind === 'keyword') {
      const text = source.slice(mergedStarts[mergedStarts.length - 1], starts[index] + token.text.length);
      merged[merged.length - 1] = { kind: 'keyword', text, value: text.toUpperCase() };
    } else {
      merged.push(token);
      mergedStarts.push(starts[index]);
    }
  });
  return merged;
}

/** Splits `source` into tokens, dropping whitespace. Never throws: bad input yields 'error' tokens. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const starts: number[] = [];
  let position = 0;
  while (position < source.length) {
    const space = matchAt(WHITESPACE, source, position);
    if (space) {
      position += space.length;
      continue;
    }
    const token = readToken(source, position);
    tokens.push(token);
    starts.push(position);
    position += token.text.length;
  }
  return mergeNegations(tokens, source, starts);
}
