import { Inject, Injectable } from '@nestjs/common';
import { EVERYTHING_READABLE, ReadableSet, readableCondition } from '@logbook/access';
import { Database, invalidParameter, notFound } from '@logbook/platform';
import {
  Clause,
  decodeOffsetToken,
  encodeOffsetToken,
  parseExperimentFilter,
  parseExperimentOrderBy,
} from '@logbook/search';
import { checkExperimentId } from '../shared/ids';
import { LIMITS, MAX_RESULTS } from '../shared/limits';
import { checkMaxResults, comparison, SqlParams } from '../shared/sql';
import { DATABASE } from '../shared/tokens';
import { groupBy, tagList } from '../shared/wire';
import { ViewType } from './experiments.dto';

export interface ExperimentView {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  last_update_time: number;
  creation_time: number;
  tags: Array<{ key: string; value: string }>;
}

interface ExperimentRow {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: 'active' | 'deleted';
  creation_time: number;
  last_update_time: number;
}

const COLUMNS = `experiment_id::text AS experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time`;

/**
 * The rows a view type selects. A run is deleted when it or its experiment is, so it takes both
 * columns; plain comparisons (not a CASE) keep the planner's row estimates right.
 */
export function lifecycleCondition(viewType: ViewType | undefined, ...columns: string[]): string {
  if (viewType === 'ALL') return 'TRUE';
  if (viewType === 'DELETED_ONLY') return `(${columns.map((c) => `${c} = 'deleted'`).join(' OR ')})`;
  return columns.map((c) => `${c} = 'active'`).join(' AND ');
}

/** Experiment ids as bigints; the parser has checked they are integers, as Python's int() reads them. */
function experimentIdValue(value: Clause['value']): string | string[] {
  const toBigint = (id: string) => BigInt(id.trim().replace(/_/g, '')).toString();
  return Array.isArray(value) ? value.map(toBigint) : toBigint(String(value));
}

function clauseSql(clause: Clause, params: SqlParams): string {
  if (clause.kind === 'tag') {
    const row = `SELECT 1 FROM tracking.experiment_tags t WHERE t.experiment_id = e.experiment_id AND t.key = ${params.add(clause.key)}`;
    if (clause.comparator === 'IS NULL') return `NOT EXISTS (${row})`;
    if (clause.comparator === 'IS NOT NULL') return `EXISTS (${row})`;
    return `EXISTS (${row} AND ${comparison('t.value', clause.comparator, clause.value, params)})`;
  }
  if (clause.key !== 'experiment_id') return comparison(`e.${clause.key}`, clause.comparator, clause.value, params);
  const ids = experimentIdValue(clause.value);
  switch (clause.comparator) {
    case 'IN':
      return `e.experiment_id = ANY(${params.add(ids)}::bigint[])`;
    case 'NOT IN':
      return `NOT (e.experiment_id = ANY(${params.add(ids)}::bigint[]))`;
    default:
      return `e.experiment_id ${clause.comparator} ${params.add(ids)}::bigint`;
  }
}

@Injectable()
export class ExperimentsQueries {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async findRow(experimentId: string): Promise<ExperimentRow | undefined> {
    const { rows } = await this.db.query<ExperimentRow>(
      `SELECT ${COLUMNS} FROM tracking.experiments WHERE experiment_id = $1`,
      [checkExperimentId(experimentId)],
    );
    return rows[0];
  }

  async nameTaken(name: string): Promise<boolean> {
    const { rows } = await this.db.query(`SELECT 1 FROM tracking.experiments WHERE name = $1`, [name]);
    return rows.length > 0;
  }

  async get(experimentId: string): Promise<ExperimentView> {
    const row = await this.findRow(experimentId);
    if (!row) throw notFound(`No Experiment with id=${experimentId} exists`);
    return (await this.withTags([row]))[0];
  }

  async getByName(name: string): Promise<ExperimentView> {
    const { rows } = await this.db.query<ExperimentRow>(`SELECT ${COLUMNS} FROM tracking.experiments WHERE name = $1`, [
      name,
    ]);
    if (rows.length === 0) throw notFound(`Could not find experiment with name '${name}'`);
    return (await this.withTags(rows))[0];
  }

