import { Inject, Injectable } from '@nestjs/common';
import { Database, invalidParameter } from '@logbook/platform';

const HELP = 'See the API docs for more information about request parameters.';
import { decodeKeysetToken, encodeKeysetToken } from '@logbook/search';
import { LIMITS, MAX_RESULTS } from '../shared/limits';
import { DATABASE } from '../shared/tokens';
import { wireDouble } from '../shared/wire';

export interface MetricView {
  key: string;
  value: number | string;
  timestamp: number;
  step: number;
  run_id?: string;
}

/** The columns a history is ordered by, which name the point a page ends with. */
const HISTORY_ORDER = ['timestamp', 'step', 'value'] as const;

interface PointRow {
  value: number;
  ts: number;
  step: number;
  run_id?: string;
}

@Injectable()
export class MetricsQueries {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * A metric's whole history, or one page of it, in MLflow's order: timestamp, step, value. A page's token
   * names the last point it held, and the next page is the range of the primary key after it, so reading a
   * long history page by page costs each page its own size.
   */
  async history(
    runId: string,
    key: string,
    maxResults: number | undefined,
    pageToken: string | undefined,
  ): Promise<{ metrics: MetricView[]; next_page_token?: string }> {
    const { maximum } = MAX_RESULTS.metricHistory;
    if (maxResults !== undefined && (maxResults <= 0 || maxResults > maximum)) {
      throw invalidParameter(
        `Invalid value ${maxResults} for parameter 'max_results' supplied. It must be a positive integer.`,
      );
    }
    const after = decodeKeysetToken(pageToken, HISTORY_ORDER);
    const { rows: runs } = await this.db.query<{ run_key: number }>(
      `SELECT run_key FROM tracking.runs WHERE run_id = $1`,
      [runId],
    );
    if (runs.length === 0) return { metrics: [] };
    const limit = maxResults === undefined ? 'ALL' : String(maxResults + 1);
    const { rows } = await this.db.query<PointRow>(
      `SELECT m.value, m.ts, m.step FROM tracking.metrics m
       WHERE m.run_key = $1 AND m.key_id = (SELECT key_id FROM tracking.metric_keys WHERE key = $2)
       ${after ? 'AND (m.ts, m.step, m.value) > ($3::bigint, $4::bigint, $5::float8)' : ''}
       ORDER BY m.ts, m.step, m.value LIMIT ${limit}`,
      [runs[0].run_key, key, ...(after ? [after.timestamp, after.step, after.value] : [])],
    );
    const page = maxResults === undefined ? rows : rows.slice(0, maxResults);
    const metrics = page.map((row) => toView(key, row));
    if (maxResults === undefined || rows.length <= maxResults) return { metrics };
    const last = page[page.length - 1];
    return {
      metrics,
      next_page_token: encodeKeysetToken({
        timestamp: String(last.ts),
        step: String(last.step),
        value: String(last.value),
      }),
    };
  }

  /**
   * The UI's charts (ajax-api only): each run's history in MLflow's order, run ids sorted, at most
   * max_results points in all (up to 25,000, as MLflow caps it).
   */
  async bulk(
    runIds: string[],
    key: string | undefined,
    maxResults: number | undefined,
  ): Promise<{ metrics: MetricView[] }> {
    if (runIds.length === 0) throw invalidParameter('GetMetricHistoryBulk request must specify at least one run_id.');
    if (runIds.length > LIMITS.runIdsPerHistoryRequest) {
      throw invalidParameter(
        `GetMetricHistoryBulk request cannot specify more than ${LIMITS.runIdsPerHistoryRequest} run_ids. Received ${runIds.length} run_ids.`,
      );
    }
    if (key === undefined) throw invalidParameter('GetMetricHistoryBulk request must specify a metric_key.');
    const { fallback, maximum } = MAX_RESULTS.metricHistoryBulk;
    const limit = Math.min(maxResults ?? fallback, maximum);
    const { rows } = await this.db.query<PointRow & { run_id: string }>(
      `SELECT r.run_id, m.value, m.ts, m.step FROM tracking.runs r
       JOIN tracking.metrics m ON m.run_key = r.run_key
        AND m.key_id = (SELECT key_id FROM tracking.metric_keys WHERE key = $2)
       WHERE r.run_id = ANY($1::text[])
       ORDER BY r.run_id, m.ts, m.step, m.value LIMIT $3`,
      [runIds, key, Math.max(limit, 0)],
    );
    return { metrics: rows.map((row) => ({ ...toView(key, row), run_id: row.run_id })) };
  }

