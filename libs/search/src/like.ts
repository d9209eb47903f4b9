const REGEXP_SYNTAX = /[\\^$.*+?()[\]{}|/]/;

/**
 * SQL LIKE pattern as an anchored RegExp: `%` is any run of characters, `_` exactly one;
 * everything else is literal (there is no escape character, as in MLflow's in-memory matching).
 */
export function likeToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  let source = '';
  for (const ch of pattern) {
    if (ch === '%') source += '.*';
    else if (ch === '_') source += '.';
    else source += REGEXP_SYNTAX.test(ch) ? `\\${ch}` : ch;
  }
  return new RegExp(`^${source}$`, caseInsensitive ? 'isu' : 'su');
}
