import { Inject, Injectable } from '@nestjs/common';
import { isReadable, ReadableSet, readableCondition } from '@logbook/access';
import { Database, invalidParameter, notFound, Queryable } from '@logbook/platform';
import {
  Clause,
  decodeOffsetToken,
  encodeOffsetToken,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
} from '@logbook/search';
import { REGISTRY_SCHEMA } from '../../migrations/001_initial';
import {
  checkMaxResults,
  latestVersionsPerStage,
  ModelVersionsQueries,
  ModelVersionView,
  promptScope,
} from '../model-versions/model-versions.queries';
import {
  canonicalStage,
  MAX_RESULTS,
  PROMPT_TAG,
  STAGES,
  validateAliasName,
  validateModelName,
} from '../shared/limits';
import { comparison, SqlParams } from '../shared/sql';
import { DATABASE } from '../shared/tokens';
import { modelNotFound } from './registered-model.decider';

interface RegisteredModelRow {
  registered_model_id: string;
  name: string;
  description: string | null;
  creation_time: number;
  last_updated_time: number;
  tags: [string, string][];
  aliases: [string, number][];
}

export type RegisteredModelView = Record<string, unknown>;

/**
 * A model without the latest versions it embeds, when the caller may not read its versions (MLflow's
 * _withhold_denied_latest_versions).
 */
export const withoutLatestVersions = (model: RegisteredModelView, versions: ReadableSet): RegisteredModelView =>
  isReadable(versions, String(model.name)) ? model : { ...model, latest_versions: [] };

const ORDER_COLUMNS: Record<string, string> = { name: 'm.name', last_updated_timestamp: 'm.last_updated_time' };

function clauseSql(clause: Clause, params: SqlParams): string {
  if (clause.kind === 'tag') {
    return `EXISTS (SELECT 1 FROM registry.registered_model_tags t WHERE t.registered_model_id = m.registered_model_id
      AND t.key = ${params.add(clause.key)} AND ${comparison('t.value', clause.comparator, clause.value, params)})`;
  }
  return comparison('m.name', clause.comparator, clause.value, params);
}

/** Registered models (from the read model in `schema`) as MLflow's RegisteredModel, each with its id. */
export async function registeredModelViews(
  db: Queryable,
  schema: string,
  condition: string,
  values: unknown[],
): Promise<Array<{ registeredModelId: string; view: RegisteredModelView }>> {
  const { rows } = await db.query<RegisteredModelRow>(
    `SELECT m.registered_model_id, m.name, m.description, m.creation_time, m.last_updated_time,
       coalesce((SELECT json_agg(json_build_array(t.key, t.value) ORDER BY t.key) FROM ${schema}.registered_model_tags t
         WHERE t.registered_model_id = m.registered_model_id), '[]') AS tags,
       coalesce((SELECT json_agg(json_build_array(a.alias, a.version) ORDER BY a.alias)
         FROM ${schema}.registered_model_aliases a WHERE a.registered_model_id = m.registered_model_id), '[]') AS aliases
     FROM ${schema}.registered_models m WHERE ${condition}`,
    values,
  );
  const latest = await latestVersionsPerStage(
    db,
    schema,
    rows.map((r) => r.registered_model_id),
    false,
  );
  return rows.map((row) => ({
    registeredModelId: row.registered_model_id,
    view: {
      name: row.name,
      creation_timestamp: Number(row.creation_time),
      last_updated_timestamp: Number(row.last_updated_time),
      ...(row.description ? { description: row.description } : {}),
      latest_versions: latest.get(row.registered_model_id) ?? [],
      tags: row.tags.map(([key, value]) => ({ key, value })),
      aliases: row.aliases.map(([alias, version]) => ({ alias, version: String(version) })),
    },
  }));
}

