import { Actor } from '@logbook/platform';
import { ModelEventDelivery } from './logbook-events';
import { WebhookSourceEvent } from './registry-event';

/** How Databricks names a transition to a stage in its per-stage events: none for 'None'. */
const stageEvent = (stage: string, pattern: (stage: string) => string): string[] =>
  stage === 'None' ? [] : [pattern(stage.toUpperCase())];

/**
 * Databricks' own registry events from one registry event. TRANSITION_REQUEST_CREATED and COMMENT_CREATED
 * are also Logbook's events under the same names: Logbook's payloads carry Databricks' fields and more,
 * so they go out once, from logbookDeliveries.
 */
export function databricksDeliveries(event: WebhookSourceEvent, actor: Actor): ModelEventDelivery[] {
  switch (event.type) {
    case 'RegisteredModelCreated': {
      const { name } = event.data;
      const text = `Registered model '${name}' was created.`;
      return [{ eventKey: 'REGISTERED_MODEL_CREATED', modelName: name, version: null, fields: {}, text }];
    }
    case 'ModelVersionCreated': {
      const { name } = event.data;
      const version = String(event.data.version);
      const text = `A new version of registered model '${name}' was created: version ${version}.`;
      return [{ eventKey: 'MODEL_VERSION_CREATED', modelName: name, version, fields: {}, text }];
    }
    case 'ModelVersionTagSet': {
      const { name, key, value } = event.data;
      const version = String(event.data.version);
      const text = `${actor.name} set version tag(s) '${key}' => '${value}' for registered model '${name}' version ${version}.`;
      const fields = { tags: [{ key, value }] };
      return [{ eventKey: 'MODEL_VERSION_TAG_SET', modelName: name, version, fields, text }];
    }
    case 'ModelVersionStageTransitioned': {
      const { name, stage, previousStage } = event.data;
      const version = String(event.data.version);
      const text = `Registered model '${name}' version ${version} transitioned from ${previousStage} to ${stage}.`;
      const fields = { to_stage: stage, from_stage: previousStage };
      const events = [
        'MODEL_VERSION_TRANSITIONED_STAGE',
        ...stageEvent(stage, (upper) => `MODEL_VERSION_TRANSITIONED_TO_${upper}`),
      ];
      return events.map((eventKey) => ({ eventKey, modelName: name, version, fields, text }));
    }
    case 'TransitionRequested': {
      const { name, target, fromStage, requester } = event.data;
      if (target.kind !== 'stage') return [];
      const version = String(event.data.version);
      const text = `${requester.name} requested a transition of registered model '${name}' version ${version} from ${fromStage} to ${target.stage}.`;
      const fields = { to_stage: target.stage, from_stage: fromStage };
      const events = stageEvent(target.stage, (upper) => `TRANSITION_REQUEST_TO_${upper}_CREATED`);
      return events.map((eventKey) => ({ eventKey, modelName: name, version, fields, text }));
    }
    default:
      return [];
  }
}
