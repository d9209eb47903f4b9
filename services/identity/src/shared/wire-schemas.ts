import { JsonSchema } from '@logbook/platform';

/** JSON Schemas of what the users API answers, for the OpenAPI document. */
const ref = (name: keyof typeof IDENTITY_WIRE_SCHEMAS): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

const object = (properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema => ({
  type: 'object',
  properties,
  ...(required.length > 0 ? { required } : {}),
});

const user = object({ id: { type: 'integer' }, is_admin: { type: 'boolean' }, username: { type: 'string' } }, [
  'id',
  'is_admin',
  'username',
]);

export const IDENTITY_WIRE_SCHEMAS: Record<string, JsonSchema> = {
  User: user,
  ListedUser: object(
    {
      id: { type: 'integer' },
      is_admin: { type: 'boolean' },
      roles: { type: 'array', items: { type: 'object' }, description: 'Always empty until roles are served' },
      username: { type: 'string' },
    },
    ['id', 'is_admin', 'roles', 'username'],
  ),
};

const token = object(
  {
    id: { type: 'integer' },
    name: { type: 'string' },
    owner: { type: 'string' },
    scope: { type: 'string', enum: ['READ', 'USE', 'EDIT', 'MANAGE'] },
    creation_time: { type: 'integer', format: 'int64' },
    expiration_time: { type: 'integer', format: 'int64' },
    last_used_time: { type: 'integer', format: 'int64' },
    revoked_time: { type: 'integer', format: 'int64' },
  },
  ['id', 'name', 'owner', 'scope', 'creation_time'],
);

export const ANSWERS = {
  issuedToken: object({ token, secret: { type: 'string', description: 'Shown once: Logbook keeps only its hash' } }, [
    'token',
    'secret',
  ]),
  tokens: object({ tokens: { type: 'array', items: token } }),
  user: object({ user: ref('User') }, ['user']),
  users: object({ users: { type: 'array', items: ref('ListedUser') } }, ['users']),
  currentUser: object({ is_basic_auth: { type: 'boolean' }, user: ref('User') }, ['is_basic_auth', 'user']),
  empty: object({}),
};
