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
    default:
      return `${column} ${comparator} ${typeof value === 'number' ? `${params.add(value)}::float8` : params.add(value)}`;
  }
}
