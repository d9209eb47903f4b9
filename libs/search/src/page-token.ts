import { SearchSyntaxError } from './filter';

/** MLflow's offset token: base64 of Python's `json.dumps({"offset": N})`, space included. */
export function encodeOffsetToken(offset: number): string {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError(`Page offset must be a non-negative integer, got ${offset}`);
  }
  return Buffer.from(`{"offset": ${offset}}`, 'utf8').toString('base64');
}

function base64Decode(token: string): string {
  // Python's b64decode ignores characters outside the alphabet but insists on padding.
  const compact = token.replace(/[^A-Za-z0-9+/=]/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
    throw new SearchSyntaxError('Invalid page token, could not base64-decode');
  }
  return Buffer.from(compact, 'base64').toString('utf8');
}

function toOffset(raw: unknown): number {
  if (typeof raw === 'number') return raw;
  return typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
}

/** A token's JSON, and its text for the messages about it. */
function tokenJson(token: string): { decoded: string; parsed: unknown } {
  const decoded = base64Decode(token);
  try {
    return { decoded, parsed: JSON.parse(decoded) };
  } catch {
    throw new SearchSyntaxError(`Invalid page token, decoded value=${decoded}`);
  }
}

/** Offset encoded in `token`; 0 for a missing or empty token. */
export function decodeOffsetToken(token: string | undefined): number {
  if (!token) return 0;
  const { decoded, parsed } = tokenJson(token);
  const raw = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).offset : undefined;
  if (raw === undefined || raw === null) {
    throw new SearchSyntaxError(`Invalid page token, parsed value=${decoded}`);
  }
  const offset = toOffset(raw);
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new SearchSyntaxError(`Invalid page token, offset is not a non-negative integer: ${JSON.stringify(raw)}`);
  }
  return offset;
}

/**
 * A token for the page that starts after a row: base64 of JSON naming the row by the columns the pages are
 * ordered by, as decimal strings, so that int64 and float8 values (NaN and infinities included) go round exactly.
 */
export function encodeKeysetToken(after: Record<string, string>): string {
  return Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64');
}

/** The row a keyset token names, by the columns given; undefined for a missing or empty token. */
export function decodeKeysetToken<Column extends string>(
  token: string | undefined,
  columns: readonly Column[],
): Record<Column, string> | undefined {
  if (!token) return undefined;
  const { decoded, parsed } = tokenJson(token);
  const after = typeof parsed === 'object' && parsed !== null ? (parsed as { after?: unknown }).after : undefined;
  const row = typeof after === 'object' && after !== null ? (after as Record<string, unknown>) : {};
  if (!columns.every((column) => typeof row[column] === 'string')) {
    throw new SearchSyntaxError(`Invalid page token, parsed value=${decoded}`);
  }
  return row as Record<Column, string>;
}
