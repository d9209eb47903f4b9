import { Queryable } from '@logbook/platform';
import { ModelVersionEvent } from './model-version.events';

/** What MLflow leaves of a deleted version: its number, name, times and tags. */
export const REDACTED = { source: 'REDACTED-SOURCE-PATH', runId: 'REDACTED-RUN-ID', runLink: 'REDACTED-RUN-LINK' };
export const DELETED_STAGE = 'Deleted_Internal';

/** The model-version stream's share of the registry's read model. */
export async function applyModelVersionEvent(tx: Queryable, event: ModelVersionEvent): Promise<void> {
  const { registeredModelId: id, version } = event.data;
  switch (event.type) {
    case 'ModelVersionCreated': {
      const d = event.data;
      await tx.query(
        `INSERT INTO registry.model_versions (registered_model_id, version, name, creation_time, last_updated_time,
           description, source, run_id, run_link, model_id, status, current_stage)
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9, 'PENDING_REGISTRATION', 'None')`,
        [id, version, d.name, d.time, d.description, d.source, d.runId, d.runLink, d.modelId],
      );
      await tx.query(
        `INSERT INTO registry.model_version_tags (registered_model_id, version, key, value)
         SELECT $1, $2, key, value FROM unnest($3::text[], $4::text[]) AS t(key, value)`,
        [id, version, d.tags.map((t) => t.key), d.tags.map((t) => t.value)],
      );
      return;
    }
    case 'ModelVersionRegistrationCompleted':
      await tx.query(
        `UPDATE registry.model_versions SET status = 'READY', digest = $3, storage_location = $4
         WHERE registered_model_id = $1 AND version = $2`,
        [id, version, event.data.digest, event.data.storageLocation],
      );
      return;
    case 'ModelVersionRegistrationFailed':
      await tx.query(
        `UPDATE registry.model_versions SET status = 'FAILED_REGISTRATION', status_message = $3
         WHERE registered_model_id = $1 AND version = $2`,
        [id, version, event.data.statusMessage],
      );
      return;
    case 'ModelVersionDescriptionUpdated':
      await tx.query(
        `UPDATE registry.model_versions SET description = $3, last_updated_time = $4
         WHERE registered_model_id = $1 AND version = $2`,
        [id, version, event.data.description, event.data.time],
      );
      return;
    case 'ModelVersionTagSet':
      await tx.query(
        `INSERT INTO registry.model_version_tags (registered_model_id, version, key, value)
         SELECT $1, $2, $3, $4 WHERE EXISTS
           (SELECT 1 FROM registry.model_versions WHERE registered_model_id = $1 AND version = $2)
         ON CONFLICT (registered_model_id, version, key) DO UPDATE SET value = excluded.value`,
        [id, version, event.data.key, event.data.value],
      );
      return;
    case 'ModelVersionTagDeleted':
      await tx.query(
        `DELETE FROM registry.model_version_tags WHERE registered_model_id = $1 AND version = $2 AND key = $3`,
        [id, version, event.data.key],
      );
      return;
    case 'ModelVersionDeleted':
      await tx.query(
        `UPDATE registry.model_versions SET current_stage = $3, description = NULL, source = $4, run_id = $5,
           run_link = $6, status_message = NULL, last_updated_time = $7
         WHERE registered_model_id = $1 AND version = $2`,
        [id, version, DELETED_STAGE, REDACTED.source, REDACTED.runId, REDACTED.runLink, event.data.time],
      );
      return;
  }
}
