import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { identityOpenApi } from '../../services/identity/src/identity.openapi';
import { IdentityRuntime } from '../../services/identity/src/identity.runtime';
import { rolesProjection } from '../../services/identity/src/roles/roles.projection';
import { Answer, fails, IdentityApi, Method, ok, startIdentityApi } from './identity-fixtures';

const ADMIN = 'root';
const PASSWORD = 'a password of 20 chars';

describe('identity roles and permissions API on real Postgres', () => {
  let api: IdentityApi;
  let runtime: IdentityRuntime;
  const asAdmin = `${ADMIN}:admin`;

  /** `path` below /api/3.0/mlflow/ (or `version` 2.0); `as`: a username, `name:admin`, or none for no authentication. */
  const call = async (
    method: Method,
    path: string,
    options: { as?: string; body?: unknown; query?: Record<string, string | string[]>; version?: '2.0' | '3.0' } = {},
  ): Promise<Answer> => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) {
      for (const one of ([] as string[]).concat(value)) search.append(key, one);
    }
    return api.call(
      method,
      `/api/${options.version ?? '3.0'}/mlflow/${path}${options.query ? `?${search}` : ''}`,
      options,
    );
  };
  const admin = (method: Method, path: string, options: Parameters<typeof call>[2] = {}) =>
    call(method, path, { as: asAdmin, ...options });
  const invalid = (answer: Answer, message: string) => fails(answer, 400, 'INVALID_PARAMETER_VALUE', message);
  const denied = (answer: Answer) => fails(answer, 403, 'PERMISSION_DENIED', 'Permission denied');
  const missing = (name: string) =>
    `Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`;

  const createUser = async (username: string) =>
    ok(await admin('POST', 'users/create', { version: '2.0', body: { username, password: PASSWORD } })).user as {
      id: number;
    };
  const createRole = async (name: string, workspace = 'default', description?: string | null) =>
    ok(await admin('POST', 'roles/create', { body: { name, workspace, description } })).role as Record<string, any>;
  const addPermission = async (roleId: number, resourceType: string, resourcePattern: string, permission: string) =>
    ok(
      await admin('POST', 'roles/permissions/add', {
        body: { role_id: roleId, resource_type: resourceType, resource_pattern: resourcePattern, permission },
      }),
    ).role_permission as Record<string, any>;
  const assign = async (username: string, roleId: number) =>
    ok(await admin('POST', 'roles/assign', { body: { username, role_id: roleId } })).assignment as Record<string, any>;
  const permissionOf = async (username: string, resourceType: string, resourceId: string) =>
    ok(
      await admin('GET', 'users/permissions/get', {
        query: { username, resource_type: resourceType, resource_id: resourceId },
      }),
    );

  before(async () => {
    api = await startIdentityApi('identity_roles', [ADMIN, 'root password 12']);
    ({ runtime } = api);
  });

  after(async () => {
    await api.close();
  });

  describe('roles (R1-R5)', () => {
    it('creates, reads, lists, updates and deletes a role, in Flask-shaped JSON', async () => {
      const answer = await admin('POST', 'roles/create', { body: { name: 'readers', workspace: 'default' } });
      const role = ok(answer).role;
      assert.match(answer.contentType ?? '', /^application\/json/);
      assert.equal(
        answer.text,
        `{"role":{"description":null,"id":${role.id},"name":"readers","permissions":[],"workspace":"default"}}`,
      );
      assert.deepEqual(ok(await admin('GET', 'roles/get', { query: { role_id: String(role.id) } })).role, role);
      assert.deepEqual(
        ok(await admin('GET', 'roles/list', { query: { workspace: 'default' } })).roles.map((r: any) => r.id),
        [role.id],
      );
      const renamed = ok(await admin('PATCH', 'roles/update', { body: { role_id: role.id, name: 'viewers' } })).role;
      assert.deepEqual(renamed, { ...role, name: 'viewers' });
      const described = ok(await admin('PATCH', 'roles/update', { body: { role_id: role.id, description: 'Sees' } }));
      assert.equal(described.role.description, 'Sees');
      assert.deepEqual(ok(await admin('DELETE', 'roles/delete', { body: { role_id: role.id } })), {});
      fails(
        await admin('GET', 'roles/get', { query: { role_id: String(role.id) } }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Role with id=${role.id} not found`,
      );
    });

    it('lists every role only without a workspace, and the roles of each workspace named', async () => {
      const here = await createRole('here');
      const there = await createRole('there', 'team-a', 'Team A');
      const ids = (answer: Answer) => ok(answer).roles.map((r: any) => r.id);
      assert.ok(ids(await admin('GET', 'roles/list')).includes(there.id));
      assert.deepEqual(ids(await admin('GET', 'roles/list', { query: { workspace: 'team-a' } })), [there.id]);
      const both = ids(await admin('GET', 'roles/list', { query: { workspace: ['default', 'team-a'] } }));
      assert.ok(both.includes(here.id) && both.includes(there.id));
      invalid(
        await admin('GET', 'roles/list', { query: { workspace: ['default', ' '] } }),
        "Parameter 'workspace' must be a non-empty string when provided.",
      );
    });

    it("refuses what MLflow's role handlers refuse, in their order", async () => {
      invalid(await admin('POST', 'roles/create', { body: { workspace: 'default' } }), missing('name'));
      invalid(await admin('POST', 'roles/create', { body: { name: 'x' } }), missing('workspace'));
      invalid(
        await admin('POST', 'roles/create', { body: { name: ' ', workspace: ' ' } }),
        'Role name cannot be empty.',
      );
      invalid(
        await admin('POST', 'roles/create', { body: { name: 'x', workspace: '' } }),
        'Workspace cannot be empty.',
      );
      invalid(
        await admin('POST', 'roles/create', { body: { name: 'x', workspace: 'default', description: 3 } }),
        'Role description must be a string or null.',
      );
      invalid(
        await admin('POST', 'roles/create', { body: { name: '__user_1__', workspace: 'default' } }),
        "Role name '__user_1__' uses the reserved '__user_' prefix, which is held for the per-user permission representation. Choose a different name.",
      );
      await createRole('dup');
      fails(
        await admin('POST', 'roles/create', { body: { name: 'dup', workspace: 'default' } }),
        400,
        'RESOURCE_ALREADY_EXISTS',
        'Role (name=dup, workspace=default) already exists.',
      );
      invalid(await admin('GET', 'roles/get'), missing('role_id'));
      invalid(
        await admin('GET', 'roles/get', { query: { role_id: 'abc' } }),
        "Parameter 'role_id' must be an integer. Got: 'abc'",
      );
      fails(
        await admin('GET', 'roles/get', { query: { role_id: '999' } }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'Role with id=999 not found',
      );
      const other = await createRole('other');
      invalid(
        await admin('PATCH', 'roles/update', { body: { role_id: other.id } }),
        "At least one of 'name' or 'description' must be provided to update a role.",
      );
      invalid(
        await admin('PATCH', 'roles/update', { body: { role_id: other.id, name: '' } }),
        'Role name cannot be empty.',
      );
      invalid(
        await admin('PATCH', 'roles/update', { body: { role_id: other.id, description: 1 } }),
        'Role description must be a string.',
      );
      fails(
        await admin('PATCH', 'roles/update', { body: { role_id: other.id, name: 'dup' } }),
        400,
        'RESOURCE_ALREADY_EXISTS',
        'Role with name=dup already exists in workspace=default',
      );
      fails(
        await admin('PATCH', 'roles/update', { body: { role_id: 999, name: 'y' } }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      fails(
        await admin('DELETE', 'roles/delete', { body: { role_id: 999 } }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'Role with id=999 not found',
      );
      // Without a JSON body, a DELETE reads the query string.
      assert.equal((await admin('DELETE', `roles/delete?role_id=${other.id}`)).status, 200);
    });

    it('refuses one of concurrent creates of one name, by the unique index', async () => {
      const answers = await Promise.all(
        [1, 2, 3].map(() => admin('POST', 'roles/create', { body: { name: 'race', workspace: 'default' } })),
      );
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 400, 400]);
      for (const answer of answers.filter((a) => a.status === 400)) {
        fails(answer, 400, 'RESOURCE_ALREADY_EXISTS', 'Role (name=race, workspace=default) already exists.');
      }
    });
  });

  describe('role permissions (R6-R9)', () => {
    it('adds, lists, updates and removes a grant', async () => {
      const role = await createRole('granting');
      const added = await addPermission(role.id, 'experiment', '*', 'READ');
      assert.deepEqual(added, {
        id: added.id,
        permission: 'READ',
        resource_pattern: '*',
        resource_type: 'experiment',
        role_id: role.id,
      });
      assert.deepEqual(ok(await admin('GET', 'roles/permissions/list', { query: { role_id: String(role.id) } })), {
        role_permissions: [added],
      });
      const updated = ok(
        await admin('PATCH', 'roles/permissions/update', {
          body: { role_permission_id: added.id, permission: 'DENY' },
        }),
      );
      assert.deepEqual(updated.role_permission, { ...added, permission: 'DENY' });
      assert.deepEqual(ok(await admin('GET', 'roles/get', { query: { role_id: String(role.id) } })).role.permissions, [
        updated.role_permission,
      ]);
      assert.deepEqual(
        ok(await admin('DELETE', 'roles/permissions/remove', { body: { role_permission_id: added.id } })),
        {},
      );
      assert.deepEqual(ok(await admin('GET', 'roles/permissions/list', { query: { role_id: String(role.id) } })), {
        role_permissions: [],
      });
    });

    it('validates the permission, the type, the level for it, the grain, then the role', async () => {
      const role = await createRole('validated');
      const add = (body: Record<string, unknown>) =>
        admin('POST', 'roles/permissions/add', { body: { role_id: role.id, resource_pattern: '*', ...body } });
      invalid(await admin('POST', 'roles/permissions/add', { body: { resource_type: 'run' } }), missing('role_id'));
      invalid(await add({ permission: 'READ' }), missing('resource_type'));
      invalid(
        await add({ resource_type: 'widget', permission: 'WRITE' }),
        "Invalid permission 'WRITE'. Valid permissions are: ('READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS', 'DENY')",
      );
      assert.match(
        (await add({ resource_type: 'widget', permission: 'READ' })).json.message,
        /^Invalid resource type 'widget'/,
      );
      invalid(
        await add({ resource_type: 'workspace', permission: 'EDIT' }),
        "Invalid permission 'EDIT' for resource_type='workspace'. Workspace-wide grants accept only: ('MANAGE', 'USE').",
      );
      invalid(
        await add({ resource_type: 'registered_model', permission: 'NO_PERMISSIONS' }),
        "Invalid permission 'NO_PERMISSIONS' for resource_type='registered_model'. Resource-level grants accept only: ('DENY', 'EDIT', 'MANAGE', 'READ', 'USE').",
      );
      invalid(
        await add({ resource_type: 'trace', resource_pattern: 'tr-1', permission: 'READ' }),
        "Invalid resource_pattern 'tr-1' for resource_type='trace'. This resource type supports only wildcard ('*') grants.",
      );
      fails(
        await admin('POST', 'roles/permissions/add', {
          body: { role_id: 999, resource_type: 'run', resource_pattern: '*', permission: 'READ' },
        }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'Role with id=999 not found',
      );
      ok(await add({ resource_type: 'experiment', resource_pattern: 'prod-*', permission: 'READ' }));
      fails(
        await add({ resource_type: 'experiment', resource_pattern: 'prod-*', permission: 'EDIT' }),
        400,
        'RESOURCE_ALREADY_EXISTS',
        `Role permission (role_id=${role.id}, resource_type=experiment, resource_pattern=prod-*) already exists.`,
      );
      fails(
        await admin('PATCH', 'roles/permissions/update', { body: { role_permission_id: 999, permission: 'READ' } }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'Role permission with id=999 not found',
      );
      fails(
        await admin('DELETE', 'roles/permissions/remove', { body: { role_permission_id: 999 } }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'Role permission with id=999 not found',
      );
      invalid(
        await admin('PATCH', 'roles/permissions/update', { body: { role_permission_id: 1 } }),
        missing('permission'),
      );
      fails(
        await admin('GET', 'roles/permissions/list', { query: { role_id: '999' } }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });
  });

  describe('assignments (R10-R13)', () => {
    it('assigns and unassigns users, and lists both ways', async () => {
      const user = await createUser('ada');
      const role = await createRole('assigned');
      await addPermission(role.id, 'experiment', '*', 'USE');
      const assignment = await assign('ada', role.id);
      assert.deepEqual(assignment, { id: assignment.id, role_id: role.id, user_id: user.id });
      assert.deepEqual(ok(await admin('GET', 'roles/users/list', { query: { role_id: String(role.id) } })), {
        assignments: [assignment],
      });
      const roles = ok(await admin('GET', 'users/roles/list', { query: { username: 'ada' } })).roles;
      assert.deepEqual(
        roles.map((r: any) => [r.id, r.permissions.length]),
        [[role.id, 1]],
      );
      fails(
        await admin('POST', 'roles/assign', { body: { username: 'ada', role_id: role.id } }),
        400,
        'RESOURCE_ALREADY_EXISTS',
        `User role assignment (user_id=${user.id}, role_id=${role.id}) already exists`,
      );
      assert.deepEqual(
        ok(await admin('DELETE', 'roles/unassign', { body: { username: 'ada', role_id: role.id } })),
        {},
      );
      fails(
        await admin('DELETE', 'roles/unassign', { body: { username: 'ada', role_id: role.id } }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `User role assignment (user_id=${user.id}, role_id=${role.id}) not found`,
      );
      fails(
        await admin('POST', 'roles/assign', { body: { username: 'ghost', role_id: role.id } }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'User with username=ghost not found',
      );
      fails(
        await admin('POST', 'roles/assign', { body: { username: 'ada', role_id: 999 } }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'Role with id=999 not found',
      );
      invalid(await admin('POST', 'roles/assign', { body: { role_id: role.id } }), missing('username'));
      fails(await admin('GET', 'users/roles/list', { query: { username: 'ghost' } }), 404, 'RESOURCE_DOES_NOT_EXIST');
      fails(await admin('GET', 'roles/users/list', { query: { role_id: '999' } }), 404, 'RESOURCE_DOES_NOT_EXIST');
    });

    it("ends a role's grants and assignments with it", async () => {
      await createUser('bea');
      const role = await createRole('doomed');
      await addPermission(role.id, 'experiment', '*', 'EDIT');
      await assign('bea', role.id);
      ok(await admin('DELETE', 'roles/delete', { body: { role_id: role.id } }));
      assert.deepEqual(ok(await admin('GET', 'users/roles/list', { query: { username: 'bea' } })).roles, []);
      assert.equal((await permissionOf('bea', 'experiment', '1')).permission, 'READ');
    });
  });

  describe('per-user grants (G1-G3)', () => {
    it("grants on the user's own role, made with the first grant, insert-only, and revokes", async () => {
      const user = await createUser('cal');
      const grant = (body: Record<string, unknown>) =>
        admin('POST', 'users/permissions/grant', { body: { username: 'cal', resource_type: 'experiment', ...body } });
      assert.deepEqual(ok(await grant({ resource_id: '7', permission: 'EDIT' })), {});
      assert.deepEqual(await permissionOf('cal', 'experiment', '7'), { allowed: true, permission: 'EDIT' });
      ok(await grant({ resource_id: '8', permission: 'MANAGE' }));
      const own = ok(await admin('GET', 'users/roles/list', { query: { username: 'cal' } })).roles;
      assert.deepEqual(
        own.map((r: any) => [r.name, r.workspace, r.description, r.permissions.map((p: any) => p.resource_pattern)]),
        [[`__user_${user.id}__`, 'default', null, ['7', '8']]],
      );
      fails(
        await grant({ resource_id: '7', permission: 'READ' }),
        400,
        'RESOURCE_ALREADY_EXISTS',
        'Permission for user=cal on resource_type=experiment, resource_id=7 already exists.',
      );
      const revoke = (resourceId: string) =>
        admin('POST', 'users/permissions/revoke', {
          body: { username: 'cal', resource_type: 'experiment', resource_id: resourceId },
        });
      assert.deepEqual(ok(await revoke('7')), {});
      assert.deepEqual(await permissionOf('cal', 'experiment', '7'), { allowed: false, permission: 'READ' });
      fails(
        await revoke('7'),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'Permission for user=cal on resource_type=experiment, resource_id=7 not found.',
      );
      // Revoking is a POST; MLflow answers another method 405.
      assert.equal((await admin('DELETE', 'users/permissions/revoke', { body: {} })).status, 405);
    });

    it('refuses what MLflow refuses, in its order', async () => {
      await createUser('dan');
      const workspace =
        "resource_type 'workspace' is not supported by the per-user permission convenience APIs. Use set_workspace_permission / delete_workspace_permission for workspace-wide grants.";
      const grant = (body: Record<string, unknown>) => admin('POST', 'users/permissions/grant', { body });
      invalid(await grant({ resource_type: 'experiment' }), missing('username'));
      invalid(await grant({ username: 'dan', resource_type: 'experiment', resource_id: '1' }), missing('permission'));
      fails(
        await grant({ username: 'ghost', resource_type: 'workspace', resource_id: '*', permission: 'USE' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'User with username=ghost not found',
      );
      invalid(
        await grant({ username: 'dan', resource_type: 'workspace', resource_id: '*', permission: 'USE' }),
        workspace,
      );
      invalid(
        await grant({ username: 'dan', resource_type: 'run', resource_id: 'r1', permission: 'READ' }),
        "Invalid resource_pattern 'r1' for resource_type='run'. This resource type supports only wildcard ('*') grants.",
      );
      invalid(
        await grant({ username: 'dan', resource_type: 'experiment', resource_id: '1', permission: 'NO_PERMISSIONS' }),
        "Invalid permission 'NO_PERMISSIONS' for resource_type='experiment'. Resource-level grants accept only: ('DENY', 'EDIT', 'MANAGE', 'READ', 'USE').",
      );
      const get = (query: Record<string, string>) =>
        admin('GET', 'users/permissions/get', { query: { username: 'dan', ...query } });
      invalid(await get({ resource_type: 'workspace', resource_id: '*' }), workspace);
      invalid(
        await get({ resource_type: 'prompt', resource_id: 'p' }),
        "resource_type 'prompt' is not supported by the per-user permission convenience APIs.",
      );
      invalid(
        await get({ resource_type: 'scorer', resource_id: 'no-slash' }),
        "Invalid scorer resource_id. Expected '<experiment_id>/<scorer_name>'.",
      );
      assert.deepEqual(ok(await get({ resource_type: 'prompt', resource_id: '*' })), {
        allowed: false,
        permission: 'READ',
      });
      assert.deepEqual(ok(await get({ resource_type: 'scorer', resource_id: '1/s' })), {
        allowed: false,
        permission: 'READ',
      });
      invalid(
        await admin('POST', 'users/permissions/revoke', {
          body: { username: 'dan', resource_type: 'widget', resource_id: '1' },
        }),
        "Invalid resource type 'widget'. Valid resource types are: ('assessment', 'experiment', 'gateway_endpoint', 'gateway_model_definition', 'gateway_secret', 'logged_model', 'mcp_server', 'mcp_server_version', 'prompt', 'prompt_version', 'registered_model', 'registered_model_version', 'review_queue', 'run', 'scorer', 'scorer_version', 'trace', 'workspace')",
      );
    });

    it("folds a user's own grants with their roles': DENY wins, a workspace admin has MANAGE", async () => {
      await createUser('eli');
      const editors = await createRole('editors');
      await addPermission(editors.id, 'experiment', '*', 'EDIT');
      await assign('eli', editors.id);
      ok(
        await admin('POST', 'users/permissions/grant', {
          body: { username: 'eli', resource_type: 'experiment', resource_id: '3', permission: 'READ' },
        }),
      );
      assert.equal((await permissionOf('eli', 'experiment', '3')).permission, 'EDIT');
      const deniers = await createRole('deniers');
      await addPermission(deniers.id, 'experiment', '3', 'DENY');
      await assign('eli', deniers.id);
      assert.deepEqual(await permissionOf('eli', 'experiment', '3'), { allowed: false, permission: 'DENY' });
      assert.equal((await permissionOf('eli', 'experiment', '4')).permission, 'EDIT');
      const admins = await createRole('ws-admins');
      await addPermission(admins.id, 'workspace', '*', 'MANAGE');
      await assign('eli', admins.id);
      assert.deepEqual(await permissionOf('eli', 'experiment', '3'), { allowed: true, permission: 'MANAGE' });
    });
  });

  describe('who may call (workspaces off: every role in "default")', () => {
    it('lets a workspace admin manage roles of their workspace only, and create users', async () => {
      await createUser('boss');
      await createUser('worker');
      const admins = await createRole('boss-admins');
      await addPermission(admins.id, 'workspace', '*', 'MANAGE');
      await assign('boss', admins.id);
      const as = { as: 'boss' };
      const role = ok(await call('POST', 'roles/create', { ...as, body: { name: 'crew', workspace: 'default' } })).role;
      denied(await call('POST', 'roles/create', { ...as, body: { name: 'crew', workspace: 'team-a' } }));
      const granted = ok(
        await call('POST', 'roles/permissions/add', {
          ...as,
          body: { role_id: role.id, resource_type: 'experiment', resource_pattern: '*', permission: 'READ' },
        }),
      ).role_permission;
      ok(
        await call('PATCH', 'roles/permissions/update', {
          ...as,
          body: { role_permission_id: granted.id, permission: 'USE' },
        }),
      );
      ok(await call('PATCH', 'roles/update', { ...as, body: { role_id: role.id, description: 'The crew' } }));
      ok(await call('POST', 'roles/assign', { ...as, body: { username: 'worker', role_id: role.id } }));
      ok(await call('GET', 'roles/users/list', { ...as, query: { role_id: String(role.id) } }));
      ok(await call('GET', 'users/roles/list', { ...as, query: { username: 'worker' } }));
      ok(await call('GET', 'users/permissions/list', { ...as, query: { username: 'worker' } }));
      ok(
        await call('GET', 'users/permissions/get', {
          ...as,
          query: { username: 'worker', resource_type: 'experiment', resource_id: '1' },
        }),
      );
      ok(
        await call('POST', 'users/permissions/grant', {
          ...as,
          body: { username: 'worker', resource_type: 'experiment', resource_id: '*', permission: 'READ' },
        }),
      );
      ok(
        await call('POST', 'users/create', { ...as, version: '2.0', body: { username: 'fresh', password: PASSWORD } }),
      );
      denied(await call('DELETE', 'users/delete', { ...as, version: '2.0', body: { username: 'fresh' } }));
      denied(await call('GET', 'roles/list', as));
      denied(await call('DELETE', 'roles/delete', { ...as, body: { role_id: 999 } }));
      denied(await call('DELETE', 'roles/permissions/remove', { ...as, body: { role_permission_id: 999 } }));
      ok(await call('DELETE', 'roles/unassign', { ...as, body: { username: 'worker', role_id: role.id } }));
      ok(await call('DELETE', 'roles/permissions/remove', { ...as, body: { role_permission_id: granted.id } }));
      ok(await call('DELETE', 'roles/delete', { ...as, body: { role_id: role.id } }));
    });

    it('lets a member view the roles of their workspace, and nothing more', async () => {
      await createUser('member');
      await createUser('stranger');
      const role = await createRole('members');
      await addPermission(role.id, 'experiment', '1', 'READ');
      await assign('member', role.id);
      const as = { as: 'member' };
      const byId = { role_id: String(role.id) };
      ok(await call('GET', 'roles/get', { ...as, query: byId }));
      ok(await call('GET', 'roles/permissions/list', { ...as, query: byId }));
      ok(await call('GET', 'roles/list', { ...as, query: { workspace: 'default' } }));
      denied(await call('GET', 'roles/list', { ...as, query: { workspace: ['default', 'team-a'] } }));
      denied(await call('GET', 'roles/list', as));
      denied(await call('GET', 'roles/users/list', { ...as, query: byId }));
      denied(await call('PATCH', 'roles/update', { ...as, body: { role_id: role.id, name: 'mine' } }));
      denied(await call('GET', 'roles/get', { ...as, query: { role_id: '999' } }));
      denied(
        await call('POST', 'users/create', { ...as, version: '2.0', body: { username: 'x', password: PASSWORD } }),
      );
      invalid(
        await call('POST', 'roles/create', { ...as, body: { name: 'x' } }),
        'Request must include one of: role_id, role_permission_id, workspace.',
      );
      invalid(
        await call('POST', 'roles/create', { ...as, body: { name: 'x', workspace: 3 } }),
        "Parameter 'workspace' must be a non-empty string.",
      );
      invalid(
        await call('GET', 'roles/get', { ...as, query: { role_id: 'x' } }),
        "Parameter 'role_id' must be an integer. Got: 'x'",
      );
      // Their own roles and grants, not another's.
      ok(await call('GET', 'users/roles/list', { ...as, query: { username: 'member' } }));
      denied(await call('GET', 'users/roles/list', { ...as, query: { username: 'stranger' } }));
      denied(await call('GET', 'users/roles/list', { ...as, query: { username: 'nobody' } }));
      denied(await call('GET', 'users/permissions/list', { ...as, query: { username: 'stranger' } }));
      const own = { username: 'member', resource_type: 'experiment', resource_id: '1' };
      assert.deepEqual(ok(await call('GET', 'users/permissions/get', { ...as, query: own })), {
        allowed: false,
        permission: 'READ',
      });
      denied(await call('GET', 'users/permissions/get', { ...as, query: { ...own, username: 'stranger' } }));
      invalid(
        await call('GET', 'users/permissions/get', { ...as, query: { ...own, resource_type: 'workspace' } }),
        "resource_type 'workspace' is not supported by the per-user permission convenience APIs. Use set_workspace_permission / delete_workspace_permission for workspace-wide grants.",
      );
      const stranger = { as: 'stranger' };
      denied(await call('GET', 'roles/get', { ...stranger, query: byId }));
      denied(await call('GET', 'roles/list', { ...stranger, query: { workspace: 'default' } }));
    });

    it('lets whoever manages a resource grant and revoke on it, and nobody else', async () => {
      await createUser('owner');
      await createUser('guest');
      const grant = (as: string, username: string, resourceId: string, permission = 'READ') =>
        call('POST', 'users/permissions/grant', {
          as,
          body: { username, resource_type: 'experiment', resource_id: resourceId, permission },
        });
      ok(await grant(asAdmin, 'owner', '50', 'MANAGE'));
      ok(await grant(asAdmin, 'guest', '51', 'EDIT'));
      ok(await grant('owner', 'guest', '50'));
      ok(
        await call('POST', 'users/permissions/revoke', {
          as: 'owner',
          body: { username: 'guest', resource_type: 'experiment', resource_id: '50' },
        }),
      );
      denied(await grant('owner', 'guest', '52'));
      denied(await grant('owner', 'guest', '*'));
      denied(await grant('guest', 'owner', '51'));
      invalid(
        await grant('owner', 'guest', '*', 'READ').then(() =>
          call('POST', 'users/permissions/grant', {
            as: 'owner',
            body: { username: 'guest', resource_type: 'workspace', resource_id: '*', permission: 'USE' },
          }),
        ),
        "resource_type 'workspace' is not supported by the per-user permission convenience APIs. Use set_workspace_permission / delete_workspace_permission for workspace-wide grants.",
      );
      invalid(
        await call('POST', 'users/permissions/grant', {
          as: 'owner',
          body: { username: 'guest', resource_type: 'run', resource_id: 'r', permission: 'READ' },
        }),
        "resource_type 'run' is not supported by the per-user permission convenience APIs.",
      );
      invalid(
        await call('POST', 'users/permissions/grant', { as: 'owner', body: { username: 'guest' } }),
        missing('resource_type'),
      );
    });
  });

  describe('users with their roles and grants (U3, U5, U6)', () => {
    it("lists users with their roles, another's only in workspaces the caller administers", async () => {
      const user = await createUser('fay');
      const role = await createRole('fay-role');
      const granted = await addPermission(role.id, 'experiment', '*', 'READ');
      await assign('fay', role.id);
      const listed = async (as: string) =>
        (ok(await call('GET', 'users/list', { as, version: '2.0' })).users as any[]).find((u) => u.username === 'fay');
      const expected = {
        id: user.id,
        is_admin: false,
        roles: [{ description: null, id: role.id, name: 'fay-role', permissions: [granted], workspace: 'default' }],
        username: 'fay',
      };
      assert.deepEqual(await listed(asAdmin), expected);
      assert.deepEqual(await listed('fay'), expected);
      assert.deepEqual(await listed('boss'), expected, 'boss administers "default"');
      assert.deepEqual(await listed('member'), { ...expected, roles: [] });
    });

    it("answers a user's grants through every role they hold", async () => {
      const user = await createUser('gus');
      const role = await createRole('gus-role');
      await addPermission(role.id, 'registered_model', '*', 'USE');
      await assign('gus', role.id);
      ok(
        await admin('POST', 'users/permissions/grant', {
          body: { username: 'gus', resource_type: 'experiment', resource_id: '9', permission: 'EDIT' },
        }),
      );
      const own = await call('GET', 'users/current/permissions', { as: 'gus' });
      assert.equal(own.json.is_admin, false);
      assert.deepEqual(
        own.json.permissions.map((row: any) => [
          row.role_name,
          row.resource_type,
          row.resource_pattern,
          row.permission,
          row.workspace,
        ]),
        [
          ['gus-role', 'registered_model', '*', 'USE', 'default'],
          [`__user_${user.id}__`, 'experiment', '9', 'EDIT', 'default'],
        ],
      );
      assert.deepEqual(Object.keys(own.json.permissions[0]), [
        'permission',
        'resource_pattern',
        'resource_type',
        'role_id',
        'role_name',
        'workspace',
      ]);
      assert.deepEqual(ok(await admin('GET', 'users/permissions/list', { query: { username: 'gus' } })), own.json);
      assert.deepEqual(
        ok(await call('GET', 'users/permissions/list', { as: 'gus', query: { username: 'gus' } })),
        own.json,
      );
      assert.deepEqual(ok(await admin('GET', 'users/current/permissions')), { is_admin: true, permissions: [] });
      assert.deepEqual(ok(await call('GET', 'users/current/permissions')), { is_admin: true, permissions: [] });
      fails(
        await admin('GET', 'users/permissions/list', { query: { username: 'ghost' } }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });

    it("deletes a user's own role, even one they were unassigned from, and their assignments with them", async () => {
      const ivy = await createUser('ivy');
      ok(
        await admin('POST', 'users/permissions/grant', {
          body: { username: 'ivy', resource_type: 'experiment', resource_id: '1', permission: 'READ' },
        }),
      );
      const ivys = (ok(await admin('GET', 'roles/list')).roles as any[]).find((r) => r.name === `__user_${ivy.id}__`);
      ok(await admin('DELETE', 'roles/unassign', { body: { username: 'ivy', role_id: ivys.id } }));
      ok(await admin('DELETE', 'users/delete', { version: '2.0', body: { username: 'ivy' } }));
      fails(await admin('GET', 'roles/get', { query: { role_id: String(ivys.id) } }), 404, 'RESOURCE_DOES_NOT_EXIST');

      await createUser('hal');
      const role = await createRole('hal-role');
      await assign('hal', role.id);
      ok(
        await admin('POST', 'users/permissions/grant', {
          body: { username: 'hal', resource_type: 'experiment', resource_id: '1', permission: 'READ' },
        }),
      );
      const own = (ok(await admin('GET', 'users/roles/list', { query: { username: 'hal' } })).roles as any[]).find(
        (r) => r.name.startsWith('__user_'),
      );
      ok(await admin('DELETE', 'users/delete', { version: '2.0', body: { username: 'hal' } }));
      fails(await admin('GET', 'roles/get', { query: { role_id: String(own.id) } }), 404, 'RESOURCE_DOES_NOT_EXIST');
      assert.deepEqual(
        ok(await admin('GET', 'roles/users/list', { query: { role_id: String(role.id) } })).assignments,
        [],
      );
      const events = (await runtime.store.readStream(`role-${role.id}`)).map((event) => event.type);
      assert.deepEqual(events.slice(-1), ['UserUnassigned']);
    });
  });

  it('rebuilds the roles tables from the log to the same rows', async () => {
    const rows = async () => ({
      roles: (await runtime.db.query(`SELECT * FROM identity.roles ORDER BY id`)).rows,
      permissions: (await runtime.db.query(`SELECT * FROM identity.role_permissions ORDER BY id`)).rows,
      assignments: (await runtime.db.query(`SELECT * FROM identity.user_role_assignments ORDER BY id`)).rows,
    });
    const before = await rows();
    assert.ok(before.roles.length > 5 && before.permissions.length > 5 && before.assignments.length > 5);
    await runtime.store.rebuild(rolesProjection);
    assert.deepEqual(await rows(), before);
  });

  it('documents where every roles and permissions route reads its parameters', () => {
    const paths = identityOpenApi().paths;
    const v3 = Object.entries(paths).filter(([path]) => path.includes('/3.0/mlflow/'));
    assert.equal(v3.length, 36, 'every route at its REST and its ajax path');
    for (const [path, operations] of v3) {
      for (const [verb, operation] of Object.entries(operations)) {
        if (path.endsWith('/users/current/permissions')) continue;
        const documented = verb === 'get' ? (operation.parameters as unknown[])?.length : operation.requestBody;
        assert.ok(documented, `${verb} ${path}`);
      }
    }
    const add = paths['/api/3.0/mlflow/roles/permissions/add'].post;
    assert.deepEqual((add.requestBody as any).content['application/json'].schema.required, [
      'role_id',
      'resource_type',
      'resource_pattern',
      'permission',
    ]);
    assert.ok(add.responses['404']);
  });
});