  /**
   * Chart sampling as MLflow 3.17 samples: per run, the points ordered by step, timestamp and value
   * fall into max_results equal buckets (NTILE) and the first of each is kept; the run's last point
   * replaces the final sample, so the range's ends are always shown.
   */
  async bulkInterval(request: {
    run_ids: string[];
    metric_key: string;
    start_step?: number;
    end_step?: number;
    max_results?: number;
  }): Promise<{ metrics: MetricView[] }> {
    const runIds = request.run_ids;
    if (runIds.length === 0)
      throw invalidParameter('GetMetricHistoryBulkInterval request must specify at least one run_id.');
    if (runIds.length > LIMITS.runIdsPerHistoryRequest) {
      throw invalidParameter(
        `GetMetricHistoryBulkInterval request must specify at most ${LIMITS.runIdsPerHistoryRequest} run_ids. Received ${runIds.length} run_ids. ${HELP}`,
      );
    }
    const { fallback, maximum } = MAX_RESULTS.metricHistoryBulkInterval;
    const maxResults = request.max_results ?? fallback;
    if (maxResults <= 0 || maxResults > maximum) {
      throw invalidParameter(`max_results must be between 1 and ${maximum}. ${HELP}`);
    }
    const { start_step: start, end_step: end } = request;
    if (start !== undefined && end !== undefined && start > end) {
      throw invalidParameter(
        `end_step must be greater than start_step. Found start_step=${start} and end_step=${end}.`,
      );
    }
    if ((start === undefined) !== (end === undefined)) {
      throw invalidParameter('If either start step or end step are specified, both must be specified.');
    }
    const { rows } = await this.db.query<PointRow & { run_id: string; run_order: number }>(
      `WITH target AS (
         SELECT r.run_key, r.run_id, min(u.ordinality) AS run_order
         FROM unnest($1::text[]) WITH ORDINALITY u(run_id, ordinality)
         JOIN tracking.runs r ON r.run_id = u.run_id GROUP BY r.run_key, r.run_id
       ), points AS (
         SELECT t.run_key, m.value, m.ts, m.step,
                ntile($5) OVER (PARTITION BY t.run_key ORDER BY m.step, m.ts, m.value) AS bucket,
                row_number() OVER (PARTITION BY t.run_key ORDER BY m.step DESC, m.ts DESC, m.value DESC) AS from_end
         FROM target t JOIN tracking.metrics m ON m.run_key = t.run_key
         WHERE m.key_id = (SELECT key_id FROM tracking.metric_keys WHERE key = $2)
           AND ($3::bigint IS NULL OR m.step BETWEEN $3 AND $4)
       ), firsts AS (
         SELECT *, row_number() OVER (PARTITION BY run_key, bucket ORDER BY step, ts, value) AS in_bucket
         FROM points
       ), sampled AS (
         SELECT *, count(*) OVER (PARTITION BY run_key) AS taken,
                row_number() OVER (PARTITION BY run_key ORDER BY step DESC, ts DESC, value DESC) AS sample_from_end
         FROM firsts WHERE in_bucket = 1 OR from_end = 1
       )
       SELECT t.run_id, t.run_order, s.value, s.ts, s.step FROM sampled s JOIN target t ON t.run_key = s.run_key
       -- the last point displaces the final bucket's first one once max_results are taken
       WHERE NOT (s.taken > $5 AND s.sample_from_end = 2)
       ORDER BY t.run_order, s.step, s.ts, s.value`,
      [runIds, request.metric_key, start ?? null, end ?? null, maxResults],
    );
    return { metrics: rows.map((row) => ({ ...toView(request.metric_key, row), run_id: row.run_id })) };
  }
}

function toView(key: string, row: PointRow): MetricView {
  return { key, value: wireDouble(row.value), timestamp: row.ts, step: row.step };
}