  /**
   * The datasets the UI lists for experiments: each distinct (experiment, name, digest, context) of the
   * runs' inputs, the context being the input's `mlflow.data.context` tag.
   */
  async searchDatasets(experimentIds: string[]) {
    if (experimentIds.length === 0) {
      throw invalidParameter('SearchDatasets request must specify at least one experiment_id.');
    }
    if (experimentIds.length > LIMITS.experimentIdsPerDatasetSearch) {
      throw invalidParameter(
        `SearchDatasets request cannot specify more than ${LIMITS.experimentIdsPerDatasetSearch} experiment_ids. Received ${experimentIds.length} experiment_ids.`,
      );
    }
    const ids = experimentIds.filter((id) => /^\d{1,18}$/.test(id));
    const { rows } = await this.db.query<{
      experiment_id: string;
      name: string;
      digest: string;
      context: string | null;
    }>(
      `SELECT DISTINCT d.experiment_id::text AS experiment_id, d.name, d.digest, context.value AS context
       FROM tracking.datasets d
       JOIN tracking.run_inputs i ON i.dataset_key = d.dataset_key
       LEFT JOIN LATERAL (
         SELECT tag->>'value' AS value FROM jsonb_array_elements(i.tags) tag WHERE tag->>'key' = 'mlflow.data.context'
       ) context ON true
       WHERE d.experiment_id = ANY($1::bigint[])
       LIMIT ${LIMITS.datasetSummaries}`,
      [ids],
    );
    return {
      dataset_summaries: rows.map(({ context, ...summary }) => (context === null ? summary : { ...summary, context })),
    };
  }

  /** A page of the experiments `readable` lets the caller see, filtered before paging so every page is full. */
  async search(
    request: {
      max_results?: number;
      page_token?: string;
      filter?: string;
      order_by?: string[];
      view_type?: ViewType;
    },
    readable: ReadableSet = EVERYTHING_READABLE,
  ): Promise<{ experiments: ExperimentView[]; next_page_token?: string }> {
    const maxResults = checkMaxResults(request.max_results, MAX_RESULTS.searchExperiments, 'experiments');
    const clauses = parseExperimentFilter(request.filter);
    const order = parseExperimentOrderBy(request.order_by);
    const offset = decodeOffsetToken(request.page_token);
    const params = new SqlParams();
    const where = [
      lifecycleCondition(request.view_type, 'e.lifecycle_stage'),
      ...clauses.map((c) => clauseSql(c, params)),
    ];
    const visible = readableCondition(readable, 'e.experiment_id', params.values, 'bigint');
    if (visible) where.push(visible);
    // MLflow's default order, else the requested one with the newest id breaking ties.
    const orderBy = order.map((term) => `e.${term.key} ${term.ascending ? 'ASC' : 'DESC'}`);
    if (order.length === 0) orderBy.push('e.creation_time DESC', 'e.experiment_id ASC');
    else if (!order.some((t) => t.key === 'experiment_id')) orderBy.push('e.experiment_id DESC');
    const { rows } = await this.db.query<ExperimentRow>(
      `SELECT ${COLUMNS} FROM tracking.experiments e WHERE ${where.join(' AND ')}
       ORDER BY ${orderBy.join(', ')} LIMIT ${params.add(maxResults + 1)} OFFSET ${params.add(offset)}`,
      params.values,
    );
    const page = rows.slice(0, maxResults);
    const experiments = await this.withTags(page);
    return rows.length > maxResults
      ? { experiments, next_page_token: encodeOffsetToken(offset + maxResults) }
      : { experiments };
  }

  private async withTags(rows: ExperimentRow[]): Promise<ExperimentView[]> {
    if (rows.length === 0) return [];
    const { rows: tags } = await this.db.query<{ experiment_id: string; key: string; value: string }>(
      `SELECT experiment_id::text AS experiment_id, key, value FROM tracking.experiment_tags
       WHERE experiment_id = ANY($1::bigint[]) ORDER BY key`,
      [rows.map((r) => r.experiment_id)],
    );
    const byExperiment = groupBy(tags, (t) => t.experiment_id);
    return rows.map((row) => ({ ...row, tags: tagList(byExperiment.get(row.experiment_id) ?? []) }));
  }
}
