import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { isOpenPath } from '@logbook/platform';
import { SERVER_INFO_ROUTES } from '@logbook/transfers';
import { waitFor } from '@logbook/testing';
import { Answer, As, AuthorizedArtifacts, startAuthorizedArtifacts } from './artifacts-authorization-fixtures';
import { MLMODEL } from './registry-fixtures';

const PROXY = '/api/2.0/mlflow-artifacts/artifacts';
const MPU = '/api/2.0/mlflow-artifacts/mpu';

/** Users, each with the grants their name says; the default permission is NO_PERMISSIONS. */
const OWNER = 'alice'; // MANAGE on the experiment
const STRANGER = 'bob'; // no grant on it (MANAGE on an experiment of his own)
const READER = 'reader'; // READ on the experiment
const EDITOR = 'editor'; // EDIT on the experiment
const RUNLESS = 'runless'; // READ on the experiment, DENY on every run (the run tier)
const MODEL_READER = 'model-reader'; // READ on the registered model, by name
const ELSEWHERE = 'elsewhere'; // MANAGE on an experiment whose location lies in the first one's folder

const denied = (answer: Answer) => {
  assert.equal(answer.status, 403, answer.text);
  assert.equal(answer.json.error_code, 'PERMISSION_DENIED', answer.text);
};
const ok = (answer: Answer) => {
  assert.equal(answer.status, 200, answer.text);
  return answer;
};
const missing = (answer: Answer) => {
  assert.equal(answer.status, 404, answer.text);
  assert.equal(answer.json.error_code, 'RESOURCE_DOES_NOT_EXIST', answer.text);
};

