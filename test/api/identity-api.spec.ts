import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { IdentityAuthenticator } from '../../services/identity/src/authentication/authenticator';
import { IdentityRuntime } from '../../services/identity/src/identity.runtime';
import { usersProjection } from '../../services/identity/src/users/users.projection';
import { Answer, fails, IdentityApi, Method, ok, startIdentityApi } from './identity-fixtures';

const ADMIN = 'root';
const ADMIN_PASSWORD = 'root password 12';

describe('identity users API on real Postgres', () => {
  let api: IdentityApi;
  let app: NestFastifyApplication;
  let runtime: IdentityRuntime;

  /** `as`: `name` for a user, `name:admin` for an admin, none for a request without authentication. */
  const call = async (
    method: Method,
    path: string,
    options: {
      as?: string;
      body?: unknown;
      query?: Record<string, string>;
      contentType?: string;
      prefix?: string;
    } = {},
  ): Promise<Answer> => {
    const query = options.query ? `?${new URLSearchParams(options.query)}` : '';
    return api.call(method, `/${options.prefix ?? 'api'}/2.0/mlflow/users/${path}${query}`, options);
  };
  const asAdmin = `${ADMIN}:admin`;
  const createUser = async (username: string, password = `${username} password!`) =>
    ok(await call('POST', 'create', { as: asAdmin, body: { username, password } })).user as Record<string, any>;

  before(async () => {
    api = await startIdentityApi('identity_api', [ADMIN, ADMIN_PASSWORD]);
    ({ app, runtime } = api);
  });

  after(async () => {
    await api.close();
  });

  it('keeps its events to itself: no relay publishes password hashes', () => {
    assert.equal(runtime.publication, undefined);
  });

  it('made sure of the configured admin at start, which signs in with its password', async () => {
    const admin = ok(await call('GET', 'get', { as: asAdmin, query: { username: ADMIN } })).user;
    assert.deepEqual(admin, { id: admin.id, is_admin: true, username: ADMIN });
    const authenticator = app.get(IdentityAuthenticator);
    assert.deepEqual(await authenticator.verifyBasic(ADMIN, ADMIN_PASSWORD), {
      id: admin.id,
      username: ADMIN,
      isAdmin: true,
    });
    assert.equal(await authenticator.verifyBasic(ADMIN, 'not the password'), null);
  });

  it('creates a user and answers it as MLflow does, under both prefixes', async () => {
    const created = await call('POST', 'create', {
      as: asAdmin,
      body: { username: 'alice', password: 'alice password!' },
    });
    assert.equal(created.status, 200, created.text);
    assert.deepEqual(Object.keys(created.json.user), ['id', 'is_admin', 'username']);
    assert.equal(created.json.user.is_admin, false);
    assert.equal(typeof created.json.user.id, 'number');
    const got = ok(await call('GET', 'get', { as: asAdmin, query: { username: 'alice' }, prefix: 'ajax-api' }));
    assert.deepEqual(got, created.json);
    assert.ok(await app.get(IdentityAuthenticator).verifyBasic('alice', 'alice password!'));
  });

  it('refuses a duplicate, a short password, empty and missing parameters, in MLflow order', async () => {
    await createUser('bob');
    fails(
      await call('POST', 'create', { as: asAdmin, body: { username: 'bob', password: 'another password' } }),
      400,
      'RESOURCE_ALREADY_EXISTS',
      'User (username=bob) already exists.',
    );
    fails(
      await call('POST', 'create', { as: asAdmin, body: { username: 'carl', password: 'short' } }),
      400,
      'INVALID_PARAMETER_VALUE',
      'Password must be at least 12 characters.',
    );
    fails(
      await call('POST', 'create', { as: asAdmin, body: { password: 'short' } }),
      400,
      'INVALID_PARAMETER_VALUE',
      "Missing value for required parameter 'username'. See the API docs for more information about request parameters.",
    );
    fails(
      await call('POST', 'create', { as: asAdmin, body: { username: '' } }),
      400,
      'INVALID_PARAMETER_VALUE',
      "Missing value for required parameter 'password'. See the API docs for more information about request parameters.",
    );
    fails(
      await call('POST', 'create', { as: asAdmin, body: { username: '', password: 'long enough password' } }),
      400,
      'INVALID_PARAMETER_VALUE',
      'Username and password cannot be empty.',
    );
    fails(
      await call('POST', 'create', { as: asAdmin }),
      400,
      'BAD_REQUEST',
      'Invalid content type. Must be application/json',
    );
  });

  it('refuses one of two concurrent creates of one username, by the unique index', async () => {
    const create = () =>
      call('POST', 'create', { as: asAdmin, body: { username: 'twin', password: 'twin password!' } });
    const answers = await Promise.all([create(), create(), create()]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 400, 400], answers.map((a) => a.text).join('\n'));
    for (const answer of answers.filter((a) => a.status === 400)) {
      fails(answer, 400, 'RESOURCE_ALREADY_EXISTS', 'User (username=twin) already exists.');
    }
  });

  it('lets a user get themselves but not another, and only admins create', async () => {
    await createUser('dora');
    await createUser('erin');
    assert.equal(ok(await call('GET', 'get', { as: 'dora', query: { username: 'dora' } })).user.username, 'dora');
    fails(
      await call('GET', 'get', { as: 'dora', query: { username: 'erin' } }),
      403,
      'PERMISSION_DENIED',
      'Permission denied',
    );
    fails(await call('GET', 'get', { as: 'dora', query: { username: 'ghost' } }), 403, 'PERMISSION_DENIED');
    fails(await call('POST', 'create', { as: 'dora', body: {} }), 403, 'PERMISSION_DENIED', 'Permission denied');
    fails(
      await call('GET', 'get', { as: asAdmin, query: { username: 'ghost' } }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      'User with username=ghost not found',
    );
  });

  it('lists every user with their roles, and answers the current user', async () => {
    await createUser('fred');
    const list = ok(await call('GET', 'list', { as: 'fred' }));
    const fred = list.users.find((user: Record<string, any>) => user.username === 'fred');
    assert.deepEqual(Object.keys(fred), ['id', 'is_admin', 'roles', 'username']);
    assert.deepEqual(fred.roles, []);
    assert.ok(list.users.some((user: Record<string, any>) => user.username === ADMIN));
    const current = ok(await call('GET', 'current', { as: 'fred' }));
    assert.deepEqual(current, { is_basic_auth: true, user: { id: fred.id, is_admin: false, username: 'fred' } });
  });

  it('holds a user changing their own password to the current one, and lets an admin reset it', async () => {
    await createUser('gina', 'gina password!');
    const change = (as: string, body: Record<string, unknown>) =>
      call('PATCH', 'update-password', { as, body: { username: 'gina', ...body } });
    fails(
      await change('gina', { password: 'new gina password' }),
      400,
      'INVALID_PARAMETER_VALUE',
      'Current password is required when changing your own password.',
    );
    fails(
      await change('gina', { password: 'new gina password', current_password: 'wrong password!' }),
      400,
      'INVALID_PARAMETER_VALUE',
      'Current password does not match.',
    );
    fails(
      await change('gina', { password: 'gina password!', current_password: 'gina password!' }),
      400,
      'INVALID_PARAMETER_VALUE',
      'New password must differ from the current password.',
    );
    fails(
      await change('gina', { password: 'short', current_password: 'gina password!' }),
      400,
      'INVALID_PARAMETER_VALUE',
      'Password must be at least 12 characters.',
    );
    fails(await change('fred', { password: 'new gina password' }), 403, 'PERMISSION_DENIED');

    const authenticator = app.get(IdentityAuthenticator);
    assert.ok(await authenticator.verifyBasic('gina', 'gina password!'));
    assert.deepEqual(
      ok(await change('gina', { password: 'new gina password', current_password: 'gina password!' })),
      {},
    );
    assert.equal(
      await authenticator.verifyBasic('gina', 'gina password!'),
      null,
      'the old password is forgotten at once',
    );
    assert.ok(await authenticator.verifyBasic('gina', 'new gina password'));

    assert.deepEqual(ok(await change(asAdmin, { password: 'admin set password' })), {});
    assert.ok(await authenticator.verifyBasic('gina', 'admin set password'));
    fails(
      await call('PATCH', 'update-password', { as: asAdmin, body: { username: 'ghost', password: 'short' } }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      'User with username=ghost not found',
    );
  });

  it('makes a user an admin, refusing a flag that is not a boolean', async () => {
    await createUser('hugo');
    const setAdmin = (isAdmin: unknown, as = asAdmin) =>
      call('PATCH', 'update-admin', { as, body: { username: 'hugo', is_admin: isAdmin } });
    fails(await setAdmin('true'), 400, 'BAD_REQUEST', "(builtins.TypeError) Not a boolean value: 'true'");
    fails(
      await call('PATCH', 'update-admin', { as: asAdmin, body: { username: 'hugo' } }),
      400,
      'INVALID_PARAMETER_VALUE',
      "Missing value for required parameter 'is_admin'. See the API docs for more information about request parameters.",
    );
    fails(await setAdmin(true, 'hugo'), 403, 'PERMISSION_DENIED');
    assert.deepEqual(ok(await setAdmin(true)), {});
    assert.equal(ok(await call('GET', 'get', { as: asAdmin, query: { username: 'hugo' } })).user.is_admin, true);
    assert.equal((await app.get(IdentityAuthenticator).verifyBasic('hugo', 'hugo password!'))?.isAdmin, true);
  });

  it('refuses self-deletion, deletes another by JSON body or query string, and then finds neither', async () => {
    await createUser('ivan');
    await createUser('jill');
    fails(
      await call('DELETE', 'delete', { as: `${ADMIN}:admin`, body: { username: ADMIN } }),
      400,
      'BAD_REQUEST',
      'Users cannot delete their own account. Ask another admin to delete this user instead.',
    );
    fails(await call('DELETE', 'delete', { as: 'ivan', body: { username: 'jill' } }), 403, 'PERMISSION_DENIED');
    assert.ok(await app.get(IdentityAuthenticator).verifyBasic('ivan', 'ivan password!'));
    assert.deepEqual(ok(await call('DELETE', 'delete', { as: asAdmin, body: { username: 'ivan' } })), {});
    assert.deepEqual(ok(await call('DELETE', 'delete', { as: asAdmin, query: { username: 'jill' } })), {});
    for (const username of ['ivan', 'jill']) {
      fails(
        await call('GET', 'get', { as: asAdmin, query: { username } }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `User with username=${username} not found`,
      );
    }
    assert.equal(await app.get(IdentityAuthenticator).verifyBasic('ivan', 'ivan password!'), null);
    fails(
      await call('DELETE', 'delete', { as: asAdmin, query: { username: 'ivan' } }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      'User with username=ivan not found',
    );
  });

  it('serves everyone as an admin when authentication is off', async () => {
    const created = ok(await call('POST', 'create', { body: { username: 'kate', password: 'kate password!' } }));
    assert.equal(created.user.username, 'kate');
    assert.deepEqual(ok(await call('PATCH', 'update-admin', { body: { username: 'kate', is_admin: true } })), {});
    assert.equal(ok(await call('GET', 'current')).is_basic_auth, false);
  });

  it('rebuilds the users table from the log to the same rows', async () => {
    const rows = async () =>
      (
        await runtime.db.query(
          `SELECT id, username, password_hash, is_admin, created_time FROM identity.users ORDER BY id`,
        )
      ).rows;
    const before = await rows();
    assert.ok(before.length > 5);
    await runtime.store.rebuild(usersProjection);
    assert.deepEqual(await rows(), before);
  });
});
