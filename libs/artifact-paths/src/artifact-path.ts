import { invalidParameter, MlflowError } from '@logbook/platform';

/** S3 caps a key at 1024 UTF-8 bytes, so a longer artifact path could never be stored anyway. */
export const MAX_ARTIFACT_PATH_BYTES = 1024;

// Bounds the decoding work for hostile input: 1024 bytes, each percent-encoded up to three times.
const MAX_RAW_LENGTH = 9 * MAX_ARTIFACT_PATH_BYTES;
const MAX_DECODE_ROUNDS = 10;

// Fragments, path parameters and Windows separators: parsers disagree about all three (CVE-2023-6909,
// CVE-2024-1593, CVE-2023-2780), and no artifact name needs them.
const AMBIGUOUS = /[#;\\]/;
// Controls (C0, DEL, C1), lone surrogates, bidi overrides and invisible characters that disguise a name.
const INVISIBLE = /[\p{Cc}\p{Cs}\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/u;
// Slashes and backslashes that NFKC leaves alone but that render like the ASCII ones.
const UNFOLDED_LOOKALIKES = /[\u0337\u0338\u2044\u2215\u2216\u2571\u2572\u29f5\u29f8\u29f9]/u;
// ASCII that a compatibility character must never fold into: it would become a separator, a dot or an escape.
const SIGNIFICANT_ASCII = /[./\\%#;:?]/;
// `C:`, `C:\`, and URIs such as `file:///etc/passwd` (CVE-2023-1177) or `s3://bucket/...`.
const DRIVE_OR_SCHEME = /^[a-z]:|^[a-z][a-z0-9+.-]*:\//i;

/** MLflow answers every unsafe artifact path with 400 INVALID_PARAMETER_VALUE "Invalid path". */
export const invalidPath = (): MlflowError => invalidParameter('Invalid path');

/**
 * The single gatekeeper for artifact paths taken from URLs and bodies: returns the path as a normalized
 * relative POSIX path (no leading slash, no empty or `.` segments), or throws "Invalid path".
 */
export function resolveArtifactPath(raw: string): string {
  const path = normalize(raw);
  if (path === '') throw invalidPath();
  return path;
}

/** The directory to list: like an artifact path, except that a missing or empty one means the root (''). */
export function resolveListPrefix(raw?: string): string {
  return raw === undefined || raw === '' ? '' : normalize(raw);
}

function normalize(raw: string): string {
  if (typeof raw !== 'string' || raw.length > MAX_RAW_LENGTH) throw invalidPath();
  const decoded = decodeUntilStable(raw);
  if (AMBIGUOUS.test(decoded) || INVISIBLE.test(decoded) || UNFOLDED_LOOKALIKES.test(decoded)) throw invalidPath();
  if (foldsIntoSignificantAscii(decoded)) throw invalidPath();
  if (decoded.startsWith('/') || DRIVE_OR_SCHEME.test(decoded)) throw invalidPath();

  const segments: string[] = [];
  for (const segment of decoded.split('/')) {
    if (segment === '' || segment === '.') continue;
    // Windows trims trailing dots and spaces, so `.. ` is `..` there.
    const trimmed = segment.trim();
    if (trimmed === '..' || trimmed === '.') throw invalidPath();
    segments.push(segment);
  }
  const path = segments.join('/');
  if (Buffer.byteLength(path, 'utf8') > MAX_ARTIFACT_PATH_BYTES) throw invalidPath();
  return path;
}

/** Percent-decodes until nothing changes, so `%252e%252e%252f` cannot survive as `%2e%2e%2f` (CVE-2024-1560). */
function decodeUntilStable(raw: string): string {
  let current = raw;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const decoded = current.replace(/(?:%[0-9a-f]{2})+/gi, decodeEscapes);
    if (decoded === current) return current;
    current = decoded;
  }
  throw invalidPath();
}

function decodeEscapes(run: string): string {
  try {
    return decodeURIComponent(run);
  } catch {
    // Invalid UTF-8, including overlong forms such as `%c0%af` for `/`.
    throw invalidPath();
  }
}

/** True when NFKC would turn a non-ASCII character (U+2024, U+FF0E, U+FF0F...) into a dot, slash or escape. */
function foldsIntoSignificantAscii(path: string): boolean {
  const folded = path.normalize('NFKC');
  if (folded === path) return false;
  for (const char of path) {
    if (char.charCodeAt(0) > 0x7f && SIGNIFICANT_ASCII.test(char.normalize('NFKC'))) return true;
  }
  return folded.split('/').some((segment) => segment.trim() === '..');
}
