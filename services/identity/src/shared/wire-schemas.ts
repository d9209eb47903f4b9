import { JsonSchema } from '@logbook/platform';

/** JSON Schemas of what the users, roles and permissions APIs answer, for the OpenAPI document. */
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

const rolePermission = object(
  {
    id: { type: 'integer' },
    permission: { type: 'string', enum: ['READ', 'USE', 'EDIT', 'MANAGE', 'DENY'] },
    resource_pattern: { type: 'string', description: "'*', or one resource's id where its type takes ids" },
    resource_type: { type: 'string' },
    role_id: { type: 'integer' },
  },
  ['id', 'permission', 'resource_pattern', 'resource_type', 'role_id'],
);

const role = object(
  {
    description: { type: 'string', nullable: true },
    id: { type: 'integer' },
    name: { type: 'string' },
    permissions: { type: 'array', items: { $ref: '#/components/schemas/RolePermission' } },
    workspace: { type: 'string' },
  },
  ['description', 'id', 'name', 'permissions', 'workspace'],
);

export const IDENTITY_WIRE_SCHEMAS: Record<string, JsonSchema> = {
  User: user,
  ListedUser: object(
    {
      id: { type: 'integer' },
      is_admin: { type: 'boolean' },
      roles: {
        type: 'array',
        items: { $ref: '#/components/schemas/Role' },
        description: "The user's roles; another user's only in workspaces the caller administers",
      },
      username: { type: 'string' },
    },
    ['id', 'is_admin', 'roles', 'username'],
  ),
  Role: role,
  RolePermission: rolePermission,
  UserRoleAssignment: object({ id: { type: 'integer' }, role_id: { type: 'integer' }, user_id: { type: 'integer' } }, [
    'id',
    'role_id',
    'user_id',
  ]),
  UserPermissionRow: object(
    {
      permission: { type: 'string' },
      resource_pattern: { type: 'string' },
      resource_type: { type: 'string' },
      role_id: { type: 'integer' },
      role_name: { type: 'string' },
      workspace: { type: 'string' },
    },
    ['permission', 'resource_pattern', 'resource_type', 'role_id', 'role_name', 'workspace'],
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
  role: object({ role: ref('Role') }, ['role']),
  roles: object({ roles: { type: 'array', items: ref('Role') } }, ['roles']),
  rolePermission: object({ role_permission: ref('RolePermission') }, ['role_permission']),
  rolePermissions: object({ role_permissions: { type: 'array', items: ref('RolePermission') } }, ['role_permissions']),
  assignment: object({ assignment: ref('UserRoleAssignment') }, ['assignment']),
  assignments: object({ assignments: { type: 'array', items: ref('UserRoleAssignment') } }, ['assignments']),
  userPermissions: object(
    { is_admin: { type: 'boolean' }, permissions: { type: 'array', items: ref('UserPermissionRow') } },
    ['is_admin', 'permissions'],
  ),
  userPermission: object(
    {
      allowed: { type: 'boolean', description: 'Whether the permission lets the user use the resource' },
      permission: { type: 'string', enum: ['READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS', 'DENY'] },
    },
    ['allowed', 'permission'],
  ),
};
