import { Inject, Injectable } from '@nestjs/common';
import { EVERYTHING_READABLE, ReadableSet, readableCondition } from '@logbook/access';
import { Database, invalidParameter, notFound } from '@logbook/platform';
import { Clause, decodeOffsetToken, encodeOffsetToken, parseLoggedModelFilter } from '@logbook/search';
import { checkExperimentId } from '../shared/ids';
import { MAX_RESULTS } from '../shared/limits';
import { checkMaxResults, comparison, SqlParams } from '../shared/sql';
import { DATABASE } from '../shared/tokens';
import { groupBy, tagList, wireDouble } from '../shared/wire';
import { DatasetFilterDto, OrderByDto } from './logged-models.dto';

interface LoggedModelRow {
  model_id: string;
  experiment_id: string;
  name: string;
  artifact_uri: string;
  status: string;
  status_message: string | null;
  model_type: string | null;
  source_run_id: string | null;
  creation_time: number;
  last_updated_time: number;
}

export interface LoggedModelView {
  info: Record<string, unknown>;
  data: { params: Array<{ key: string; value: string }>; metrics: Array<Record<string, unknown>> };
}

const COLUMNS = `m.model_id, m.experiment_id::text AS experiment_id, m.name, m.artifact_uri, m.status, m.status_message,
  m.model_type, m.source_run_id, m.creation_time, m.last_updated_time`;

const ATTRIBUTES: Record<string, string> = {
  name: 'm.name',
  model_id: 'm.model_id',
  model_type: 'm.model_type',
  status: 'm.status',
  source_run_id: 'm.source_run_id',
  creation_timestamp: 'm.creation_time',
  creation_time: 'm.creation_time',
  last_updated_timestamp: 'm.last_updated_time',
  last_updated_time: 'm.last_updated_time',
};

function attribute(key: string): string {
  const column = ATTRIBUTES[key];
  if (!column) throw invalidParameter(`Invalid attribute key '${key}' specified.`);
  return column;
}

function datasetScope(datasets: DatasetFilterDto[] | undefined, params: SqlParams, alias: string): string {
  if (!datasets || datasets.length === 0) return 'TRUE';
  const options = datasets.map((d) =>
    d.dataset_digest
      ? `(${alias}.dataset_name = ${params.add(d.dataset_name)} AND ${alias}.dataset_digest = ${params.add(d.dataset_digest)})`
      : `${alias}.dataset_name = ${params.add(d.dataset_name)}`,
  );
  return `(${options.join(' OR ')})`;
}

function clauseSql(clause: Clause, datasets: DatasetFilterDto[] | undefined, params: SqlParams): string {
  switch (clause.kind) {
    case 'metric':
      return `EXISTS (SELECT 1 FROM tracking.model_metrics mm WHERE mm.model_id = m.model_id AND mm.key = ${params.add(clause.key)}
        AND ${datasetScope(datasets, params, 'mm')} AND ${comparison('mm.value', clause.comparator, clause.value, params)})`;
    case 'param':
      return `EXISTS (SELECT 1 FROM tracking.logged_model_params p WHERE p.model_id = m.model_id AND p.key = ${params.add(clause.key)}
        AND ${comparison('p.value', clause.comparator, clause.value, params)})`;
    case 'tag':
      return `EXISTS (SELECT 1 FROM tracking.logged_model_tags t WHERE t.model_id = m.model_id AND t.key = ${params.add(clause.key)}
        AND ${comparison('t.value', clause.comparator, clause.value, params)})`;
    default:
      return comparison(attribute(clause.key), clause.comparator, clause.value, params);
  }
}

function orderSql(order: OrderByDto, params: SqlParams): string {
  const direction = order.ascending === false ? 'DESC' : 'ASC';
  if (order.field_name.startsWith('metrics.')) {
    const key = order.field_name.slice('metrics.'.length);
    const scope = order.dataset_name
      ? datasetScope([{ dataset_name: order.dataset_name, dataset_digest: order.dataset_digest }], params, 'mm')
      : 'TRUE';
    return `(SELECT mm.value FROM tracking.model_metrics mm WHERE mm.model_id = m.model_id AND mm.key = ${params.add(key)}
      AND ${scope} ORDER BY mm.step DESC, mm.ts DESC LIMIT 1) ${direction} NULLS LAST`;
  }
  return `${attribute(order.field_name)} ${direction}`;
}

@Injectable()
export class LoggedModelsQueries {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async get(modelId: string): Promise<LoggedModelView> {
    const [model] = await this.load(`m.model_id = $1 AND m.lifecycle_stage = 'active'`, [modelId]);
    if (!model) throw notFound(`Logged model with ID '${modelId}' not found.`);
    return model;
  }

