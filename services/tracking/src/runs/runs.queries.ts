import { Inject, Injectable } from '@nestjs/common';
import { EVERYTHING_READABLE, ReadableSet, readableCondition } from '@logbook/access';
import { Database, invalidParameter, notFound, parseInt8, QueryResult } from '@logbook/platform';
import {
  Clause,
  decodeOffsetToken,
  encodeOffsetToken,
  OrderTerm,
  parseRunFilter,
  parseRunOrderBy,
} from '@logbook/search';
import { KEY_VALUE_INDEX_MAX_BYTES } from '../../migrations/001_initial';
import { lifecycleCondition } from '../experiments/experiments.queries';
import { ViewType } from '../experiments/experiments.dto';
import { checkExperimentId } from '../shared/ids';
import { MAX_RESULTS } from '../shared/limits';
import { checkMaxResults, comparison, SqlParams } from '../shared/sql';
import { DATABASE } from '../shared/tokens';

export interface RunView {
  info: {
    run_id: string;
    run_uuid: string;
    run_name: string;
    experiment_id: string;
    user_id: string;
    status: string;
    start_time: number;
    end_time?: number;
    artifact_uri: string;
    lifecycle_stage: string;
  };
  data: {
    metrics: Array<{ key: string; value: number | string; timestamp: number; step: number }>;
    params: Array<{ key: string; value: string }>;
    tags: Array<{ key: string; value: string }>;
  };
  inputs: {
    dataset_inputs: Array<{ tags: Array<{ key: string; value: string }>; dataset: Record<string, string> }>;
    model_inputs: Array<{ model_id: string }>;
  };
  outputs: { model_outputs: Array<{ model_id: string; step: number }> };
}

interface RunRow {
  run_key: number;
  run_id: string;
  name: string;
  experiment_id: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time: number | null;
  artifact_uri: string;
  lifecycle_stage: 'active' | 'deleted';
}

/** A run's effective lifecycle: it is deleted when it or its experiment is. */
const RUN_LIFECYCLE = `CASE WHEN r.lifecycle_stage = 'deleted' OR e.lifecycle_stage = 'deleted' THEN 'deleted' ELSE 'active' END`;

const RUN_COLUMNS = `r.run_key, r.run_id, r.name, r.experiment_id::text AS experiment_id, r.user_id, r.status,
  r.start_time, r.end_time, r.artifact_uri, ${RUN_LIFECYCLE} AS lifecycle_stage`;

const ATTRIBUTE_COLUMNS: Record<string, string> = {
  run_id: 'r.run_id',
  run_name: 'r.name',
  user_id: 'r.user_id',
  status: 'r.status',
  artifact_uri: 'r.artifact_uri',
  start_time: 'r.start_time',
  end_time: 'r.end_time',
  lifecycle_stage: RUN_LIFECYCLE,
};

const metricKeyId = (key: string, params: SqlParams) =>
  `(SELECT key_id FROM tracking.metric_keys WHERE key = ${params.add(key)})`;

function attributeColumn(key: string): string {
  const column = ATTRIBUTE_COLUMNS[key];
  if (!column) throw invalidParameter(`Invalid attribute key '${key}' specified.`);
  return column;
}

/** A param or tag clause: IS NULL asks whether the run lacks the key, other comparators test its value. */
function keyedValueSql(table: string, alias: string, clause: Clause, params: SqlParams): string {
  const row = `SELECT 1 FROM ${table} WHERE ${alias}.run_key = r.run_key AND ${alias}.key = ${params.add(clause.key)}`;
  if (clause.comparator === 'IS NULL') return `NOT EXISTS (${row})`;
  if (clause.comparator === 'IS NOT NULL') return `EXISTS (${row})`;
  return `EXISTS (${row} AND ${comparison(`${alias}.value`, clause.comparator, clause.value, params)}${keyValueIndexBound(alias, clause)})`;
}

/**
 * An equality whose key and value are short enough to be in the (key, value) index says so in the predicate
 * that index is partial on, so the planner may answer the probe from the index alone; it changes no answer,
 * as a row equal to them has their length.
 */
function keyValueIndexBound(alias: string, clause: Clause): string {
  if (clause.comparator !== '=' || typeof clause.value !== 'string') return '';
  const bytes = Buffer.byteLength(clause.key) + Buffer.byteLength(clause.value);
  if (bytes > KEY_VALUE_INDEX_MAX_BYTES) return '';
  return ` AND octet_length(${alias}.key) + octet_length(${alias}.value) <= ${KEY_VALUE_INDEX_MAX_BYTES}`;
}

