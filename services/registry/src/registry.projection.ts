import { EventEnvelope, InlineProjection } from '@logbook/eventstore';
import { REGISTRY_SCHEMA } from '../migrations/001_initial';
import { ModelVersionEvent } from './model-versions/model-version.events';
import { applyModelVersionEvent } from './model-versions/model-versions.projection';
import { RegisteredModelEvent } from './registered-models/registered-model.events';
import { applyRegisteredModelEvent } from './registered-models/registered-models.projection';

/** The read model's tables, children first (the order a rebuild empties them in). */
export const REGISTRY_TABLES = [
  'model_version_tags',
  'model_versions',
  'registered_model_aliases',
  'registered_model_tags',
  'registered_models',
];

/**
 * The registry's read model, kept in the tables of `schema`: the live one in the registry's schema, and
 * a model's state as of a past time in the session's temporary tables (history/). One projection, because
 * the model's stream moves its versions (stages, renames, cascading deletes) and a rebuild must replay
 * both streams in their one global order.
 */
export function registryProjectionIn(schema: string): InlineProjection {
  return {
    name: 'registry',
    tables: REGISTRY_TABLES.map((table) => `${schema}.${table}`),
    async apply(tx, events: EventEnvelope[]) {
      for (const event of events) {
        if (event.streamType === 'registered-model') {
          await applyRegisteredModelEvent(tx, schema, event as unknown as RegisteredModelEvent);
        } else if (event.streamType === 'model-version') {
          await applyModelVersionEvent(tx, schema, event as unknown as ModelVersionEvent);
        }
      }
    },
  };
}

export const registryProjection = registryProjectionIn(REGISTRY_SCHEMA);
