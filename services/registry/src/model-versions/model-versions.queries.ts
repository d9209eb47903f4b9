import { Inject, Injectable } from '@nestjs/common';
import { ReadableSet, readableCondition } from '@logbook/access';
import { Database, invalidParameter, invalidValue, MlflowError, notFound, Queryable } from '@logbook/platform';
import {
  Clause,
  decodeOffsetToken,
  encodeOffsetToken,
  parseModelVersionFilter,
  parseModelVersionOrderBy,
} from '@logbook/search';
import { REGISTRY_SCHEMA } from '../../migrations/001_initial';
import { versionNotFound } from '../registered-models/registered-model.decider';
import { MAX_RESULTS, PROMPT_TAG } from '../shared/limits';
import { comparison, SqlParams } from '../shared/sql';
import { DATABASE } from '../shared/tokens';
import { DELETED_STAGE } from './model-versions.projection';

interface ModelVersionRow {
  registered_model_id: string;
  version: number;
  name: string;
  creation_time: number;
  last_updated_time: number;
  description: string | null;
  source: string;
  storage_location: string | null;
  run_id: string | null;
  run_link: string | null;
  model_id: string | null;
  status: string;
  status_message: string | null;
  current_stage: string;
}

export type ModelVersionView = Record<string, unknown> & { version: string; current_stage: string };

const COLUMNS = `v.registered_model_id, v.version, v.name, v.creation_time, v.last_updated_time, v.description, v.source,
  v.storage_location, v.run_id, v.run_link, v.model_id, v.status, v.status_message, v.current_stage`;

const ATTRIBUTES: Record<string, string> = {
  name: 'v.name',
  run_id: 'v.run_id',
  source_path: 'v.source',
  version_number: 'v.version',
};
const ORDER_COLUMNS: Record<string, string> = {
  name: 'v.name',
  version_number: 'v.version',
  creation_timestamp: 'v.creation_time',
  last_updated_timestamp: 'v.last_updated_time',
};
const DEFAULT_ORDER = ['last_updated_timestamp DESC', 'name ASC', 'version_number DESC'];

function clauseSql(clause: Clause, params: SqlParams): string {
  if (clause.kind === 'tag') {
    return `EXISTS (SELECT 1 FROM registry.model_version_tags t WHERE t.registered_model_id = v.registered_model_id
      AND t.version = v.version AND t.key = ${params.add(clause.key)} AND ${comparison('t.value', clause.comparator, clause.value, params)})`;
  }
  return comparison(ATTRIBUTES[clause.key], clause.comparator, clause.value, params);
}

/** MLflow's _is_querying_prompt: a filter that asks for prompts by their tag. */
export function asksForPrompts(clauses: Clause[]): boolean {
  const clause = clauses.find((c) => c.kind === 'tag' && c.key === PROMPT_TAG);
  if (!clause || typeof clause.value !== 'string') return false;
  const value = clause.value.toLowerCase();
  return (clause.comparator === '=' && value === 'true') || (clause.comparator === '!=' && value === 'false');
}

/** The filter without its prompt clause, and the condition that picks prompts or models instead. */
export function promptScope(clauses: Clause[], isPrompt: (alias: string) => string) {
  const prompts = asksForPrompts(clauses);
  return {
    clauses: clauses.filter((c) => !(c.kind === 'tag' && c.key === PROMPT_TAG)),
    condition: prompts ? isPrompt('p') : `NOT ${isPrompt('p')}`,
  };
}

const ARTIFACT_PROXY_SCHEME = 'mlflow-artifacts:';

/**
 * The artifact-store folder of a version's read-only registry copy (`registry/<model id>/<version>`).
 * Only a READY version has one: before, its files are still being copied; a failed one never got any; a
 * prompt version's content is its tags.
 */
export function registryCopyFolder(
  copy: { status: string; storageLocation: string | null; statusMessage: string | null },
  name: string,
  version: number,
): string {
  const subject = `Model Version (name=${name}, version=${version})`;
  if (copy.status === 'PENDING_REGISTRATION') {
    throw new MlflowError(
      'INVALID_STATE',
      `${subject} is PENDING_REGISTRATION: its files are still being copied into registry storage. Try again once it is READY.`,
    );
  }
  if (copy.status === 'FAILED_REGISTRATION') {
    throw new MlflowError(
      'INVALID_STATE',
      `${subject} is FAILED_REGISTRATION and has no files${copy.statusMessage ? `: ${copy.statusMessage}` : ''}`,
    );
  }
  if (!copy.storageLocation?.startsWith(ARTIFACT_PROXY_SCHEME)) throw notFound(`${subject} has no files`);
  return copy.storageLocation.slice(ARTIFACT_PROXY_SCHEME.length).replace(/^\/+/, '');
}