function clauseSql(clause: Clause, params: SqlParams): string {
  switch (clause.kind) {
    case 'attribute':
      return comparison(attributeColumn(clause.key), clause.comparator, clause.value, params);
    case 'metric':
      return `EXISTS (SELECT 1 FROM tracking.latest_metrics lm WHERE lm.run_key = r.run_key
        AND lm.key_id = ${metricKeyId(clause.key, params)} AND ${comparison('lm.value', clause.comparator, clause.value, params)})`;
    case 'param':
      return keyedValueSql('tracking.params p', 'p', clause, params);
    case 'tag':
      return keyedValueSql('tracking.run_tags t', 't', clause, params);
    case 'dataset': {
      const column =
        clause.key === 'context'
          ? `(SELECT t->>'value' FROM jsonb_array_elements(ri.tags) t WHERE t->>'key' = 'mlflow.data.context' LIMIT 1)`
          : `d.${clause.key === 'digest' ? 'digest' : 'name'}`;
      return `EXISTS (SELECT 1 FROM tracking.run_inputs ri JOIN tracking.datasets d ON d.dataset_key = ri.dataset_key
        WHERE ri.run_key = r.run_key AND ${comparison(column, clause.comparator, clause.value, params)})`;
    }
  }
}

/** MLflow sorts missing values last in both directions, and NaN after every real number. */
function orderSql(term: OrderTerm, params: SqlParams): string[] {
  const direction = term.ascending ? 'ASC' : 'DESC';
  switch (term.kind) {
    case 'metric': {
      const value = `(SELECT lm.value FROM tracking.latest_metrics lm WHERE lm.run_key = r.run_key AND lm.key_id = ${metricKeyId(term.key, params)})`;
      return [`(${value} IS NULL)`, `(${value} = 'NaN'::float8)`, `${value} ${direction}`];
    }
    case 'param':
      return [
        `(SELECT p.value FROM tracking.params p WHERE p.run_key = r.run_key AND p.key = ${params.add(term.key)}) ${direction} NULLS LAST`,
      ];
    case 'tag':
      return [
        `(SELECT t.value FROM tracking.run_tags t WHERE t.run_key = r.run_key AND t.key = ${params.add(term.key)}) ${direction} NULLS LAST`,
      ];
    default:
      return [`${attributeColumn(term.key)} ${direction} NULLS LAST`];
  }
}

/** One run set of a search in its own order: what it joins, what it adds to the filter, how it sorts. */
interface SearchPart {
  join(params: SqlParams): string;
  where(params: SqlParams): string[];
  orderBy(params: SqlParams): string[];
}

/**
 * The sets a search's pages run through, in order. Ordered by a metric first, runs with a real value come
 * first, then those whose value is NaN, then those without the metric: each set is a query of its own, so
 * the first walks the index of that metric's values and stops at the page's end, where a single ORDER BY
 * on (missing, NaN, value) would look up and sort every run the filter matches.
 */
function searchParts(order: OrderTerm[]): SearchPart[] {
  const [first, ...rest] = order;
  const tail = (params: SqlParams) => {
    const terms = (first?.kind === 'metric' ? rest : order).flatMap((term) => orderSql(term, params));
    if (!order.some((t) => t.kind === 'attribute' && t.key === 'start_time')) terms.push('r.start_time DESC');
    if (!order.some((t) => t.kind === 'attribute' && t.key === 'run_id')) terms.push('r.run_id ASC');
    return terms;
  };
  if (first?.kind !== 'metric') return [{ join: () => '', where: () => [], orderBy: tail }];
  const ordering = (params: SqlParams, value: string) =>
    `JOIN tracking.latest_metrics o ON o.run_key = r.run_key AND o.key_id = ${metricKeyId(first.key, params)} AND o.value ${value}`;
  return [
    {
      join: (params) => ordering(params, `< 'NaN'::float8`),
      where: () => [],
      orderBy: (params) => [`o.value ${first.ascending ? 'ASC' : 'DESC'}`, ...tail(params)],
    },
    { join: (params) => ordering(params, `= 'NaN'::float8`), where: () => [], orderBy: tail },
    {
      join: () => '',
      where: (params) => [
        `NOT EXISTS (SELECT 1 FROM tracking.latest_metrics o WHERE o.run_key = r.run_key AND o.key_id = ${metricKeyId(first.key, params)})`,
      ],
      orderBy: tail,
    },
  ];
}

