import { OpenApiFragment, openApiFromControllers } from '@logbook/platform';
import { REGISTRY_CONTROLLERS } from './registry.module';
import { REGISTRY_WIRE_SCHEMAS } from './shared/wire-schemas';

/** Fields naming a model, version or alias that may not exist: an operation taking one can answer 404. */
const ENTITY_FIELDS = new Set(['name', 'version']);

/** The registry API's part of the OpenAPI document, generated from its controllers. */
export function registryOpenApi(): OpenApiFragment {
  return openApiFromControllers(REGISTRY_CONTROLLERS, REGISTRY_WIRE_SCHEMAS, {
    fields: ENTITY_FIELDS,
    description: 'No such registered model or model version',
  });
}
