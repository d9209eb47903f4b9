import { EventEnvelope, InlineProjection } from '@logbook/eventstore';
import { ModelVersionEvent } from './model-versions/model-version.events';
import { applyModelVersionEvent } from './model-versions/model-versions.projection';
import { RegisteredModelEvent } from './registered-models/registered-model.events';
import { applyRegisteredModelEvent } from './registered-models/registered-models.projection';

/**
 * The registry's read model: models, versions, tags and aliases. One projection, because the model's
 * stream moves its versions (stages, renames, cascading deletes) and a rebuild must replay both streams
 * in their one global order.
 */
export const registryProjection: InlineProjection = {
  name: 'registry',
  tables: [
    'registry.model_version_tags',
    'registry.model_versions',
    'registry.registered_model_aliases',
    'registry.registered_model_tags',
    'registry.registered_models',
  ],
  async apply(tx, events: EventEnvelope[]) {
    for (const event of events) {
      if (event.streamType === 'registered-model') {
        await applyRegisteredModelEvent(tx, event as unknown as RegisteredModelEvent);
      } else if (event.streamType === 'model-version') {
        await applyModelVersionEvent(tx, event as unknown as ModelVersionEvent);
      }
    }
  },
};