/** Validates max_results as the registry handlers and stores do. */
export function checkMaxResults(value: number | undefined, bounds: { fallback: number; maximum: number }): number {
  const max = value ?? bounds.fallback;
  if (max > bounds.maximum) throw invalidValue('max_results', max);
  if (max < 1) {
    throw invalidParameter(`Invalid value for max_results. It must be a positive integer, but got ${max}`);
  }
  return max;
}

/** Versions with their tags and aliases (from the read model in `schema`), as MLflow's ModelVersion, each with its model's id. */
export async function modelVersionViews(
  db: Queryable,
  schema: string,
  condition: string,
  values: unknown[],
  withAliases = true,
  orderBy = 'v.version',
): Promise<Array<{ registeredModelId: string; view: ModelVersionView }>> {
  const { rows } = await db.query<ModelVersionRow & { tags: [string, string][]; aliases: string[] }>(
    `SELECT ${COLUMNS},
       coalesce((SELECT json_agg(json_build_array(t.key, t.value) ORDER BY t.key) FROM ${schema}.model_version_tags t
         WHERE t.registered_model_id = v.registered_model_id AND t.version = v.version), '[]') AS tags,
       ${
         withAliases
           ? `coalesce((SELECT json_agg(a.alias ORDER BY a.alias) FROM ${schema}.registered_model_aliases a
         WHERE a.registered_model_id = v.registered_model_id AND a.version = v.version), '[]')`
           : `'[]'::json`
       } AS aliases
     FROM ${schema}.model_versions v WHERE ${condition} ORDER BY ${orderBy}`,
    values,
  );
  return rows.map((row) => ({
    registeredModelId: row.registered_model_id,
    view: {
      name: row.name,
      version: String(row.version),
      creation_timestamp: Number(row.creation_time),
      last_updated_timestamp: Number(row.last_updated_time),
      current_stage: row.current_stage,
      ...(row.description !== null ? { description: row.description } : {}),
      source: row.source,
      ...(row.run_id !== null ? { run_id: row.run_id } : {}),
      status: row.status,
      ...(row.status_message ? { status_message: row.status_message } : {}),
      tags: row.tags.map(([key, value]) => ({ key, value })),
      ...(row.run_link !== null ? { run_link: row.run_link } : {}),
      aliases: row.aliases,
      ...(row.model_id !== null ? { model_id: row.model_id } : {}),
    },
  }));
}

/** The highest live version in each stage of the given models (`withAliases` fills each version's aliases). */
export async function latestVersionsPerStage(
  db: Queryable,
  schema: string,
  registeredModelIds: string[],
  withAliases: boolean,
): Promise<Map<string, ModelVersionView[]>> {
  const views = await modelVersionViews(
    db,
    schema,
    `(v.registered_model_id, v.version) IN (
       SELECT registered_model_id, max(version) FROM ${schema}.model_versions
       WHERE registered_model_id = ANY($1::text[]) AND current_stage <> '${DELETED_STAGE}'
       GROUP BY registered_model_id, current_stage)`,
    [registeredModelIds],
    withAliases,
    // MLflow lists the stages in the order their first version appears.
    `(SELECT min(f.version) FROM ${schema}.model_versions f WHERE f.registered_model_id = v.registered_model_id
       AND f.current_stage = v.current_stage)`,
  );
  const byModel = new Map<string, ModelVersionView[]>(registeredModelIds.map((id) => [id, []]));
  for (const { registeredModelId, view } of views) byModel.get(registeredModelId)?.push(view);
  return byModel;
}

@Injectable()
export class ModelVersionsQueries {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** A live version, by model name and number. */
  async get(name: string, version: number): Promise<ModelVersionView> {
    const [view] = await this.load(`v.name = $1 AND v.version = $2::bigint AND v.current_stage <> '${DELETED_STAGE}'`, [
      name,
      version,
    ]);
    if (!view) throw versionNotFound(name, version);
    return view.view;
  }

