import { EVENT_FEED_WIRE_SCHEMAS } from '@logbook/messaging';
import { OpenApiFragment, openApiFromControllers } from '@logbook/platform';
import { TRACKING_CONTROLLERS } from './tracking.module';
import { TRACKING_WIRE_SCHEMAS } from './shared/wire-schemas';

/** Fields naming an experiment, run or model that may not exist: an operation taking one can answer 404. */
const ENTITY_FIELDS = new Set(['experiment_id', 'experiment_name', 'run_id', 'run_ids', 'modelId']);

/** The tracking API's part of the OpenAPI document, generated from its controllers. */
export function trackingOpenApi(): OpenApiFragment {
  return openApiFromControllers(
    TRACKING_CONTROLLERS,
    { ...TRACKING_WIRE_SCHEMAS, ...EVENT_FEED_WIRE_SCHEMAS },
    {
      fields: ENTITY_FIELDS,
      description: 'No such experiment, run or model',
    },
  );
}
