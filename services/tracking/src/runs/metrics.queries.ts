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
type HistoryPoint = Record<(typeof HISTORY_ORDER)[number], string>;

/**
 * The points of a history one statement reads: an answer holds at most this many in memory, however long
 * the history or the page asked for. MLflow's client reads a whole history in pages of this size
 * (GET_METRIC_HISTORY_MAX_RESULTS), so each of its pages is one statement, answered whole.
 */
export const HISTORY_CHUNK_POINTS = 25_000;

/** A get-history answer as JSON text: whole when one chunk holds it, else its pieces in order. */
export type HistoryAnswer = string | AsyncIterable<string>;

/** The answer with no points: protobuf JSON leaves the empty list out. */
const NO_POINTS = '{}';

/** An int64 as the app's serializer writes it: a number within ±(2^53 − 1), else its exact decimal string. */
const int64Json = (column: string) =>
  `CASE WHEN ${column} BETWEEN -9007199254740991 AND 9007199254740991 THEN ${column}::text ELSE '"' || ${column} || '"' END`;

/**
 * One point as the other metric reads answer it ({key, value, timestamp, step}), written by Postgres so
 * the service handles a chunk as one string. Doubles are Postgres's shortest exact text (what the driver
 * parses anyway), the non-finite ones protobuf JSON strings, and -0 is 0 as JSON.stringify writes it.
 */
const POINT_JSON = `$3::text || CASE WHEN value = 0 THEN '0'
    WHEN value IN ('NaN', 'Infinity', '-Infinity') THEN '"' || value || '"' ELSE value::text END
  || ',"timestamp":' || ${int64Json('ts')} || ',"step":' || ${int64Json('step')} || '}'`;

/**
 * Up to $4 points of one series after a point (when given), in history order, as one string of JSON
 * objects separated by commas; and, when there are $4, the last of them and whether more follow. Both
 * are index range scans in one statement, so they see the same points. The points reach string_agg in
 * the order of the subquery, which Postgres keeps where the aggregate's level joins nothing: an ORDER BY
 * inside the aggregate would sort them all again (Postgres 15), doubling the statement's time.
 */
const chunkQuery = (after: boolean) => {
  const series = `FROM tracking.metrics m WHERE m.run_key = $1 AND m.key_id = $2
    ${after ? 'AND (m.ts, m.step, m.value) > ($5::bigint, $6::bigint, $7::float8)' : ''}
    ORDER BY m.ts, m.step, m.value`;
  return `
  SELECT page.json, edge.ts, edge.step, edge.value, coalesce(edge.more, false) AS more
  FROM (SELECT string_agg(${POINT_JSON}, ',') AS json
        FROM (SELECT m.ts, m.step, m.value ${series} LIMIT $4::int) points) page
  LEFT JOIN (SELECT e.ts, e.step, e.value, count(*) OVER () = 2 AS more
             FROM (SELECT m.ts, m.step, m.value ${series} OFFSET $4::int - 1 LIMIT 2) e
             ORDER BY e.ts, e.step, e.value LIMIT 1) edge ON true`;
};

interface HistorySeries {
  runKey: number;
  keyId: number;
  /** The start of every point's JSON object, up to its value. */
  pointPrefix: string;
}

interface HistoryChunk {
  json: string | null;
  /** Whether points follow the chunk, which then held all it was asked for. */
  more: boolean;
  /** The chunk's last point, as a page token names it; known when more follow. */
  last?: HistoryPoint;
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

  /**
   * A metric's whole history, or one page of it, in MLflow's order: timestamp, step, value. A page's token
   * names the last point it held, and the next page is the range of the primary key after it, so reading a
   * long history page by page costs each page its own size. An answer longer than one chunk is read chunk
   * by chunk, each after the last point of the one before, and written as it is read: a failure after the
   * first chunk cuts the answer off unfinished, so no client mistakes it for a shorter history.
   */
  async history(
    runId: string,
    key: string,
    maxResults: number | undefined,
    pageToken: string | undefined,
  ): Promise<HistoryAnswer> {
    const { maximum } = MAX_RESULTS.metricHistory;
    if (maxResults !== undefined && (maxResults <= 0 || maxResults > maximum)) {
      throw invalidParameter(
        `Invalid value ${maxResults} for parameter 'max_results' supplied. It must be a positive integer.`,
      );
    }
    const after = decodeKeysetToken(pageToken, HISTORY_ORDER);
    const { rows } = await this.db.query<{ run_key: number; key_id: number | null }>(
      `SELECT r.run_key, k.key_id FROM tracking.runs r
       LEFT JOIN tracking.metric_keys k ON k.key = $2 WHERE r.run_id = $1`,
      [runId, key],
    );
    if (rows.length === 0 || rows[0].key_id === null) return NO_POINTS;
    const series: HistorySeries = {
      runKey: rows[0].run_key,
      keyId: rows[0].key_id,
      pointPrefix: `{"key":${JSON.stringify(key)},"value":`,
    };
    const limit = maxResults ?? Infinity;
    const size = Math.min(limit, HISTORY_CHUNK_POINTS);
    const first = await this.historyChunk(series, after, size);
    if (first.json === null) return NO_POINTS;
    if (first.more && size < limit) return this.streamedHistory(series, first, limit - size);
    return `{"metrics":[${first.json}${historyEnd(first)}`;
  }

  private async *streamedHistory(series: HistorySeries, first: HistoryChunk, remaining: number) {
    yield `{"metrics":[${first.json}`;
    let chunk = first;
    while (chunk.more && remaining > 0) {
      const size = Math.min(remaining, HISTORY_CHUNK_POINTS);
      chunk = await this.historyChunk(series, chunk.last, size);
      remaining -= size;
      if (chunk.json !== null) yield `,${chunk.json}`;
    }
    yield historyEnd(chunk);
  }

  private async historyChunk(
    series: HistorySeries,
    after: HistoryPoint | undefined,
    points: number,
  ): Promise<HistoryChunk> {
    const { rows } = await this.db.query<{
      json: string | null;
      more: boolean;
      ts: number | string | null;
      step: number | string | null;
      value: number | null;
    }>(chunkQuery(after !== undefined), [
      series.runKey,
      series.keyId,
      series.pointPrefix,
      points,
      ...(after ? [after.timestamp, after.step, after.value] : []),
    ]);
    const [chunk] = rows;
    return {
      json: chunk.json,
      more: chunk.more,
      ...(chunk.more
        ? { last: { timestamp: String(chunk.ts), step: String(chunk.step), value: String(chunk.value) } }
        : {}),
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

/** What closes an answer's list of points: the page token after its last point while more follow. */
function historyEnd(last: HistoryChunk): string {
  return last.last ? `],"next_page_token":${JSON.stringify(encodeKeysetToken(last.last))}}` : ']}';
}

function toView(key: string, row: PointRow): MetricView {
  return { key, value: wireDouble(row.value), timestamp: row.ts, step: row.step };
}
