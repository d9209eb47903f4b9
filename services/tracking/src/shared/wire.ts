import { Tag } from '../experiments/experiment.events';

/** MLflow's JSON for doubles: non-finite values are protobuf JSON strings. */
export function wireDouble(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

export function tagList(rows: Array<{ key: string; value: string }>): Tag[] {
  return rows.map((r) => ({ key: r.key, value: r.value }));
}

/** Groups rows by a key column, keeping row order. */
export function groupBy<Row, Key>(rows: Row[], keyOf: (row: Row) => Key): Map<Key, Row[]> {
  const groups = new Map<Key, Row[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}
