import { Queryable } from '@logbook/platform';
import { RegisteredModelEvent } from './registered-model.events';

const touchModel = (tx: Queryable, id: string, time: number) =>
  tx.query(`UPDATE registry.registered_models SET last_updated_time = $2 WHERE registered_model_id = $1`, [id, time]);

/** The registered-model stream's share of the registry's read model. */
export async function applyRegisteredModelEvent(tx: Queryable, event: RegisteredModelEvent): Promise<void> {
  const id = event.data.registeredModelId;
  switch (event.type) {
    case 'RegisteredModelCreated': {
      const { name, description, tags, time } = event.data;
      await tx.query(
        `INSERT INTO registry.registered_models (registered_model_id, name, description, creation_time, last_updated_time)
         VALUES ($1, $2, $3, $4, $4)`,
        [id, name, description, time],
      );
      await tx.query(
        `INSERT INTO registry.registered_model_tags (registered_model_id, key, value)
         SELECT $1, key, value FROM unnest($2::text[], $3::text[]) AS t(key, value)`,
        [id, tags.map((t) => t.key), tags.map((t) => t.value)],
      );
      return;
    }
    case 'RegisteredModelRenamed':
      await tx.query(
        `UPDATE registry.registered_models SET name = $2, last_updated_time = $3 WHERE registered_model_id = $1`,
        [id, event.data.name, event.data.time],
      );
      await tx.query(
        `UPDATE registry.model_versions SET name = $2, last_updated_time = $3 WHERE registered_model_id = $1`,
        [id, event.data.name, event.data.time],
      );
      return;
    case 'RegisteredModelDescriptionUpdated':
      await tx.query(
        `UPDATE registry.registered_models SET description = $2, last_updated_time = $3 WHERE registered_model_id = $1`,
        [id, event.data.description, event.data.time],
      );
      return;
    case 'RegisteredModelDeleted':
      await tx.query(`DELETE FROM registry.registered_models WHERE registered_model_id = $1`, [id]);
      return;
    case 'RegisteredModelTagSet':
      await tx.query(
        `INSERT INTO registry.registered_model_tags (registered_model_id, key, value) VALUES ($1, $2, $3)
         ON CONFLICT (registered_model_id, key) DO UPDATE SET value = excluded.value`,
        [id, event.data.key, event.data.value],
      );
      return;
    case 'RegisteredModelTagDeleted':
      await tx.query(`DELETE FROM registry.registered_model_tags WHERE registered_model_id = $1 AND key = $2`, [
        id,
        event.data.key,
      ]);
      return;
    case 'RegisteredModelAliasSet':
      await tx.query(
        `INSERT INTO registry.registered_model_aliases (registered_model_id, alias, version) VALUES ($1, $2, $3)
         ON CONFLICT (registered_model_id, alias) DO UPDATE SET version = excluded.version`,
        [id, event.data.alias, event.data.version],
      );
      return;
    case 'RegisteredModelAliasDeleted':
      await tx.query(`DELETE FROM registry.registered_model_aliases WHERE registered_model_id = $1 AND alias = $2`, [
        id,
        event.data.alias,
      ]);
      return;
    case 'ModelVersionNumberAssigned':
      await touchModel(tx, id, event.data.time);
      return;
    case 'ModelVersionStageTransitioned': {
      const { version, stage, archivedVersions, time } = event.data;
      await tx.query(
        `UPDATE registry.model_versions
         SET current_stage = CASE WHEN version = $2 THEN $3 ELSE 'Archived' END, last_updated_time = $5
         WHERE registered_model_id = $1 AND (version = $2 OR version = ANY($4::int[]))`,
        [id, version, stage, archivedVersions, time],
      );
      await touchModel(tx, id, time);
      return;
    }
    case 'ModelVersionWithdrawn':
      await tx.query(`DELETE FROM registry.registered_model_aliases WHERE registered_model_id = $1 AND version = $2`, [
        id,
        event.data.version,
      ]);
      await touchModel(tx, id, event.data.time);
      return;
  }
}
