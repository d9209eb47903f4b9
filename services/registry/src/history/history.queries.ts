import { Inject, Injectable } from '@nestjs/common';
import { EventStore } from '@logbook/eventstore';
import { Database, invalidValue, notFound, Queryable } from '@logbook/platform';
import { decodeOffsetToken, encodeOffsetToken } from '@logbook/search';
import { REGISTRY_SCHEMA } from '../../migrations/001_initial';
import { checkMaxResults, modelVersionViews } from '../model-versions/model-versions.queries';
import { DELETED_STAGE } from '../model-versions/model-versions.projection';
import { modelNotFound } from '../registered-models/registered-model.decider';
import { registeredModelViews } from '../registered-models/registered-models.queries';
import { REGISTRY_TABLES, registryProjectionIn } from '../registry.projection';
import { MAX_RESULTS, validateModelName } from '../shared/limits';
import { DATABASE, EVENT_STORE } from '../shared/tokens';
import { historyEntry } from './model-history';

/** Every registry event names the model it concerns by this field, whichever stream it is in. */
const MODEL_FIELD = 'registeredModelId';
/** Where a past state is folded: the session's own temporary tables, dropped when the transaction ends. */
const SCRATCH_SCHEMA = 'pg_temp';
const FOLD_BATCH = 2000;

/** Beyond MLflow: a registered model's changes, and its whole state at a past time, read from the event log. */
@Injectable()
export class HistoryQueries {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  /**
   * The model that last took `name`: the live model holding it, else the latest deleted model, or the
   * model since renamed, that held it. Its events carry its id, so its history follows it across renames.
   */
  async modelIdByName(name: string): Promise<string> {
    validateModelName(name);
    const { rows } = await this.db.query<{ registered_model_id: string }>(
      `SELECT data->>'${MODEL_FIELD}' AS registered_model_id FROM ${REGISTRY_SCHEMA}.events
       WHERE type IN ('RegisteredModelCreated', 'RegisteredModelRenamed') AND data->>'name' = $1
       ORDER BY global_position DESC LIMIT 1`,
      [name],
    );
    if (rows.length === 0) throw modelNotFound(name);
    return rows[0].registered_model_id;
  }

  /** The model's changes and its versions', oldest first, a page at a time. */
  async changes(request: { name: string; max_results?: number; page_token?: string }) {
    const maxResults = checkMaxResults(request.max_results, MAX_RESULTS.modelHistory);
    const after = decodeOffsetToken(request.page_token);
    const id = await this.modelIdByName(request.name);
    const events = await this.store.readByDataField(MODEL_FIELD, id, { after, limit: maxResults + 1 });
    const page = events.slice(0, maxResults);
    const changes = page.map(historyEntry);
    return events.length > maxResults
      ? { changes, next_page_token: encodeOffsetToken(page[page.length - 1].globalPosition) }
      : { changes };
  }

  /**
   * The model as the registry's API showed it at `asOf` (epoch milliseconds): its events up to then,
   * replayed by the registry's own projection into temporary tables and read by the API's own queries.
   */
  async stateAsOf(name: string, asOf: number) {
    if (asOf < 0) throw invalidValue('as_of', asOf);
    const id = await this.modelIdByName(name);
    return this.db.transaction(async (tx) => {
      // The transaction writes only temporary tables: nothing for its commit to wait on the disk for.
      await tx.query(`SET LOCAL synchronous_commit = off`);
      for (const table of REGISTRY_TABLES) {
        await tx.query(`CREATE TEMP TABLE ${table} (LIKE ${REGISTRY_SCHEMA}.${table} INCLUDING ALL) ON COMMIT DROP`);
      }
      await this.foldUntil(tx, id, asOf);
      const [model] = await registeredModelViews(tx, SCRATCH_SCHEMA, 'm.registered_model_id = $1', [id]);
      if (!model) throw notFound(`Registered Model with name=${name} not found as of ${asOf}`);
      const versions = await modelVersionViews(
        tx,
        SCRATCH_SCHEMA,
        `v.registered_model_id = $1 AND v.current_stage <> '${DELETED_STAGE}'`,
        [id],
      );
      return { as_of: asOf, registered_model: model.view, model_versions: versions.map(({ view }) => view) };
    });
  }

  /**
   * Applies the model's events up to the first one that occurred after `asOf`, so the state folded is one
   * the model went through even if clocks of two writers disagreed.
   */
  private async foldUntil(tx: Queryable, id: string, asOf: number): Promise<void> {
    const { rows } = await tx.query<{ first_after: string | null }>(
      `SELECT min(global_position)::text AS first_after FROM ${REGISTRY_SCHEMA}.events
       WHERE data->>'${MODEL_FIELD}' = $1 AND floor(extract(epoch FROM occurred_at) * 1000) > $2::bigint`,
      [id, asOf],
    );
    const before = rows[0].first_after === null ? undefined : Number(rows[0].first_after);
    const projection = registryProjectionIn(SCRATCH_SCHEMA);
    for (let after = 0; ;) {
      const batch = await this.store.readByDataField(MODEL_FIELD, id, { after, before, limit: FOLD_BATCH }, tx);
      if (batch.length === 0) return;
      await projection.apply(tx, batch);
      after = batch[batch.length - 1].globalPosition;
    }
  }
}