@Injectable()
export class RunsQueries {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async get(runId: string): Promise<RunView> {
    const [row] = await this.loadRows('r.run_id = $1', [runId]);
    if (!row) throw notFound(`Run with id=${runId} not found`);
    return runView(row);
  }

  /**
   * A page of the runs in the experiments asked for that `readable` lets the caller see: the others are
   * dropped from the request, as MLflow's filter_experiment_ids drops them, in the query before paging.
   */
  async search(
    request: {
      experiment_ids?: string[];
      filter?: string;
      run_view_type?: ViewType;
      max_results?: number;
      order_by?: string[];
      page_token?: string;
    },
    readable: ReadableSet = EVERYTHING_READABLE,
  ): Promise<{ runs: RunView[]; next_page_token?: string }> {
    const maxResults = checkMaxResults(request.max_results, MAX_RESULTS.searchRuns, 'search_runs');
    const clauses = parseRunFilter(request.filter);
    const order = parseRunOrderBy(request.order_by);
    const offset = decodeOffsetToken(request.page_token);
    const experimentIds = (request.experiment_ids ?? []).map(checkExperimentId);
    if (experimentIds.length === 0) return { runs: [] };
    const conditions = (params: SqlParams): string[] => {
      const where = [
        `r.experiment_id = ANY(${params.add(experimentIds)}::bigint[])`,
        lifecycleCondition(request.run_view_type, 'r.lifecycle_stage', 'e.lifecycle_stage'),
        ...clauses.map((clause) => clauseSql(clause, params)),
      ];
      const visible = readableCondition(readable, 'r.experiment_id', params.values, 'bigint');
      return visible ? [...where, visible] : where;
    };
    const { keys, rows } = await this.db.transaction(async (tx) => {
      // Each run is probed once, so memoizing probes only costs; and a query that stops at its page's end gains
      // nothing from parallel workers. Weighing either costs more planning time than the query takes to run.
      await tx.query(
        `SELECT set_config('max_parallel_workers_per_gather', '0', true), set_config('enable_memoize', 'off', true)`,
      );
      const found: number[] = [];
      let skip = offset;
      for (const part of searchParts(order)) {
        const matching = (params: SqlParams) =>
          `FROM tracking.runs r JOIN tracking.experiments e ON e.experiment_id = r.experiment_id ${part.join(params)}
           WHERE ${[...conditions(params), ...part.where(params)].join(' AND ')}`;
        const params = new SqlParams();
        const { rows } = await tx.queryPrepared<{ run_key: number }>(
          `SELECT r.run_key ${matching(params)} ORDER BY ${part.orderBy(params).join(', ')}
           LIMIT ${params.add(maxResults + 1 - found.length)} OFFSET ${params.add(skip)}`,
          params.values,
        );
        found.push(...rows.map((row) => row.run_key));
        if (found.length > maxResults) break;
        if (rows.length > 0 || skip === 0) skip = 0;
        else {
          // The page starts beyond this set: skip what is left of the offset in the next one.
          const countParams = new SqlParams();
          const counted = await tx.queryPrepared<{ runs: number }>(
            `SELECT count(*)::int AS runs ${matching(countParams)}`,
            countParams.values,
          );
          skip = Math.max(0, skip - counted.rows[0].runs);
        }
      }
      const page = found.slice(0, maxResults);
      return {
        keys: found,
        rows:
          page.length > 0
            ? await this.loadRows('r.run_key = ANY($1::int[])', [page], (sql, values) => tx.queryPrepared(sql, values))
            : [],
      };
    });
    const byKey = new Map(rows.map((row) => [row.run_key, row]));
    const runs = keys
      .slice(0, maxResults)
      .map((key) => byKey.get(key))
      .filter((row): row is LoadedRunRow => row !== undefined)
      .map(runView);
    return keys.length > maxResults ? { runs, next_page_token: encodeOffsetToken(offset + maxResults) } : { runs };
  }

