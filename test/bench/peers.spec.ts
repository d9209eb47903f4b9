import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ComparisonRow, issueTargets, medianRows } from './peers';

const ingestRow = (values: ComparisonRow['values']): ComparisonRow => ({
  id: 'ingest',
  workload: '(1) log-batch ingestion',
  unit: 'points/s',
  better: 'higher',
  values,
  ratios: {},
});

describe('peers comparison over several rounds', () => {
  it('takes each figure as the median of the rounds and computes the ratios from the medians', () => {
    const [row] = medianRows([
      [ingestRow({ mlflow: 8_000, fasttrackml: 40_000, distributed: 90_000 })],
      [ingestRow({ mlflow: 7_000, fasttrackml: 45_000, distributed: 60_000 })],
      [ingestRow({ mlflow: 9_000, fasttrackml: 43_000, distributed: 85_000 })],
    ]);
    assert.deepEqual(row.values, { mlflow: 8_000, fasttrackml: 43_000, distributed: 85_000 });
    assert.equal(row.ratios['distributed/fasttrackml'], 1.98);
    assert.equal(row.ratios['distributed/mlflow'], 10.63);
  });

  it('leaves a target out of a round it failed in, and averages the middle two of an even count', () => {
    const [row] = medianRows([
      [ingestRow({ fasttrackml: 40_000, embedded: 30_000 })],
      [ingestRow({ fasttrackml: 44_000 })],
    ]);
    assert.deepEqual(row.values, { fasttrackml: 42_000, embedded: 30_000 });
  });
});

describe("issue 15's targets", () => {
  const check = (rows: ComparisonRow[], target: string, searchRuns = 10_000) =>
    issueTargets(rows, { searchRuns, searchReaders: 4 }).find((c) => c.target.startsWith(target));
  const searchRow = (values: ComparisonRow['values']): ComparisonRow => ({
    id: 'searchP50',
    workload: '(2) search_runs over 100,000 runs p50',
    unit: 'ms',
    better: 'lower',
    values,
    ratios: {},
  });

  it('holds the ingestion target against FastTrackML only at twice its figure', () => {
    const met = medianRows([[ingestRow({ fasttrackml: 40_000, distributed: 80_000 })]]);
    const missed = medianRows([[ingestRow({ fasttrackml: 40_000, distributed: 79_000 })]]);
    assert.equal(check(met, 'ingestion, distributed: at least 2x')?.holds, true);
    assert.equal(check(missed, 'ingestion, distributed: at least 2x')?.holds, false);
  });

  it('measures the embedded shape against the distributed one', () => {
    const rows = medianRows([[ingestRow({ distributed: 100_000, embedded: 79_000 })]]);
    assert.deepEqual(check(rows, 'ingestion, embedded'), {
      target: 'ingestion, embedded: within 20% of distributed',
      holds: false,
      measured: '79% of distributed',
    });
  });

  it('says a target was not measured rather than judging it', () => {
    const rows = medianRows([[ingestRow({ distributed: 100_000 })]]);
    assert.equal(check(rows, 'history paged, distributed')?.holds, undefined);
    assert.equal(check(rows, 'history paged, distributed')?.measured, 'not measured');
  });

  it('checks search against MLflow only at the 100,000 runs the issue sets it at', () => {
    const rows = medianRows([[searchRow({ mlflow: 400, distributed: 19, embedded: 45 })]]);
    assert.equal(check(rows, 'search over', 10_000), undefined);
    assert.deepEqual(check(rows, 'search over 100,000 runs, distributed: at least 10x MLflow', 100_000), {
      target: 'search over 100,000 runs, distributed: at least 10x MLflow',
      holds: true,
      measured: '21.05x',
    });
    assert.equal(check(rows, 'search over 100,000 runs, embedded: p50 under 20 ms', 100_000)?.holds, false);
    assert.equal(check(rows, 'search over 100,000 runs, embedded: at least 10x MLflow', 100_000)?.holds, false);
    assert.equal(check(rows, 'search over 100,000 runs, embedded: p50 under 50 ms', 100_000)?.holds, undefined);
  });
});
