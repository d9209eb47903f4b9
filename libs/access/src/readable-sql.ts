import { ReadableSet } from './decisions';

/**
 * A listing's SQL condition for what its caller may read: null when they may read everything, else a
 * condition on `column` with the ids as one array parameter, appended to `params`. In the query itself,
 * before paging, so every page is full and page tokens stay valid.
 */
export function readableCondition(
  set: ReadableSet,
  column: string,
  params: unknown[],
  idType: 'text' | 'bigint' = 'text',
): string | null {
  if (set.all && set.except.length === 0) return null;
  const ids = set.all ? set.except : set.only;
  // A grant may name an id no bigint column can hold; it names no row there either.
  const usable = idType === 'bigint' ? ids.filter(isInt64) : ids;
  params.push(usable);
  const matches = `${column} = ANY($${params.length}::${idType}[])`;
  return set.all ? `NOT (${matches})` : matches;
}

const INT64_MAX = 2n ** 63n - 1n;
const isInt64 = (id: string) => /^-?\d{1,19}$/.test(id) && BigInt(id) <= INT64_MAX && BigInt(id) >= -INT64_MAX - 1n;
