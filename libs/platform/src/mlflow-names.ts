import { invalidParameter } from './errors';
import { pythonJson } from './http/python-json';

/**
 * MLflow's rules for metric, param and tag keys (mlflow/utils/validation.py), one copy for every service.
 * Python's `\w` is Unicode-aware, so letters and digits of any script are allowed, as MLflow allows them.
 */
const KEY_CHARACTERS = /^[/\p{L}\p{N}_.\- :]*$/u;

const BAD_CHARACTERS =
  'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).';

/**
 * The key rules as a JSON Schema pattern, for the OpenAPI document: '/'-separated segments of ASCII name
 * characters, none empty, '.' or '..', no leading '..' and no leading or trailing slash. The server also
 * takes letters and digits of other scripts; the document states the portable subset.
 */
const NAME_CHARACTER = '[A-Za-z0-9_\\- :]';
const OR_DOT = '[A-Za-z0-9_.\\- :]';
export const KEY_NAME_PATTERN = `^\\.?${NAME_CHARACTER}${OR_DOT}*(?:/(?:\\.?${NAME_CHARACTER}${OR_DOT}*|\\.\\.${OR_DOT}+))*$`;
const PORTABLE_KEY = new RegExp(KEY_NAME_PATTERN);

/** Python's posixpath.normpath, which differs from Node's in dropping a trailing slash and keeping a leading '//'. */
export function pythonNormpath(path: string): string {
  if (path === '') return '.';
  const leadingSlashes = path.startsWith('/') ? (path.startsWith('//') && !path.startsWith('///') ? 2 : 1) : 0;
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    const climbs = part === '..' && (leadingSlashes > 0 || parts.length > 0) && parts.at(-1) !== '..';
    if (!climbs) parts.push(part);
    else if (parts.length > 0) parts.pop();
  }
  return '/'.repeat(leadingSlashes) + parts.join('/') || '.';
}

/** path_not_unique: a name that, treated as a file path, is another name or leaves its folder. */
export function resolvesElsewhere(name: string): boolean {
  const normalized = pythonNormpath(name);
  return normalized !== name || normalized === '.' || normalized.startsWith('..') || normalized.startsWith('/');
}

export const resolvesElsewhereReason = (name: string) =>
  `Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to ${pythonRepr(pythonNormpath(name))}`;

const pythonRepr = (text: string) =>
  text.includes("'") && !text.includes('"') ? `"${text}"` : `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** invalid_value of MLflow: the parameter, the value as compact JSON, and why. */
export const invalidValueBecause = (path: string, value: unknown, reason: string) =>
  invalidParameter(`Invalid value ${pythonJson(value)} for parameter '${path}' supplied: ${reason}`);

/** _validate_tag_name and _validate_param_name: MLflow's characters, and no name that resolves to another path. */
export function validateKeyName(name: string, path = 'key'): void {
  // Nearly every key is a portable one, which cannot resolve elsewhere: the path check is skipped for it.
  if (PORTABLE_KEY.test(name)) return;
  if (!KEY_CHARACTERS.test(name)) throw invalidValueBecause(path, name, BAD_CHARACTERS);
  if (resolvesElsewhere(name)) throw invalidValueBecause(path, name, resolvesElsewhereReason(name));
}