  /** A page of the models `readable` lets the caller see, filtered before paging (MLflow's filter_search_logged_models). */
  async search(
    request: {
      experiment_ids: string[];
      filter?: string;
      datasets?: DatasetFilterDto[];
      max_results?: number;
      order_by?: OrderByDto[];
      page_token?: string;
    },
    readable: ReadableSet = EVERYTHING_READABLE,
  ): Promise<{ models: LoggedModelView[]; next_page_token?: string }> {
    const maxResults = checkMaxResults(request.max_results, MAX_RESULTS.searchLoggedModels, 'search_logged_models');
    const offset = decodeOffsetToken(request.page_token);
    const params = new SqlParams();
    const experimentIds = request.experiment_ids.map(checkExperimentId);
    const clauses = parseLoggedModelFilter(request.filter);
    const where = [
      `m.experiment_id = ANY(${params.add(experimentIds)}::bigint[])`,
      `m.lifecycle_stage = 'active'`,
      ...clauses.map((clause) => clauseSql(clause, request.datasets, params)),
    ];
    const visible = readableCondition(readable, 'm.experiment_id', params.values, 'bigint');
    if (visible) where.push(visible);
    // Datasets scope the metric clauses; without one, MLflow keeps the models with any metric on them.
    if (request.datasets?.length && !clauses.some((clause) => clause.kind === 'metric')) {
      where.push(
        `EXISTS (SELECT 1 FROM tracking.model_metrics mm WHERE mm.model_id = m.model_id AND ${datasetScope(request.datasets, params, 'mm')})`,
      );
    }
    const orderBy = (request.order_by ?? []).map((order) => orderSql(order, params));
    orderBy.push('m.creation_time DESC', 'm.model_id ASC');
    const { rows } = await this.db.query<{ model_id: string }>(
      `SELECT m.model_id FROM tracking.logged_models m WHERE ${where.join(' AND ')} ORDER BY ${orderBy.join(', ')}
       LIMIT ${params.add(maxResults + 1)} OFFSET ${params.add(offset)}`,
      params.values,
    );
    const ids = rows.slice(0, maxResults).map((r) => r.model_id);
    const byId = new Map((await this.load('m.model_id = ANY($1::text[])', [ids])).map((m) => [m.info.model_id, m]));
    const models = ids.map((id) => byId.get(id)).filter((m): m is LoggedModelView => m !== undefined);
    return rows.length > maxResults ? { models, next_page_token: encodeOffsetToken(offset + maxResults) } : { models };
  }

  private async load(condition: string, values: unknown[]): Promise<LoggedModelView[]> {
    const { rows } = await this.db.query<LoggedModelRow>(
      `SELECT ${COLUMNS} FROM tracking.logged_models m WHERE ${condition}`,
      values,
    );
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.model_id);
    const [tags, params, metrics] = await Promise.all([
      this.db.query<{ model_id: string; key: string; value: string }>(
        `SELECT model_id, key, value FROM tracking.logged_model_tags WHERE model_id = ANY($1::text[]) ORDER BY key`,
        [ids],
      ),
      this.db.query<{ model_id: string; key: string; value: string }>(
        `SELECT model_id, key, value FROM tracking.logged_model_params WHERE model_id = ANY($1::text[]) ORDER BY key`,
        [ids],
      ),
      this.db.query<{
        model_id: string;
        run_id: string;
        key: string;
        value: number;
        ts: number;
        step: number;
        dataset_name: string | null;
        dataset_digest: string | null;
      }>(
        `SELECT model_id, run_id, key, value, ts, step, dataset_name, dataset_digest FROM tracking.model_metrics
         WHERE model_id = ANY($1::text[]) ORDER BY key, step, ts`,
        [ids],
      ),
    ]);
    const tagsById = groupBy(tags.rows, (t) => t.model_id);
    const paramsById = groupBy(params.rows, (p) => p.model_id);
    const metricsById = groupBy(metrics.rows, (m) => m.model_id);
    return rows.map((row) => ({
      info: {
        model_id: row.model_id,
        experiment_id: row.experiment_id,
        name: row.name,
        creation_timestamp_ms: row.creation_time,
        last_updated_timestamp_ms: row.last_updated_time,
        artifact_uri: row.artifact_uri,
        status: row.status,
        ...(row.status_message !== null ? { status_message: row.status_message } : {}),
        ...(row.model_type !== null ? { model_type: row.model_type } : {}),
        ...(row.source_run_id !== null ? { source_run_id: row.source_run_id } : {}),
        tags: tagList(tagsById.get(row.model_id) ?? []),
      },
      data: {
        params: tagList(paramsById.get(row.model_id) ?? []),
        metrics: (metricsById.get(row.model_id) ?? []).map((m) => ({
          key: m.key,
          value: wireDouble(m.value),
          timestamp: m.ts,
          step: m.step,
          run_id: m.run_id,
          model_id: m.model_id,
          ...(m.dataset_name !== null ? { dataset_name: m.dataset_name } : {}),
          ...(m.dataset_digest !== null ? { dataset_digest: m.dataset_digest } : {}),
        })),
      },
    }));
  }
}
