import { MetricPoint } from './run.events';

type Point = Pick<MetricPoint, 'key' | 'value' | 'timestamp' | 'step'>;

/** Postgres orders NaN above every number; the stored comparison (latest_metrics) does, so this one does too. */
const orderable = (value: Point['value']) => (value === 'NaN' ? Infinity : Number(value));

function isLater(a: Point, b: Point): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  const [x, y] = [orderable(a.value), orderable(b.value)];
  return x > y || (x === y && a.value === 'NaN' && b.value !== 'NaN');
}

/**
 * The latest point of each metric in one batch, as MLflow picks a run's latest metric: the highest step,
 * then the latest timestamp, then the highest value; in the order the keys first appear.
 */
export function latestPerKey<P extends Point>(metrics: readonly P[]): P[] {
  const latest = new Map<string, P>();
  for (const point of metrics) {
    const held = latest.get(point.key);
    if (!held || isLater(point, held)) latest.set(point.key, point);
  }
  return [...latest.values()];
}