  /** Where a version's model can be downloaded from: its registry copy, else its source. */
  async downloadUri(name: string, version: number): Promise<string> {
    const { rows } = await this.db.query<{ uri: string }>(
      `SELECT coalesce(storage_location, source) AS uri FROM registry.model_versions
       WHERE name = $1 AND version = $2::bigint AND current_stage <> '${DELETED_STAGE}'`,
      [name, version],
    );
    if (rows.length === 0) throw versionNotFound(name, version);
    return rows[0].uri;
  }

  /** Where a live version's files are in the artifact store: see registryCopyFolder. */
  async registryCopy(name: string, version: number): Promise<string> {
    const { rows } = await this.db.query<{
      status: string;
      storage_location: string | null;
      status_message: string | null;
    }>(
      `SELECT status, storage_location, status_message FROM registry.model_versions
       WHERE name = $1 AND version = $2::bigint AND current_stage <> '${DELETED_STAGE}'`,
      [name, version],
    );
    if (rows.length === 0) throw versionNotFound(name, version);
    const [row] = rows;
    return registryCopyFolder(
      { status: row.status, storageLocation: row.storage_location, statusMessage: row.status_message },
      name,
      version,
    );
  }

  /** The highest live version in each stage of the given models (`withAliases` fills each version's aliases). */
  latestPerStage(registeredModelIds: string[], withAliases: boolean): Promise<Map<string, ModelVersionView[]>> {
    return latestVersionsPerStage(this.db, REGISTRY_SCHEMA, registeredModelIds, withAliases);
  }

  /**
   * A page of the versions of the models every one of `readable` lets the caller see, filtered before
   * paging so every page is full.
   */
  async search(
    request: {
      filter?: string;
      max_results?: number;
      order_by?: string[];
      page_token?: string;
    },
    readable: ReadableSet[] = [],
  ): Promise<{ model_versions: ModelVersionView[]; next_page_token?: string }> {
    const maxResults = checkMaxResults(request.max_results, MAX_RESULTS.searchModelVersions);
    const parsed = parseModelVersionFilter(request.filter);
    const order = parseModelVersionOrderBy(request.order_by?.length ? request.order_by : DEFAULT_ORDER);
    const offset = decodeOffsetToken(request.page_token);
    const params = new SqlParams();
    const scope = promptScope(
      parsed,
      (
        alias,
      ) => `EXISTS (SELECT 1 FROM registry.model_version_tags ${alias} WHERE ${alias}.registered_model_id = v.registered_model_id
        AND ${alias}.version = v.version AND ${alias}.key = '${PROMPT_TAG}' AND ${alias}.value = 'true')`,
    );
    const where = [
      `v.current_stage <> '${DELETED_STAGE}'`,
      scope.condition,
      ...scope.clauses.map((c) => clauseSql(c, params)),
    ];
    for (const set of readable) {
      const allowed = readableCondition(set, 'v.name', params.values);
      if (allowed) where.push(allowed);
    }
    const keys = order.map((term) => term.key);
    const orderBy = order.map((term) => `${ORDER_COLUMNS[term.key]} ${term.ascending ? 'ASC' : 'DESC'}`);
    if (!keys.includes('name')) orderBy.push('v.name ASC');
    if (!keys.includes('version_number')) orderBy.push('v.version DESC');
    const { rows } = await this.db.query<{ registered_model_id: string; version: number }>(
      `SELECT v.registered_model_id, v.version FROM registry.model_versions v WHERE ${where.join(' AND ')}
       ORDER BY ${orderBy.join(', ')} LIMIT ${params.add(maxResults + 1)} OFFSET ${params.add(offset)}`,
      params.values,
    );
    const page = rows.slice(0, maxResults);
    const views = await this.load(
      `(v.registered_model_id, v.version) IN (SELECT * FROM unnest($1::text[], $2::int[]))`,
      [page.map((r) => r.registered_model_id), page.map((r) => r.version)],
    );
    const byKey = new Map(views.map(({ registeredModelId, view }) => [`${registeredModelId}/${view.version}`, view]));
    const model_versions = page
      .map((r) => byKey.get(`${r.registered_model_id}/${r.version}`))
      .filter((view): view is ModelVersionView => view !== undefined);
    return rows.length > maxResults
      ? { model_versions, next_page_token: encodeOffsetToken(offset + maxResults) }
      : { model_versions };
  }

  private load(condition: string, values: unknown[]) {
    return modelVersionViews(this.db, REGISTRY_SCHEMA, condition, values);
  }
}