@Injectable()
export class RegisteredModelsQueries {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly versions: ModelVersionsQueries,
  ) {}

  /** The id of the live model holding a name, if any, and whether it is a prompt. */
  async findByName(name: string): Promise<{ registeredModelId: string; isPrompt: boolean } | undefined> {
    const { rows } = await this.db.query<{ registered_model_id: string; is_prompt: boolean }>(
      `SELECT m.registered_model_id, EXISTS (SELECT 1 FROM registry.registered_model_tags t
         WHERE t.registered_model_id = m.registered_model_id AND t.key = $2 AND lower(t.value) = 'true') AS is_prompt
       FROM registry.registered_models m WHERE m.name = $1`,
      [name, PROMPT_TAG],
    );
    return rows[0] && { registeredModelId: rows[0].registered_model_id, isPrompt: rows[0].is_prompt };
  }

  async get(name: string): Promise<RegisteredModelView> {
    validateModelName(name);
    const [model] = await this.load('m.name = $1', [name]);
    if (!model) throw modelNotFound(name);
    return model.view;
  }

  /** get-latest-versions: the highest version in each asked stage (all four when none is asked). */
  async latestVersions(name: string, stages: string[] | undefined): Promise<ModelVersionView[]> {
    validateModelName(name);
    const found = await this.findByName(name);
    if (!found) throw modelNotFound(name);
    const wanted = new Set((stages?.length ? stages : STAGES).map(canonicalStage));
    const latest = (await this.versions.latestPerStage([found.registeredModelId], true)).get(found.registeredModelId);
    return (latest ?? []).filter((view) => wanted.has(view.current_stage as (typeof STAGES)[number]));
  }

  /** The version an alias points to; `latest` (any case) is the highest live version. */
  async versionByAlias(name: string, alias: string): Promise<ModelVersionView> {
    validateModelName(name);
    validateAliasName(alias);
    if (alias.toLowerCase() === 'latest') {
      const latest = await this.latestVersions(name, undefined);
      if (latest.length === 0) throw notFound(`Latest version not found for model ${name}.`);
      return latest.reduce((a, b) => (Number(b.version) > Number(a.version) ? b : a));
    }
    const found = await this.findByName(name);
    if (!found) throw modelNotFound(name);
    const { rows } = await this.db.query<{ version: number }>(
      `SELECT version FROM registry.registered_model_aliases WHERE registered_model_id = $1 AND alias = $2`,
      [found.registeredModelId, alias],
    );
    if (rows.length === 0) throw invalidParameter(`Registered model alias ${alias} not found.`);
    return this.versions.get(name, rows[0].version);
  }

  /** A page of the models `readable` lets the caller see, filtered before paging so every page is full. */
  async search(
    request: {
      filter?: string;
      max_results?: number;
      order_by?: string[];
      page_token?: string;
    },
    readable?: ReadableSet,
  ): Promise<{ registered_models: RegisteredModelView[]; next_page_token?: string }> {
    const maxResults = checkMaxResults(request.max_results, MAX_RESULTS.searchRegisteredModels);
    const parsed = parseRegisteredModelFilter(request.filter);
    const order = parseRegisteredModelOrderBy(request.order_by);
    const offset = decodeOffsetToken(request.page_token);
    const params = new SqlParams();
    const scope = promptScope(
      parsed,
      (alias) => `EXISTS (SELECT 1 FROM registry.registered_model_tags ${alias}
        WHERE ${alias}.registered_model_id = m.registered_model_id AND ${alias}.key = '${PROMPT_TAG}' AND ${alias}.value = 'true')`,
    );
    const where = [scope.condition, ...scope.clauses.map((c) => clauseSql(c, params))];
    const allowed = readable && readableCondition(readable, 'm.name', params.values);
    if (allowed) where.push(allowed);
    const orderBy = order.map((term) => `${ORDER_COLUMNS[term.key]} ${term.ascending ? 'ASC' : 'DESC'}`);
    if (!order.some((term) => term.key === 'name')) orderBy.push('m.name ASC');
    const { rows } = await this.db.query<{ registered_model_id: string }>(
      `SELECT m.registered_model_id FROM registry.registered_models m WHERE ${where.join(' AND ')}
       ORDER BY ${orderBy.join(', ')} LIMIT ${params.add(maxResults + 1)} OFFSET ${params.add(offset)}`,
      params.values,
    );
    const ids = rows.slice(0, maxResults).map((r) => r.registered_model_id);
    const byId = new Map(
      (await this.load('m.registered_model_id = ANY($1::text[])', [ids])).map((m) => [m.registeredModelId, m.view]),
    );
    const registered_models = ids.map((id) => byId.get(id)).filter((m): m is RegisteredModelView => m !== undefined);
    return rows.length > maxResults
      ? { registered_models, next_page_token: encodeOffsetToken(offset + maxResults) }
      : { registered_models };
  }

  private load(condition: string, values: unknown[]) {
    return registeredModelViews(this.db, REGISTRY_SCHEMA, condition, values);
  }
}
