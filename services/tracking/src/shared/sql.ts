import { invalidParameter } from '@logbook/platform';
import { Comparator } from '@logbook/search';

/** Collects positional parameters while SQL text is assembled, so values never enter the text. */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** `column <comparator> value` with the value bound as a parameter. */
export function comparison(column: string, comparator: Comparator, value: unknown, params: SqlParams): string {
  switch (comparator) {
    case 'IN':
      return `${column} = ANY(${params.add(value)}::text[])`;
    case 'NOT IN':
      return `NOT (${column} = ANY(${params.add(value)}::text[]))`;
    case 'IS NULL':
    case 'IS NOT NULL':
      return `${column} ${comparator}`;
    case '=':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=':
    case 'LIKE':
    case 'ILIKE':
      return `${column} ${comparator} ${typeof value === 'number' ? numberParameter(value, params) : params.add(value)}`;
  }
}

/**
 * A filter's number may be fractional or beyond bigint (`start_time > 1.5`, `end_time < 1e20`); as a
 * double it compares with bigint and double columns alike instead of failing the cast to the column's type.
 */
function numberParameter(value: number, params: SqlParams): string {
  return `${params.add(value)}::float8`;
}

/** MLflow's max_results bounds, with its wording. */
export function checkMaxResults(
  value: number | undefined,
  bounds: { fallback: number; maximum: number },
  what: string,
): number {
  const { fallback, maximum } = bounds;
  const max = value ?? fallback;
  if (!Number.isInteger(max) || max <= 0 || max > maximum) {
    throw invalidParameter(
      `Invalid value ${max} for parameter 'max_results' supplied. It must be at most ${maximum} and positive for ${what}.`,
    );
  }
  return max;
}
