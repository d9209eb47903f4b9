import { Inject, Injectable } from '@nestjs/common';
import { Database, invalidParameter } from '@logbook/platform';
import { decodeOffsetToken, encodeOffsetToken } from '@logbook/search';
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

interface PointRow {
  value: number;
  ts: number;
  step: number;
  run_id?: string;
}

@Injectable()
export class MetricsQueries {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** A metric's whole history, or one page of it, in MLflow's order: timestamp, step, value. */
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
    const { rows: runs } = await this.db.query<{ run_key: number }>(
      `SELECT run_key FROM tracking.runs WHERE run_id = $1`,
      [runId],
    );
    if (runs.length === 0) return { metrics: [] };
    const offset = decodeOffsetToken(pageToken);
    const limit = maxResults === undefined ? 'ALL' : String(maxResults + 1);
    const { rows } = await this.db.query<PointRow>(
      `SELECT m.value, m.ts, m.step FROM tracking.metrics m
       WHERE m.run_key = $1 AND m.key_id = (SELECT key_id FROM tracking.metric_keys WHERE key = $2)
       ORDER BY m.ts, m.step, m.value LIMIT ${limit} OFFSET $3`,
      [runs[0].run_key, key, offset],
    );
    const page = maxResults === undefined ? rows : rows.slice(0, maxResults);
    const metrics = page.map((row) => toView(key, row));
    return maxResults !== undefined && rows.length > maxResults
      ? { metrics, next_page_token: encodeOffsetToken(offset + maxResults) }
      : { metrics };
  }

  /**
   * Chart sampling: per run, up to max_results evenly spaced steps of the range (its first and last
   * step always among them), read from the index rather than by scanning every point.
   */
  async bulkInterval(request: {
    run_ids: string[];
    metric_key: string;
    start_step?: number;
    end_step?: number;
    max_results?: number;
  }): Promise<{ metrics: MetricView[] }> {
    const runIds = [...new Set(request.run_ids)];
    if (runIds.length === 0)
      throw invalidParameter('GetMetricHistoryBulkInterval request must specify at least one run_id.');
    if (runIds.length > LIMITS.runIdsPerHistoryRequest) {
      throw invalidParameter(
        `GetMetricHistoryBulkInterval request cannot specify more than ${LIMITS.runIdsPerHistoryRequest} run_ids. Received ${runIds.length} run_ids.`,
      );
    }
    if ((request.start_step === undefined) !== (request.end_step === undefined)) {
      throw invalidParameter('If either start step or end step are specified, both must be specified.');
    }
    if (request.start_step !== undefined && request.end_step !== undefined && request.start_step > request.end_step) {
      throw invalidParameter('end_step must be greater than start_step. ');
    }
    const { fallback, maximum } = MAX_RESULTS.metricHistoryBulkInterval;
    const maxResults = request.max_results ?? fallback;
    if (maxResults <= 0 || maxResults > maximum) {
      throw invalidParameter(`max_results must be between 1 and ${maximum}. Received ${maxResults}.`);
    }
    const { rows } = await this.db.query<PointRow & { run_id: string }>(
      `WITH target AS (
         SELECT r.run_key, r.run_id FROM tracking.runs r WHERE r.run_id = ANY($1::text[])
       ), metric AS (
         SELECT key_id FROM tracking.metric_keys WHERE key = $2
       ), steps AS (
         SELECT DISTINCT t.run_key, m.step FROM target t JOIN tracking.metrics m ON m.run_key = t.run_key
         WHERE m.key_id = (SELECT key_id FROM metric)
           AND ($3::bigint IS NULL OR m.step BETWEEN $3 AND $4)
       ), ranked AS (
         SELECT run_key, step, row_number() OVER w - 1 AS position, count(*) OVER (PARTITION BY run_key) AS total
         FROM steps WINDOW w AS (PARTITION BY run_key ORDER BY step)
       ), sampled AS (
         SELECT run_key, step FROM ranked
         WHERE total <= $5 OR position = total - 1
            OR floor(position * ($5 - 1)::numeric / (total - 1)) <> floor((position - 1) * ($5 - 1)::numeric / (total - 1))
       )
       SELECT t.run_id, m.value, m.ts, m.step FROM sampled s
       JOIN target t ON t.run_key = s.run_key
       JOIN tracking.metrics m ON m.run_key = s.run_key AND m.key_id = (SELECT key_id FROM metric) AND m.step = s.step
       ORDER BY t.run_id, m.step, m.ts`,
      [runIds, request.metric_key, request.start_step ?? null, request.end_step ?? null, maxResults],
    );
    return { metrics: rows.map((row) => ({ ...toView(request.metric_key, row), run_id: row.run_id })) };
  }
}

function toView(key: string, row: PointRow): MetricView {
  return { key, value: wireDouble(row.value), timestamp: row.ts, step: row.step };
}
