import { AUDIT_ANSWERS } from '@logbook/audit';
import { JsonSchema, OpenApiFragment, openApiFromControllers, OpenApiPaths } from '@logbook/platform';
import { IDENTITY_CONTROLLERS } from './identity.module';
import { IDENTITY_WIRE_SCHEMAS } from './shared/wire-schemas';

/** Fields naming a user that may not exist: an operation taking one can answer 404. */
const ENTITY_FIELDS = new Set(['username']);

/** MLflow reads whatever JSON value comes as the username its store looks up (a number as its text, null as None). */
const USERNAME = { description: 'A username; another JSON value is read as its Python text, as MLflow reads it' };
const ERROR = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
const FORBIDDEN = {
  description: 'The caller may not do this (not an admin, or not the user named)',
  content: ERROR,
};

const ID = { type: 'integer', description: 'An integer, or its decimal string' };
const TEXT = { type: 'string' };
const RESOURCE_ID = { description: "An experiment's id, a registered model's name, …; a number is read as its text" };
/** null reads as not given. */
const NULLABLE_TEXT = { type: 'string', nullable: true };
const RESOURCE_TYPE = {
  type: 'string',
  description: 'experiment, registered_model, prompt, scorer, run, …, workspace',
};
const PERMISSION = { type: 'string', enum: ['READ', 'USE', 'EDIT', 'MANAGE', 'DENY'] };
const WORKSPACE = { type: 'string', description: 'Workspaces are off: roles that matter are in "default"' };

/**
 * The parameters of the roles and permissions routes, which read them one at a time in MLflow's order
 * rather than through a DTO the generator could see; the first listed are required. `notFound`: what a
 * 404 means.
 */
const ROLE_ROUTES: Record<string, { fields: Record<string, JsonSchema>; required: string[]; notFound?: string }> = {
  'roles/create': {
    fields: { name: TEXT, workspace: WORKSPACE, description: { type: 'string', nullable: true } },
    required: ['name', 'workspace'],
  },
  'roles/get': { fields: { role_id: ID }, required: ['role_id'], notFound: 'No such role' },
  'roles/list': {
    fields: { workspace: { type: 'array', items: WORKSPACE, description: 'Repeatable; none lists every role' } },
    required: [],
  },
  'roles/update': {
    fields: { role_id: ID, name: NULLABLE_TEXT, description: NULLABLE_TEXT },
    required: ['role_id'],
    notFound: 'No such role',
  },
  'roles/delete': { fields: { role_id: ID }, required: ['role_id'], notFound: 'No such role' },
  'roles/permissions/add': {
    fields: { role_id: ID, resource_type: RESOURCE_TYPE, resource_pattern: TEXT, permission: PERMISSION },
    required: ['role_id', 'resource_type', 'resource_pattern', 'permission'],
    notFound: 'No such role',
  },
  'roles/permissions/remove': {
    fields: { role_permission_id: ID },
    required: ['role_permission_id'],
    notFound: 'No such role permission',
  },
  'roles/permissions/list': { fields: { role_id: ID }, required: ['role_id'], notFound: 'No such role' },
  'roles/permissions/update': {
    fields: { role_permission_id: ID, permission: PERMISSION },
    required: ['role_permission_id', 'permission'],
    notFound: 'No such role permission',
  },
  'roles/assign': {
    fields: { username: USERNAME, role_id: ID },
    required: ['username', 'role_id'],
    notFound: 'No such user or role',
  },
  'roles/unassign': {
    fields: { username: USERNAME, role_id: ID },
    required: ['username', 'role_id'],
    notFound: 'No such user, or not assigned',
  },
  'roles/users/list': { fields: { role_id: ID }, required: ['role_id'], notFound: 'No such role' },
  'users/roles/list': { fields: { username: USERNAME }, required: ['username'], notFound: 'No such user' },
  'users/current/permissions': { fields: {}, required: [] },
  'users/permissions/list': { fields: { username: USERNAME }, required: ['username'], notFound: 'No such user' },
  'users/permissions/grant': {
    fields: { username: USERNAME, resource_type: RESOURCE_TYPE, resource_id: RESOURCE_ID, permission: PERMISSION },
    required: ['username', 'resource_type', 'resource_id', 'permission'],
    notFound: 'No such user',
  },
  'users/permissions/revoke': {
    fields: { username: USERNAME, resource_type: RESOURCE_TYPE, resource_id: RESOURCE_ID },
    required: ['username', 'resource_type', 'resource_id'],
    notFound: 'No such user, or no such grant',
  },
  'users/permissions/get': {
    fields: { username: USERNAME, resource_type: RESOURCE_TYPE, resource_id: RESOURCE_ID },
    required: ['username', 'resource_type', 'resource_id'],
    notFound: 'No such user',
  },
};

