import { OpenApiFragment, openApiFromControllers } from '@logbook/platform';
import { IDENTITY_CONTROLLERS } from './identity.module';
import { IDENTITY_WIRE_SCHEMAS } from './shared/wire-schemas';

/** Fields naming a user that may not exist: an operation taking one can answer 404. */
const ENTITY_FIELDS = new Set(['username']);

const USERNAME = { type: 'string' };
const FORBIDDEN = {
  description: 'The caller may not do this (not an admin, or not the user named)',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};

/** The users API's part of the OpenAPI document, generated from its controllers. */
export function identityOpenApi(): OpenApiFragment {
  const fragment = openApiFromControllers(IDENTITY_CONTROLLERS, IDENTITY_WIRE_SCHEMAS, {
    fields: ENTITY_FIELDS,
    description: 'No such user',
  });
  for (const [path, operations] of Object.entries(fragment.paths)) {
    for (const operation of Object.values(operations)) operation.responses['403'] = FORBIDDEN;
    if (!path.endsWith('/users/delete')) continue;
    // users/delete reads its parameters by content type, which the generator cannot see from the handler.
    const operation = operations.delete;
    operation.requestBody = {
      required: false,
      content: {
        'application/json': { schema: { type: 'object', required: ['username'], properties: { username: USERNAME } } },
      },
    };
    operation.parameters = [
      { name: 'username', in: 'query', required: false, description: 'When the body is not JSON', schema: USERNAME },
    ];
    operation.responses['404'] = {
      description: 'No such user',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return fragment;
}