  /** The experiment a run belongs to, for commands that need the run's context. */
  async experimentOf(runId: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ experiment_id: string }>(
      `SELECT experiment_id::text AS experiment_id FROM tracking.runs WHERE run_id = $1`,
      [runId],
    );
    return rows[0]?.experiment_id;
  }

  /**
   * Whole runs (info, latest metrics, params, tags, inputs, outputs) in one statement: each run's lists come
   * as JSON arrays of its rows, in the order MLflow lists them. Postgres writes a double as JSON the way
   * protobuf JSON does (NaN and the infinities as strings); int64s come as text, read as the int8 parser reads them.
   */
  private async loadRows(
    condition: string,
    values: unknown[],
    run: (sql: string, values: unknown[]) => Promise<QueryResult<LoadedRunRow>> = (sql) => this.db.query(sql, values),
  ): Promise<LoadedRunRow[]> {
    const { rows } = await run(
      `SELECT ${RUN_COLUMNS},
         (SELECT json_agg(json_build_array(k.key, lm.value, lm.ts::text, lm.step::text) ORDER BY k.key)
          FROM tracking.latest_metrics lm JOIN tracking.metric_keys k ON k.key_id = lm.key_id
          WHERE lm.run_key = r.run_key) AS metrics,
         (SELECT json_agg(json_build_array(p.key, p.value) ORDER BY p.key) FROM tracking.params p
          WHERE p.run_key = r.run_key) AS params,
         (SELECT json_agg(json_build_array(t.key, t.value) ORDER BY t.key) FROM tracking.run_tags t
          WHERE t.run_key = r.run_key) AS tags,
         (SELECT json_agg(json_build_array(ri.tags, d.name, d.digest, d.source_type, d.source, d.schema, d.profile)
                          ORDER BY d.dataset_key)
          FROM tracking.run_inputs ri JOIN tracking.datasets d ON d.dataset_key = ri.dataset_key
          WHERE ri.run_key = r.run_key) AS inputs,
         (SELECT json_agg(json_build_array(m.model_id, m.direction, m.step::text) ORDER BY m.model_id)
          FROM tracking.run_models m WHERE m.run_key = r.run_key) AS models
       FROM tracking.runs r JOIN tracking.experiments e ON e.experiment_id = r.experiment_id WHERE ${condition}`,
      values,
    );
    return rows;
  }
}

interface LoadedRunRow extends RunRow {
  metrics: Array<[key: string, value: number | 'NaN' | 'Infinity' | '-Infinity', ts: string, step: string]> | null;
  params: Array<[key: string, value: string]> | null;
  tags: Array<[key: string, value: string]> | null;
  inputs: Array<
    [
      tags: Array<{ key: string; value: string }>,
      name: string,
      digest: string,
      sourceType: string,
      source: string,
      schema: string | null,
      profile: string | null,
    ]
  > | null;
  models: Array<[modelId: string, direction: string, step: string]> | null;
}

const keyValues = (pairs: Array<[string, string]> | null) => (pairs ?? []).map(([key, value]) => ({ key, value }));

function runView(row: LoadedRunRow): RunView {
  const models = row.models ?? [];
  return {
    info: {
      run_id: row.run_id,
      run_uuid: row.run_id,
      run_name: row.name,
      experiment_id: row.experiment_id,
      user_id: row.user_id,
      status: row.status,
      start_time: row.start_time,
      ...(row.end_time !== null ? { end_time: row.end_time } : {}),
      artifact_uri: row.artifact_uri,
      lifecycle_stage: row.lifecycle_stage,
    },
    data: {
      metrics: (row.metrics ?? []).map(([key, value, ts, step]) => ({
        key,
        value,
        timestamp: parseInt8(ts) as number,
        step: parseInt8(step) as number,
      })),
      params: keyValues(row.params),
      tags: keyValues(row.tags),
    },
    inputs: {
      dataset_inputs: (row.inputs ?? []).map(([tags, name, digest, source_type, source, schema, profile]) => ({
        tags,
        dataset: {
          name,
          digest,
          source_type,
          source,
          ...(schema !== null ? { schema } : {}),
          ...(profile !== null ? { profile } : {}),
        },
      })),
      model_inputs: models.filter(([, direction]) => direction === 'input').map(([model_id]) => ({ model_id })),
    },
    outputs: {
      model_outputs: models
        .filter(([, direction]) => direction === 'output')
        .map(([model_id, , step]) => ({ model_id, step: parseInt8(step) as number })),
    },
  };
}