describe('artifacts authorization (MLflow 3.17 validators) on real Postgres and S3 with the identity service', () => {
  let world: AuthorizedArtifacts;
  let experimentId: string;
  let runId: string;
  let root: string;
  let modelId: string;
  let modelRoot: string;
  const content = randomBytes(4096);

  const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  /** What the system sets up, with no principal: tracking's and the registry's routes have no rules here yet. */
  const system = async (method: string, path: string, body?: unknown) =>
    ok(await world.direct(undefined, method, path, body === undefined ? {} : json(body))).json;
  const put = (as: As, path: string, body: NonNullable<RequestInit['body']> = 'bytes') =>
    world.direct(as, 'PUT', `${PROXY}/${path}`, { body });
  const get = (as: As, path: string) => world.direct(as, 'GET', `${PROXY}/${path}`);
  const list = (as: As, path: string) => world.direct(as, 'GET', `${PROXY}?path=${encodeURIComponent(path)}`);
  const remove = (as: As, path: string) => world.direct(as, 'DELETE', `${PROXY}/${path}`);
  const names = (answer: Answer) =>
    ((ok(answer).json.files ?? []) as { path: string }[]).map((file) => file.path).sort();

  async function newExperiment(location?: string): Promise<string> {
    const name = `authz-${randomUUID()}`;
    return (await system('POST', '/api/2.0/mlflow/experiments/create', { name, artifact_location: location }))
      .experiment_id as string;
  }

  async function newRun(experiment: string): Promise<{ runId: string; root: string }> {
    const { run } = await system('POST', '/api/2.0/mlflow/runs/create', { experiment_id: experiment });
    return { runId: run.info.run_id, root: (run.info.artifact_uri as string).replace(/^mlflow-artifacts:\/+/, '') };
  }

  /** Stored as the system, once the artifacts service has learned of the run or logged model. */
  const stored = (path: string, body: NonNullable<RequestInit['body']> = content) =>
    waitFor(`the upload of ${path}`, async () => (await put(undefined, path, body)).status === 200);

  before(async () => {
    world = await startAuthorizedArtifacts('artifacts_authorization');
    experimentId = await newExperiment();
    ({ runId, root } = await newRun(experimentId));
    await stored(`${root}/data/a.bin`);
    await stored(`${root}/data/b.txt`, 'b');
    await stored(`${root}/model/MLmodel`, MLMODEL);
    const { model } = await system('POST', '/api/2.0/mlflow/logged-models', {
      experiment_id: experimentId,
      name: 'clf',
    });
    modelId = model.info.model_id;
    modelRoot = (model.info.artifact_uri as string).replace(/^mlflow-artifacts:\/+/, '');
    await stored(`${modelRoot}/weights.txt`, 'weights');

    for (const user of [OWNER, STRANGER, READER, EDITOR, RUNLESS, MODEL_READER, ELSEWHERE])
      await world.createUser(user);
    await world.grant(OWNER, 'experiment', experimentId, 'MANAGE');
    await world.grant(READER, 'experiment', experimentId, 'READ');
    await world.grant(EDITOR, 'experiment', experimentId, 'EDIT');
    await world.grant(RUNLESS, 'experiment', experimentId, 'READ');
    await world.grant(RUNLESS, 'run', '*', 'DENY');
  });

  after(async () => {
    await world?.close();
  });

  describe('given a run of an experiment the stranger has no grant on', () => {
    it('refuses him every read and write of its artifacts: proxy paths, get-artifact, artifacts/list, the UI upload, multipart', async () => {
      denied(await get(STRANGER, `${root}/data/a.bin`));
      denied(await list(STRANGER, `${root}/data`));
      denied(await put(STRANGER, `${root}/data/new.txt`));
      denied(await remove(STRANGER, `${root}/data/b.txt`));
      denied(await world.direct(STRANGER, 'GET', `/get-artifact?run_id=${runId}&path=data/a.bin`));
      denied(await world.direct(STRANGER, 'GET', `/get-artifact?run_uuid=${runId}&path=data/a.bin`));
      denied(await world.direct(STRANGER, 'GET', `/api/2.0/mlflow/artifacts/list?run_id=${runId}`));
      denied(await world.direct(STRANGER, 'GET', `/ajax-api/2.0/mlflow/artifacts/list?run_uuid=${runId}&path=data`));
      denied(
        await world.direct(STRANGER, 'POST', `/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${runId}&path=ui.txt`, {
          body: 'ui',
        }),
      );
      denied(
        await world.direct(STRANGER, 'POST', `${MPU}/create/${root}/data`, json({ path: 'big.bin', num_parts: 1 })),
      );
      denied(
        await world.direct(STRANGER, 'POST', `${MPU}/abort/${root}/data`, json({ path: 'big.bin', upload_id: 'x' })),
      );
      denied(
        await world.direct(STRANGER, 'PUT', `${MPU}/upload-part/${root}/data/big.bin?upload_id=x&part_number=1`, {
          body: 'p',
        }),
      );
      // Nothing was written or deleted.
      missing(await get(world.admin, `${root}/data/new.txt`));
      assert.equal(ok(await get(OWNER, `${root}/data/b.txt`)).text, 'b');
    });

    it('refuses him through the gateway too: a download it would read from the store, an upload it would carry', async () => {
      denied(await world.viaGateway(STRANGER, 'GET', `${PROXY}/${root}/data/a.bin`));
      const carried = await world.viaGateway(STRANGER, 'PUT', `${PROXY}/${root}/data/carried.bin`, { body: content });
      denied(carried);
      missing(await get(world.admin, `${root}/data/carried.bin`));
    });

    it('does not let one run id the caller may use stand for another that the route acts on', async () => {
      const own = await newExperiment();
      await world.grant(STRANGER, 'experiment', own, 'MANAGE');
      const { runId: ownRun } = await newRun(own);
      // upload-artifact writes to run_uuid; both ids are judged.
      const upload = `/ajax-api/2.0/mlflow/upload-artifact?run_id=${ownRun}&run_uuid=${runId}&path=smuggled.txt`;
      denied(await world.direct(STRANGER, 'POST', upload, { body: 'x' }));
      missing(await get(world.admin, `${root}/smuggled.txt`));
    });
  });

  describe('given READ on the experiment', () => {
    it("downloads and lists its runs' artifacts, by every route", async () => {
      assert.deepEqual(ok(await get(READER, `${root}/data/a.bin`)).bytes, content);
      assert.deepEqual(names(await list(READER, `${root}/data`)), ['a.bin', 'b.txt']);
      assert.deepEqual(
        ok(await world.direct(READER, 'GET', `/get-artifact?run_id=${runId}&path=data/a.bin`)).bytes,
        content,
      );
      const listed = ok(await world.direct(READER, 'GET', `/api/2.0/mlflow/artifacts/list?run_id=${runId}&path=data`));
      assert.deepEqual(
        listed.json.files.map((file: { path: string }) => file.path),
        ['data/a.bin', 'data/b.txt'],
      );
      // Through the gateway, which reads the bytes from the store itself.
      assert.deepEqual(ok(await world.viaGateway(READER, 'GET', `${PROXY}/${root}/data/a.bin`)).bytes, content);
    });

    it('may not upload, by any route, nor delete', async () => {
      denied(await put(READER, `${root}/data/new.txt`));
      denied(await world.viaGateway(READER, 'PUT', `${PROXY}/${root}/data/new.txt`, { body: 'carried' }));
      denied(
        await world.direct(READER, 'POST', `/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${runId}&path=ui.txt`, {
          body: 'ui',
        }),
      );
      denied(await world.direct(READER, 'POST', `${MPU}/create/${root}/data`, json({ path: 'big.bin', num_parts: 1 })));
      denied(await remove(READER, `${root}/data/b.txt`));
      missing(await get(world.admin, `${root}/data/new.txt`));
    });

    it("reads a logged model's files and directories, which a stranger may not", async () => {
      const directory = `/api/2.0/mlflow/logged-models/${modelId}/artifacts/directories`;
      const file = `/ajax-api/2.0/mlflow/logged-models/${modelId}/artifacts/files?artifact_file_path=weights.txt`;
      assert.deepEqual(
        ok(await world.direct(READER, 'GET', directory)).json.files.map((f: { path: string }) => f.path),
        ['weights.txt'],
      );
      assert.equal(ok(await world.direct(READER, 'GET', file)).text, 'weights');
      assert.equal(ok(await get(READER, `${modelRoot}/weights.txt`)).text, 'weights');
      denied(await world.direct(STRANGER, 'GET', directory));
      denied(await world.direct(STRANGER, 'GET', file));
      denied(await get(STRANGER, `${modelRoot}/weights.txt`));
      denied(await put(READER, `${modelRoot}/more.txt`));
    });
  });

  describe('given EDIT on the experiment', () => {
    it('uploads by every route (the gateway carrying the body to the store), but may not delete', async () => {
      ok(await put(EDITOR, `${root}/edits/direct.txt`, 'direct'));
      ok(await world.viaGateway(EDITOR, 'PUT', `${PROXY}/${root}/edits/carried.bin`, { body: content }));
      ok(
        await world.direct(EDITOR, 'POST', `/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${runId}&path=edits/ui.txt`, {
          body: 'ui',
        }),
      );
      const created = ok(
        await world.direct(
          EDITOR,
          'POST',
          `${MPU}/create/${root}/edits`,
          json({ path: '/local/big.bin', num_parts: 1 }),
        ),
      ).json;
      ok(
        await world.direct(
          EDITOR,
          'POST',
          `${MPU}/abort/${root}/edits`,
          json({ path: 'big.bin', upload_id: created.upload_id }),
        ),
      );
      assert.deepEqual(names(await list(READER, `${root}/edits`)), ['carried.bin', 'direct.txt', 'ui.txt']);
      assert.deepEqual(ok(await get(READER, `${root}/edits/carried.bin`)).bytes, content);
      denied(await remove(EDITOR, `${root}/edits/direct.txt`));
    });
  });

  describe('given MANAGE on the experiment, or an admin', () => {
    it('deletes; an admin passes every route', async () => {
      ok(await put(OWNER, `${root}/trash/one.txt`, '1'));
      ok(await remove(OWNER, `${root}/trash/one.txt`));
      missing(await get(OWNER, `${root}/trash/one.txt`));
      ok(await put(world.admin, `${root}/trash/two.txt`, '2'));
      assert.equal(
        ok(await world.direct(world.admin, 'GET', `/get-artifact?run_id=${runId}&path=trash/two.txt`)).text,
        '2',
      );
      ok(await remove(world.admin, `${root}/trash`));
      missing(await get(world.admin, `${root}/trash/two.txt`));
    });
  });

  describe("given DENY on the run tier and READ on the experiment (MLflow's tier override)", () => {
    it("refuses the runs' artifacts, and the experiment's folder lists no run folders (filter_list_artifacts_proxy)", async () => {
      denied(await get(RUNLESS, `${root}/data/a.bin`));
      denied(await world.direct(RUNLESS, 'GET', `/get-artifact?run_id=${runId}&path=data/a.bin`));
      const folder = names(await list(RUNLESS, experimentId));
      assert.ok(folder.includes('models'), String(folder));
      assert.ok(!folder.includes(runId), String(folder));
      assert.ok(names(await list(READER, experimentId)).includes(runId));
    });
  });

  describe("given an experiment whose artifact location lies in another experiment's folder", () => {
    it('judges its runs by their own experiment, which the service knows from tracking, not by the path', async () => {
      const borrowed = await newExperiment(`mlflow-artifacts:/${experimentId}/borrowed`);
      await world.grant(ELSEWHERE, 'experiment', borrowed, 'MANAGE');
      const other = await newRun(borrowed);
      assert.ok(other.root.startsWith(`${experimentId}/borrowed/`), other.root);
      await stored(`${other.root}/secret.txt`, 'secret');
      assert.equal(ok(await get(ELSEWHERE, `${other.root}/secret.txt`)).text, 'secret');
      denied(await get(READER, `${other.root}/secret.txt`));
      denied(await put(EDITOR, `${other.root}/planted.txt`));
      // A multipart upload into a folder of the experiment, naming a file that is the other run's root.
      const runFolder = other.root.replace(/\/artifacts$/, '');
      const planted = json({ path: 'artifacts', num_parts: 1 });
      denied(await world.direct(EDITOR, 'POST', `${MPU}/create/${runFolder}`, planted));
      ok(await world.direct(ELSEWHERE, 'POST', `${MPU}/create/${other.root}`, json({ path: 'big.bin', num_parts: 1 })));
      // Deleting a folder is judged by every run whose root lies in it.
      denied(await remove(OWNER, `${experimentId}/borrowed`));
      assert.equal(ok(await get(ELSEWHERE, `${other.root}/secret.txt`)).text, 'secret');
    });
  });

  describe('given a path that maps to no known run or experiment', () => {
    it('refuses a path that is not a valid artifact path to all but admins, who get its 400 (MLflow denies the unparsable)', async () => {
      for (const path of [`${root}/%252e%252e/%252e%252e/x`, `${root}/a%5Cb`]) {
        denied(await get(READER, path));
        denied(await put(EDITOR, path));
        const answer = await get(world.admin, path);
        assert.equal(answer.status, 400, answer.text);
        assert.equal(answer.json.message, 'Invalid path');
      }
    });

    it("decides a path outside every experiment by the default permission (NO_PERMISSIONS here); an admin gets the route's answer", async () => {
      denied(await get(OWNER, 'elsewhere/file.txt'));
      denied(await put(OWNER, 'elsewhere/file.txt'));
      denied(await list(OWNER, ''));
      denied(await list(OWNER, 'registry'));
      missing(await get(world.admin, 'elsewhere/file.txt'));
      missing(await put(world.admin, 'elsewhere/file.txt'));
      ok(await list(world.admin, ''));
    });

    it("decides an unknown run's path by the experiment its path names, as MLflow reads it; the route answers 404", async () => {
      const unknown = `${experimentId}/${randomBytes(16).toString('hex')}/artifacts/x.txt`;
      denied(await get(STRANGER, unknown));
      missing(await get(READER, unknown));
      denied(await put(READER, unknown));
      missing(await put(EDITOR, unknown));
      // A run id the service does not know: the route answers (the shared convention for unknown ids).
      missing(await world.direct(STRANGER, 'GET', `/get-artifact?run_id=${randomBytes(16).toString('hex')}&path=x`));
    });
  });

  describe('given a registered model version copied into registry storage', () => {
    it('judges its copy by the registered model, by its current name, renames included', async () => {
      const name = `authz-model-${randomUUID().slice(0, 8)}`;
      await system('POST', '/api/2.0/mlflow/registered-models/create', { name });
      await system('POST', '/api/2.0/mlflow/model-versions/create', { name, source: `runs:/${runId}/model` });
      await waitFor('the version to be copied', async () => {
        const { model_version } = await system('GET', `/api/2.0/mlflow/model-versions/get?name=${name}&version=1`);
        return model_version.status === 'READY';
      });
      const { rows } = await world.embedded.registry.db.query<{ id: string }>(
        `SELECT registered_model_id AS id FROM registry.registered_models WHERE name = $1`,
        [name],
      );
      const copy = `registry/${rows[0].id}/1`;
      await world.grant(MODEL_READER, 'registered_model', name, 'READ');

      assert.equal(ok(await get(MODEL_READER, `${copy}/MLmodel`)).text, MLMODEL);
      assert.deepEqual(names(await list(MODEL_READER, copy)), ['MLmodel']);
      denied(await get(STRANGER, `${copy}/MLmodel`));
      denied(await get(READER, `${copy}/MLmodel`));
      denied(await put(MODEL_READER, `${copy}/planted.txt`));
      // Registry storage is read-only, for an admin too: the route's own refusal.
      denied(await put(world.admin, `${copy}/planted.txt`));

      const renamed = `${name}-renamed`;
      await system('POST', '/api/2.0/mlflow/registered-models/rename', { name, new_name: renamed });
      // A grant on the old name, made after the rename, reads the copy until the artifacts service hears of it.
      await world.grant(STRANGER, 'registered_model', name, 'READ');
      await waitFor('the rename to reach the artifacts service', async () => {
        return (await get(STRANGER, `${copy}/MLmodel`)).status === 403;
      });
      // The reader's grant followed the model to its new name, as MLflow moves grants on a rename.
      assert.equal(ok(await get(MODEL_READER, `${copy}/MLmodel`)).text, MLMODEL);
    });
  });

  describe('server-info', () => {
    it('answers without credentials (an open path) and to anyone signed in', async () => {
      for (const path of SERVER_INFO_ROUTES) assert.ok(isOpenPath(path), path);
      const anonymous = ok(await world.viaGateway(undefined, 'GET', SERVER_INFO_ROUTES[0]));
      assert.equal(typeof anonymous.json.multipart_uploads_enabled, 'boolean');
      ok(await world.viaGateway(STRANGER, 'GET', SERVER_INFO_ROUTES[1]));
    });
  });
});
