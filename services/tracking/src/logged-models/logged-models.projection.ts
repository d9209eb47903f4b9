import { Queryable } from '@logbook/platform';
import { EventEnvelope, InlineProjection } from '@logbook/eventstore';
import { Tag } from '../experiments/experiment.events';
import { LoggedModelEvent } from './logged-model.events';

async function upsert(
  tx: Queryable,
  table: 'logged_model_tags' | 'logged_model_params',
  modelId: string,
  entries: Tag[],
) {
  if (entries.length === 0) return;
  await tx.query(
    `INSERT INTO tracking.${table} (model_id, key, value)
     SELECT DISTINCT ON (key) $1, key, value FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(key, value, position)
     ORDER BY key, position DESC
     ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value`,
    [modelId, entries.map((e) => e.key), entries.map((e) => e.value)],
  );
}

const touch = (tx: Queryable, modelId: string, time: number) =>
  tx.query(`UPDATE tracking.logged_models SET last_updated_time = $2 WHERE model_id = $1`, [modelId, time]);

async function applyOne(tx: Queryable, event: LoggedModelEvent): Promise<void> {
  switch (event.type) {
    case 'LoggedModelCreated': {
      const d = event.data;
      await tx.query(
        `INSERT INTO tracking.logged_models (model_id, experiment_id, name, artifact_uri, status, model_type, source_run_id,
           creation_time, last_updated_time, lifecycle_stage)
         VALUES ($1, $2, $3, $4, 'LOGGED_MODEL_PENDING', $5, $6, $7, $7, 'active')`,
        [d.modelId, d.experimentId, d.name, d.artifactUri, d.modelType, d.sourceRunId, d.time],
      );
      await upsert(tx, 'logged_model_params', d.modelId, d.params);
      await upsert(tx, 'logged_model_tags', d.modelId, d.tags);
      return;
    }
    case 'LoggedModelFinalized':
      await tx.query(`UPDATE tracking.logged_models SET status = $2, last_updated_time = $3 WHERE model_id = $1`, [
        event.data.modelId,
        event.data.status,
        event.data.time,
      ]);
      return;
    case 'LoggedModelDeleted':
      await tx.query(
        `UPDATE tracking.logged_models SET lifecycle_stage = 'deleted', last_updated_time = $2 WHERE model_id = $1`,
        [event.data.modelId, event.data.time],
      );
      return;
    case 'LoggedModelTagsSet':
      await upsert(tx, 'logged_model_tags', event.data.modelId, event.data.tags);
      await touch(tx, event.data.modelId, event.data.time);
      return;
    case 'LoggedModelTagDeleted':
      await tx.query(`DELETE FROM tracking.logged_model_tags WHERE model_id = $1 AND key = $2`, [
        event.data.modelId,
        event.data.key,
      ]);
      await touch(tx, event.data.modelId, event.data.time);
      return;
    case 'LoggedModelParamsLogged':
      await upsert(tx, 'logged_model_params', event.data.modelId, event.data.params);
      await touch(tx, event.data.modelId, event.data.time);
      return;
  }
}

export const loggedModelsProjection: InlineProjection = {
  name: 'logged-models',
  tables: ['tracking.logged_model_params', 'tracking.logged_model_tags', 'tracking.logged_models'],
  async apply(tx, events: EventEnvelope[]) {
    for (const event of events) {
      if (event.streamType === 'logged-model') await applyOne(tx, event as unknown as LoggedModelEvent);
    }
  },
};