/** States where a roles or permissions route reads its parameters: the query of a GET, else the JSON body. */
function documentRoleRoute(path: string, verb: string, operation: OpenApiPaths[string][string]): void {
  const route = Object.entries(ROLE_ROUTES).find(([suffix]) => path.endsWith(`/3.0/mlflow/${suffix}`))?.[1];
  if (!route) return;
  if (route.notFound) operation.responses['404'] = { description: route.notFound, content: ERROR };
  const names = Object.keys(route.fields);
  if (names.length === 0) return;
  if (verb === 'get') {
    operation.parameters = names.map((name) => ({
      name,
      in: 'query',
      required: route.required.includes(name),
      // A query string holds text: a field typed by what a JSON body may hold is text here.
      schema: route.fields[name].type === undefined ? { type: 'string' } : route.fields[name],
      ...(route.fields[name].type === 'array' ? { style: 'form', explode: true } : {}),
    }));
    return;
  }
  const schema = { type: 'object', required: route.required, properties: route.fields };
  operation.requestBody = { required: true, content: { 'application/json': { schema } } };
}

/** The users, roles and permissions APIs' part of the OpenAPI document, generated from its controllers. */
export function identityOpenApi(): OpenApiFragment {
  const fragment = openApiFromControllers(IDENTITY_CONTROLLERS, IDENTITY_WIRE_SCHEMAS, {
    fields: ENTITY_FIELDS,
    description: 'No such user',
  });
  // What SQLAlchemy's Boolean column takes, as MLflow stores it: true, false, 1, 0, or null (no change).
  const updateAdmin = fragment.components.UpdateAdminDto as { properties: Record<string, JsonSchema> };
  updateAdmin.properties.is_admin = { anyOf: [{ type: 'boolean' }, { type: 'integer', enum: [0, 1] }], nullable: true };
  for (const [path, operations] of Object.entries(fragment.paths)) {
    for (const [verb, operation] of Object.entries(operations)) {
      operation.responses['403'] = FORBIDDEN;
      documentRoleRoute(path, verb, operation);
      if (path.endsWith('/identity-audit/entries/export')) {
        operation.responses['200'] = {
          description: 'The matching audit rows, streamed',
          content: { 'application/x-ndjson': { schema: AUDIT_ANSWERS.auditExport } },
        };
      }
      if (path.endsWith('/tokens/revoke')) {
        operation.responses['404'] = { description: 'No token of the caller has this id', content: ERROR };
      }
    }
    if (!path.endsWith('/users/delete')) continue;
    // users/delete reads its parameters by content type, which the generator cannot see from the handler.
    const operation = operations.delete;
    operation.requestBody = {
      required: false,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['username'],
            properties: { username: { type: 'string', nullable: true } },
          },
        },
      },
    };
    operation.parameters = [
      {
        name: 'username',
        in: 'query',
        required: false,
        description: 'When the body is not JSON',
        schema: { type: 'string' },
      },
    ];
    operation.responses['404'] = {
      description: 'No such user',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return fragment;
}
