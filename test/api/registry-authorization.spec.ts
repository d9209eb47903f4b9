import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Answer, fails, Method, ok } from './identity-fixtures';
import { AuthorizedRegistryApi, startAuthorizedRegistry } from './registry-authorization-fixtures';

const ADMIN = 'root';
const PASSWORD = 'a password of 20 chars';
const RUN_ID = 'a'.repeat(32);

type Query = Record<string, string | string[]>;

/**
 * The registry's routes with authentication on, as MLflow 3.17's validators decide them: a registered
 * model is granted by name, its versions through it (and the registered_model_version tier). The default
 * permission is NO_PERMISSIONS: a user sees only what a grant (or creating it) gives them.
 */
describe('registry authorization on real Postgres, with the identity service', () => {
  let api: AuthorizedRegistryApi;
  let roles = 0;
  const asAdmin = `${ADMIN}:admin`;

  const withQuery = (url: string, query?: Query) => {
    if (!query) return url;
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query))
      for (const one of ([] as string[]).concat(value)) search.append(key, one);
    return `${url}?${search}`;
  };
  /** A registry request: GETs carry `params` in the query string, the others in a JSON body. */
  const registry = (method: Method, path: string, as: string | undefined, params: Record<string, unknown> = {}) =>
    method === 'GET'
      ? api.call(method, withQuery(`/api/2.0/${path}`, params as Query), { as })
      : api.call(method, `/api/2.0/${path}`, { as, body: params });
  const mlflow = (method: Method, path: string, as: string | undefined, params?: Record<string, unknown>) =>
    registry(method, `mlflow/${path}`, as, params);
  const identity = (method: Method, path: string, body?: unknown, query?: Query, version = '3.0') =>
    api.call(method, withQuery(`/api/${version}/mlflow/${path}`, query), { as: asAdmin, body });

  const denied = (answer: Answer) => fails(answer, 403, 'PERMISSION_DENIED', 'Permission denied');
  const allowed = (answer: Answer) =>
    assert.ok(answer.status !== 403 && answer.status < 500, `${answer.status} ${answer.text}`);

  const createUser = async (username: string) => {
    ok(await identity('POST', 'users/create', { username, password: PASSWORD }, undefined, '2.0'));
    return username;
  };
  /** Gives `username` a role holding one grant. */
  const grant = async (username: string, resourceType: string, pattern: string, permission: string) => {
    const role = ok(await identity('POST', 'roles/create', { name: `role-${++roles}`, workspace: 'default' })).role;
    ok(
      await identity('POST', 'roles/permissions/add', {
        role_id: role.id,
        resource_type: resourceType,
        resource_pattern: pattern,
        permission,
      }),
    );
    ok(await identity('POST', 'roles/assign', { username, role_id: role.id }));
  };
  const createModel = async (as: string, name: string) => {
    ok(await mlflow('POST', 'registered-models/create', as, { name }));
    return name;
  };
  const createVersion = async (as: string, name: string, extra: Record<string, unknown> = {}) =>
    ok(await mlflow('POST', 'model-versions/create', as, { name, source: `runs:/${RUN_ID}/model`, ...extra }))
      .model_version as Record<string, any>;

  /** What the registry's lineage knows of a run: tracking's events would have told it. */
  const runInExperiment = (runId: string, experimentId: string) =>
    api.registry.db.query(
      `INSERT INTO registry.lineage_runs (run_id, experiment_id, run_name, user_id, status, start_time)
       VALUES ($1, $2, 'trained', 'someone', 'FINISHED', 0)`,
      [runId, experimentId],
    );

  let owner: string;
  let stranger: string;
  let reader: string;
  let editor: string;
  let manager: string;
  const model = 'churn';

  before(async () => {
    api = await startAuthorizedRegistry('registry_authorization', [ADMIN, PASSWORD], 'NO_PERMISSIONS');
    owner = await createUser('olga');
    stranger = await createUser('sam');
    reader = await createUser('rita');
    editor = await createUser('ed');
    manager = await createUser('max');
    await createModel(owner, model);
    await createVersion(owner, model);
    await createVersion(owner, model);
    ok(await mlflow('POST', 'registered-models/alias', owner, { name: model, alias: 'champion', version: '1' }));
    ok(await mlflow('POST', 'model-versions/set-tag', owner, { name: model, version: '1', key: 'k', value: 'v' }));
    await grant(reader, 'registered_model', model, 'READ');
    await grant(editor, 'registered_model', model, 'EDIT');
    await grant(manager, 'registered_model', model, 'MANAGE');
  });

  after(async () => {
    await api.close();
  });

  /** Every route that reads the model or its versions, with what it needs. */
  const reads = (name: string): Array<[Method, string, Record<string, unknown>]> => [
    ['GET', 'mlflow/registered-models/get', { name }],
    ['GET', 'mlflow/registered-models/get-latest-versions', { name }],
    ['POST', 'mlflow/registered-models/get-latest-versions', { name }],
    ['GET', 'mlflow/registered-models/alias', { name, alias: 'champion' }],
    ['GET', 'mlflow/model-versions/get', { name, version: '1' }],
    ['GET', 'mlflow/model-versions/get-download-uri', { name, version: '1' }],
    ['GET', 'mlflow/model-versions/get-artifact', { name, version: '1', path: 'MLmodel' }],
    ['GET', 'logbook/registered-models/history', { name }],
    ['GET', 'logbook/registered-models/state', { name, as_of: String(Date.now()) }],
    ['GET', 'logbook/model-versions/lineage', { name, version: '1' }],
    ['GET', 'mlflow/model-versions/get-activities', { name, version: '1' }],
  ];
  /** Every route that changes the model or a version, short of deleting. */
  const edits = (name: string): Array<[Method, string, Record<string, unknown>]> => [
    ['PATCH', 'mlflow/registered-models/update', { name, description: 'better' }],
    ['POST', 'mlflow/registered-models/set-tag', { name, key: 'team', value: 'risk' }],
    ['DELETE', 'mlflow/registered-models/delete-tag', { name, key: 'team' }],
    ['POST', 'mlflow/registered-models/alias', { name, alias: 'challenger', version: '2' }],
    ['POST', 'mlflow/model-versions/create', { name, source: `runs:/${RUN_ID}/model` }],
    ['PATCH', 'mlflow/model-versions/update', { name, version: '1', description: 'first' }],
    ['POST', 'mlflow/model-versions/transition-stage', { name, version: '1', stage: 'Staging' }],
    ['POST', 'mlflow/model-versions/set-tag', { name, version: '1', key: 'k2', value: 'v2' }],
  ];

  describe('a user with the default NO_PERMISSIONS', () => {
    it('is refused every route of a model another user created, and changes nothing', async () => {
      const routes: Array<[Method, string, Record<string, unknown>]> = [
        ...reads(model),
        ...edits(model),
        ['POST', 'mlflow/registered-models/rename', { name: model, new_name: 'mine-now' }],
        ['DELETE', 'mlflow/registered-models/alias', { name: model, alias: 'champion' }],
        ['DELETE', 'mlflow/model-versions/delete-tag', { name: model, version: '1', key: 'k' }],
        ['DELETE', 'mlflow/model-versions/delete', { name: model, version: '1' }],
        ['DELETE', 'mlflow/registered-models/delete', { name: model }],
      ];
      for (const [method, path, params] of routes) {
        denied(await registry(method, path, stranger, params));
      }
      // The UI's prefix and the server's root path for a version's files are refused alike.
      denied(await api.call('GET', `/ajax-api/2.0/mlflow/registered-models/get?name=${model}`, { as: stranger }));
      denied(
        await api.call('GET', `/model-versions/get-artifact?name=${model}&version=1&path=MLmodel`, { as: stranger }),
      );
      const still = ok(await mlflow('GET', 'registered-models/get', asAdmin, { name: model })).registered_model;
      assert.equal(still.name, model);
      assert.equal(still.description, undefined);
      assert.deepEqual(still.aliases, [{ alias: 'champion', version: '1' }]);
    });

    it('may create a model of their own, and gets MANAGE on it (MLflow grants its creator)', async () => {
      const mine = await createModel(stranger, 'sams-model');
      const permission = ok(
        await identity('GET', 'users/permissions/get', undefined, {
          username: stranger,
          resource_type: 'registered_model',
          resource_id: mine,
        }),
      );
      assert.equal(JSON.stringify(permission).includes('MANAGE'), true, JSON.stringify(permission));
      ok(await mlflow('GET', 'registered-models/get', stranger, { name: mine }));
      ok(await mlflow('POST', 'registered-models/set-tag', stranger, { name: mine, key: 'a', value: 'b' }));
      await createVersion(stranger, mine);
      // Another user with no grant cannot read it.
      denied(await mlflow('GET', 'registered-models/get', owner, { name: mine }));
      denied(await mlflow('GET', 'model-versions/get', owner, { name: mine, version: '1' }));
      // The creator may delete what they manage.
      ok(await mlflow('DELETE', 'model-versions/delete', stranger, { name: mine, version: '1' }));
      ok(await mlflow('DELETE', 'registered-models/delete', stranger, { name: mine }));
      fails(await mlflow('GET', 'registered-models/get', asAdmin, { name: mine }), 404, 'RESOURCE_DOES_NOT_EXIST');
    });

    it("keeps the grants on a model through its rename, and ends them with its deletion (MLflow's grant follow-through)", async () => {
      const mine = await createModel(stranger, 'renamed-later');
      ok(await mlflow('POST', 'registered-models/rename', stranger, { name: mine, new_name: 'renamed-now' }));
      ok(await mlflow('POST', 'registered-models/set-tag', stranger, { name: 'renamed-now', key: 'a', value: 'b' }));
      const permissionOf = async (name: string) =>
        ok(
          await identity('GET', 'users/permissions/get', undefined, {
            username: stranger,
            resource_type: 'registered_model',
            resource_id: name,
          }),
        ).permission;
      assert.equal(await permissionOf('renamed-now'), 'MANAGE');
      assert.equal(await permissionOf('renamed-later'), 'NO_PERMISSIONS');
      ok(await mlflow('DELETE', 'registered-models/delete', stranger, { name: 'renamed-now' }));
      assert.equal(await permissionOf('renamed-now'), 'NO_PERMISSIONS', 'a later model of the name starts without it');
    });

    it('is refused creating a model under a name a DENY grant names', async () => {
      // A user of their own: a DENY, like any revocation, reaches a user whose grants were just read within GRANTS_TTL_MS.
      const denier = await createUser('dan');
      await grant(denier, 'registered_model', 'forbidden', 'DENY');
      denied(await mlflow('POST', 'registered-models/create', denier, { name: 'forbidden' }));
      fails(
        await mlflow('GET', 'registered-models/get', asAdmin, { name: 'forbidden' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      await createModel(denier, 'allowed');
    });
  });

  describe('READ on a model', () => {
    it('reads the model, its versions, aliases, history, state and lineage', async () => {
      for (const [method, path, params] of reads(model)) allowed(await registry(method, path, reader, params));
      const got = ok(await mlflow('GET', 'registered-models/get', reader, { name: model })).registered_model;
      assert.equal(got.name, model);
      assert.deepEqual(
        ok(await mlflow('GET', 'model-versions/get', reader, { name: model, version: '1' })).model_version.tags,
        [{ key: 'k', value: 'v' }],
      );
      // A version's files are still being copied (no artifacts service here): the route itself answers.
      fails(
        await mlflow('GET', 'model-versions/get-artifact', reader, { name: model, version: '1', path: 'MLmodel' }),
        400,
        'INVALID_STATE',
      );
    });

    it('may not change, rename or delete anything', async () => {
      for (const [method, path, params] of edits(model)) denied(await registry(method, path, reader, params));
      denied(await mlflow('POST', 'registered-models/rename', reader, { name: model, new_name: 'renamed' }));
      denied(await mlflow('DELETE', 'registered-models/delete', reader, { name: model }));
      denied(await mlflow('DELETE', 'model-versions/delete', reader, { name: model, version: '1' }));
    });
  });

  describe('EDIT on a model', () => {
    it('updates, tags, sets aliases, transitions and adds versions', async () => {
      ok(await mlflow('PATCH', 'registered-models/update', editor, { name: model, description: 'better' }));
      ok(await mlflow('POST', 'registered-models/set-tag', editor, { name: model, key: 'team', value: 'risk' }));
      ok(await mlflow('DELETE', 'registered-models/delete-tag', editor, { name: model, key: 'team' }));
      ok(await mlflow('POST', 'registered-models/alias', editor, { name: model, alias: 'challenger', version: '2' }));
      const version = await createVersion(editor, model);
      assert.equal(version.version, '3');
      ok(await mlflow('PATCH', 'model-versions/update', editor, { name: model, version: '1', description: 'first' }));
      const moved = ok(
        await mlflow('POST', 'model-versions/transition-stage', editor, {
          name: model,
          version: '1',
          stage: 'Staging',
        }),
      );
      assert.equal(moved.model_version.current_stage, 'Staging');
      ok(await mlflow('POST', 'model-versions/set-tag', editor, { name: model, version: '1', key: 'k2', value: 'v2' }));
      assert.equal(
        ok(await mlflow('GET', 'registered-models/get', reader, { name: model })).registered_model.description,
        'better',
      );
    });

    it('may not delete the model, a version, a version tag or an alias (MLflow: delete on the model)', async () => {
      denied(await mlflow('DELETE', 'registered-models/delete', editor, { name: model }));
      denied(await mlflow('DELETE', 'model-versions/delete', editor, { name: model, version: '3' }));
      denied(await mlflow('DELETE', 'model-versions/delete-tag', editor, { name: model, version: '1', key: 'k2' }));
      denied(await mlflow('DELETE', 'registered-models/alias', editor, { name: model, alias: 'challenger' }));
      ok(await mlflow('GET', 'model-versions/get', editor, { name: model, version: '3' }));
    });

    it('may register a version of a run only when it may read the run (through its experiment)', async () => {
      const run = 'b'.repeat(32);
      await runInExperiment(run, '41');
      denied(
        await mlflow('POST', 'model-versions/create', editor, {
          name: model,
          source: `runs:/${run}/model`,
          run_id: run,
        }),
      );
      denied(await mlflow('POST', 'model-versions/create', editor, { name: model, source: `runs:/${run}/model` }));
      await grant(editor, 'experiment', '41', 'READ');
      const version = ok(
        await mlflow('POST', 'model-versions/create', editor, {
          name: model,
          source: `runs:/${run}/model`,
          run_id: run,
        }),
      ).model_version;
      assert.equal(version.run_id, run);
    });
  });

  describe('MANAGE on a model', () => {
    it('deletes tags, aliases, versions and finally the model', async () => {
      const name = await createModel(asAdmin, 'to-delete');
      await createVersion(asAdmin, name);
      await createVersion(asAdmin, name);
      ok(await mlflow('POST', 'model-versions/set-tag', asAdmin, { name, version: '1', key: 'k', value: 'v' }));
      ok(await mlflow('POST', 'registered-models/alias', asAdmin, { name, alias: 'prod', version: '2' }));
      await grant(manager, 'registered_model', name, 'MANAGE');
      ok(await mlflow('DELETE', 'model-versions/delete-tag', manager, { name, version: '1', key: 'k' }));
      ok(await mlflow('DELETE', 'registered-models/alias', manager, { name, alias: 'prod' }));
      ok(await mlflow('DELETE', 'model-versions/delete', manager, { name, version: '1' }));
      ok(await mlflow('DELETE', 'registered-models/delete', manager, { name }));
      fails(await mlflow('GET', 'registered-models/get', asAdmin, { name }), 404, 'RESOURCE_DOES_NOT_EXIST');
      // The grant on the name ended with the model (MLflow's delete_grants_for_resource).
      denied(await mlflow('GET', 'registered-models/get', manager, { name }));
    });

    it('but not through an API token whose scope is READ', async () => {
      denied(
        await mlflow('PATCH', 'registered-models/update', `${manager}:token:READ`, { name: model, description: 'x' }),
      );
      ok(await mlflow('GET', 'registered-models/get', `${manager}:token:READ`, { name: model }));
    });
  });

  describe('an admin, and unknown models', () => {
    it('an admin passes every rule', async () => {
      for (const [method, path, params] of reads(model)) allowed(await registry(method, path, asAdmin, params));
      ok(await mlflow('PATCH', 'registered-models/update', asAdmin, { name: model, description: 'by admin' }));
    });

    it('answers 404 for a model that does not exist to whoever may read the name, 403 to whoever may not', async () => {
      const wendy = await createUser('wendy');
      await grant(wendy, 'registered_model', '*', 'READ');
      for (const as of [asAdmin, wendy]) {
        fails(await mlflow('GET', 'registered-models/get', as, { name: 'no-such' }), 404, 'RESOURCE_DOES_NOT_EXIST');
        fails(
          await mlflow('GET', 'model-versions/get', as, { name: 'no-such', version: '1' }),
          404,
          'RESOURCE_DOES_NOT_EXIST',
        );
      }
      fails(
        await mlflow('DELETE', 'registered-models/delete', asAdmin, { name: 'no-such' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      denied(await mlflow('GET', 'registered-models/get', stranger, { name: 'no-such' }));
    });
  });

  describe('listings', () => {
    const prefix = 'listed-';
    const names = Array.from({ length: 7 }, (_, i) => `${prefix}${i}`);
    const readable = [names[0], names[2], names[3], names[5], names[6]];
    let lister: string;

    before(async () => {
      lister = await createUser('lisa');
      for (const name of names) {
        await createModel(asAdmin, name);
        await createVersion(asAdmin, name);
        await createVersion(asAdmin, name);
      }
      for (const name of readable) await grant(lister, 'registered_model', name, 'READ');
    });

    const pages = async (path: string, as: string, field: string, params: Record<string, unknown>) => {
      const seen: Array<Record<string, any>[]> = [];
      let token: string | undefined;
      do {
        const answer = ok(
          await mlflow('GET', path, as, { ...params, ...(token ? { page_token: token } : {}) } as Record<
            string,
            unknown
          >),
        );
        seen.push(answer[field] ?? []);
        token = answer.next_page_token;
      } while (token && seen.length < 20);
      return seen;
    };

    it('search registered models shows only readable ones, every page full until the last', async () => {
      const seen = await pages('registered-models/search', lister, 'registered_models', {
        filter: `name LIKE '${prefix}%'`,
        max_results: '2',
        order_by: 'name ASC',
      });
      assert.deepEqual(
        seen.map((page) => page.map((m) => m.name)),
        [[names[0], names[2]], [names[3], names[5]], [names[6]]],
      );
      const all = await pages('registered-models/search', asAdmin, 'registered_models', {
        filter: `name LIKE '${prefix}%'`,
        max_results: '100',
      });
      assert.equal(all.flat().length, names.length);
      assert.deepEqual(
        await pages('registered-models/search', stranger, 'registered_models', { filter: `name LIKE '${prefix}%'` }),
        [[]],
      );
    });

    it('search model versions shows only versions of readable models, every page full until the last', async () => {
      const seen = await pages('model-versions/search', lister, 'model_versions', {
        filter: `name LIKE '${prefix}%'`,
        max_results: '3',
        order_by: ['name ASC', 'version_number ASC'],
      });
      assert.deepEqual(
        seen.map((page) => page.length),
        [3, 3, 3, 1],
      );
      assert.deepEqual(
        seen.flat().map((v) => `${v.name}/${v.version}`),
        readable.flatMap((name) => [`${name}/1`, `${name}/2`]),
      );
      assert.deepEqual(
        await pages('model-versions/search', stranger, 'model_versions', { filter: `name LIKE '${prefix}%'` }),
        [[]],
      );
    });

    it('a DENY on the version tier hides versions: from version routes, listings and a model’s latest versions', async () => {
      const veiled = await createUser('vera');
      await grant(veiled, 'registered_model', names[0], 'READ');
      await grant(veiled, 'registered_model_version', '*', 'DENY');
      const got = ok(await mlflow('GET', 'registered-models/get', veiled, { name: names[0] })).registered_model;
      assert.equal(got.latest_versions, undefined);
      assert.ok(
        ok(await mlflow('GET', 'registered-models/get', lister, { name: names[0] })).registered_model.latest_versions,
      );
      denied(await mlflow('GET', 'model-versions/get', veiled, { name: names[0], version: '1' }));
      denied(await mlflow('GET', 'registered-models/get-latest-versions', veiled, { name: names[0] }));
      const models = ok(
        await mlflow('GET', 'registered-models/search', veiled, { filter: `name LIKE '${prefix}%'` }),
      ).registered_models;
      assert.deepEqual(
        models.map((m: any) => [m.name, m.latest_versions]),
        [[names[0], undefined]],
      );
      assert.equal(
        ok(await mlflow('GET', 'model-versions/search', veiled, { filter: `name LIKE '${prefix}%'` })).model_versions,
        undefined,
      );
    });

    it('a READ on the version tier alone reads no version of a model the user may not read', async () => {
      const tiered = await createUser('tim');
      await grant(tiered, 'registered_model_version', '*', 'READ');
      denied(await mlflow('GET', 'model-versions/get', tiered, { name: names[1], version: '1' }));
      assert.equal(
        ok(await mlflow('GET', 'model-versions/search', tiered, { filter: `name LIKE '${prefix}%'` })).model_versions,
        undefined,
      );
    });
  });

  describe("comments on a version (Databricks': CAN_READ comments)", () => {
    const deleteComment = (id: string, as: string) =>
      api.call('DELETE', `/api/2.0/mlflow/comments/delete?id=${id}`, { as });
    const commentOn = async (as: string, text: string) =>
      ok(await mlflow('POST', 'comments/create', as, { name: model, version: '1', comment: text })).comment as Record<
        string,
        any
      >;

    it('a reader comments, edits and deletes their own comment, and lists the activities', async () => {
      const mine = await commentOn(reader, 'read and approved');
      assert.equal(mine.user_id, reader);
      const edited = ok(await mlflow('PATCH', 'comments/update', reader, { id: mine.id, comment: 'read twice' }));
      assert.equal(edited.comment.comment, 'read twice');
      const listed = ok(await mlflow('GET', 'model-versions/get-activities', reader, { name: model, version: '1' }))
        .activities as Array<Record<string, any>>;
      assert.deepEqual(
        listed.filter((activity) => activity.id === mine.id).map((activity) => activity.available_actions),
        [['EDIT_COMMENT', 'DELETE_COMMENT']],
      );
      ok(await deleteComment(mine.id, reader));
    });

    it('a user who may not read the model may not comment, list, edit or delete, and changes nothing', async () => {
      const kept = await commentOn(owner, 'the owner speaks');
      denied(await mlflow('POST', 'comments/create', stranger, { name: model, version: '1', comment: 'hi' }));
      denied(await mlflow('GET', 'model-versions/get-activities', stranger, { name: model, version: '1' }));
      denied(await mlflow('PATCH', 'comments/update', stranger, { id: kept.id, comment: 'mine now' }));
      denied(await deleteComment(kept.id, stranger));
      const veiled = await createUser('vince');
      await grant(veiled, 'registered_model', model, 'READ');
      await grant(veiled, 'registered_model_version', '*', 'DENY');
      denied(await mlflow('POST', 'comments/create', veiled, { name: model, version: '1', comment: 'hi' }));
      const listed = ok(await mlflow('GET', 'model-versions/get-activities', owner, { name: model, version: '1' }))
        .activities as Array<Record<string, any>>;
      assert.deepEqual(
        listed.filter((activity) => activity.activity_type === 'NEW_COMMENT').map((activity) => activity.comment),
        ['the owner speaks'],
      );
    });

    it("editors and managers may not change another user's comment; an admin deletes it", async () => {
      const theirs = await commentOn(reader, 'only mine to change');
      for (const as of [editor, manager, asAdmin]) {
        fails(
          await mlflow('PATCH', 'comments/update', as, { id: theirs.id, comment: 'changed' }),
          403,
          'PERMISSION_DENIED',
          'Only the author of a comment may edit it.',
        );
      }
      for (const as of [editor, manager]) {
        fails(
          await deleteComment(theirs.id, as),
          403,
          'PERMISSION_DENIED',
          'Only the author of a comment may delete it.',
        );
      }
      ok(await deleteComment(theirs.id, asAdmin));
      fails(await deleteComment(theirs.id, reader), 404, 'RESOURCE_DOES_NOT_EXIST');
    });
  });

  describe("a version's lineage", () => {
    it("shows the run only to a reader who may read the run's experiment", async () => {
      const run = 'c'.repeat(32);
      await runInExperiment(run, '77');
      const name = await createModel(asAdmin, 'with-lineage');
      await createVersion(asAdmin, name, { source: `runs:/${run}/model`, run_id: run });
      const viewer = await createUser('vic');
      await grant(viewer, 'registered_model', name, 'READ');
      const hidden = ok(await registry('GET', 'logbook/model-versions/lineage', viewer, { name, version: '1' }));
      assert.equal(hidden.model_version.run_id, run);
      assert.equal(hidden.run, undefined);
      await grant(viewer, 'experiment', '77', 'READ');
      const shown = ok(await registry('GET', 'logbook/model-versions/lineage', viewer, { name, version: '1' }));
      assert.equal(shown.run.run_id, run);
      assert.equal(shown.run.experiment_id, '77');
    });
  });

  describe('the audit trail', () => {
    const auditRoutes: Array<[Method, string, Record<string, unknown>]> = [
      ['GET', 'logbook/audit/entries/search', { name: model }],
      ['GET', 'logbook/audit/entries/export', { name: model }],
      ['GET', 'logbook/audit/verify', {}],
      ['GET', 'logbook/audit/checkpoints/public-keys', {}],
    ];

    it('is for admins only', async () => {
      for (const as of [owner, manager, stranger, `${manager}:token:MANAGE`]) {
        for (const [method, path, params] of auditRoutes) denied(await registry(method, path, as, params));
      }
      for (const [method, path, params] of auditRoutes) {
        const answer = await registry(method, path, asAdmin, params);
        assert.equal(answer.status, 200, `${path}: ${answer.text}`);
      }
    });

    it('names who made each change and how they signed in', async () => {
      const { entries } = ok(
        await registry('GET', 'logbook/audit/entries/search', asAdmin, {
          name: model,
          event_type: 'RegisteredModelCreated',
        }),
      );
      assert.deepEqual(
        entries.map((entry: Record<string, any>) => [entry.actor.name, entry.actor.kind, entry.actor.auth_method]),
        [['olga', 'user', 'basic']],
      );
      ok(
        await mlflow('POST', 'registered-models/set-tag', `${manager}:token:MANAGE`, {
          name: model,
          key: 'audited',
          value: 'yes',
        }),
      );
      const [tagged] = ok(
        await registry('GET', 'logbook/audit/entries/search', asAdmin, {
          name: model,
          event_type: 'RegisteredModelTagSet',
          max_results: '1',
        }),
      ).entries;
      assert.deepEqual([tagged.actor.name, tagged.actor.auth_method], [manager, 'token']);
    });
  });
});
