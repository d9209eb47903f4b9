import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  modelFolder,
  parseRegistrationSource,
  RegistrationSource,
  SourceOwner,
  SourceRefused,
  StoreIdentity,
} from './registration-source';

const runId = '0f6c3e1a9b8d4c2e8f7a6b5c4d3e2f10';
const modelId = 'm-4a1b2c3d4e5f60718293a4b5c6d7e8f9';
const local: StoreIdentity = { backend: 'local', bucket: '', prefix: '' };
const s3: StoreIdentity = { backend: 's3', bucket: 'logbook', prefix: 'tenant-a/' };
const runOwner: SourceOwner = { root: `1/${runId}/artifacts`, kind: 'run', ownerId: runId, purged: false };
const modelOwner: SourceOwner = {
  root: `1/models/${modelId}/artifacts`,
  kind: 'logged-model',
  ownerId: modelId,
  purged: false,
};

const refused = (source: string, store: StoreIdentity, message: RegExp) =>
  assert.throws(
    () => parseRegistrationSource(source, store),
    (error: unknown) => {
      assert.ok(error instanceof SourceRefused, String(error));
      assert.match(error.message, message);
      return true;
    },
  );

describe('registration sources: what a version may be copied from', () => {
  it('reads runs:/, models:/<model_id>, mlflow-artifacts:/ and s3:// inside the configured bucket and prefix', () => {
    const cases: Array<[string, StoreIdentity, RegistrationSource]> = [
      [`runs:/${runId}/model`, local, { kind: 'run', runId, path: 'model' }],
      [`runs:/${runId}`, local, { kind: 'run', runId, path: '' }],
      [`models:/${modelId}`, local, { kind: 'logged-model', modelId, path: '' }],
      [`mlflow-artifacts:/1/${runId}/artifacts/model`, local, { kind: 'store', path: `1/${runId}/artifacts/model` }],
      [`mlflow-artifacts://host:5000/1/x`, local, { kind: 'store', path: '1/x' }],
      [`s3://logbook/tenant-a/1/${runId}/artifacts/model`, s3, { kind: 'store', path: `1/${runId}/artifacts/model` }],
    ];
    for (const [source, store, expected] of cases) assert.deepEqual(parseRegistrationSource(source, store), expected);
  });

  it('refuses local paths and file: URIs (CVE-2023-1177)', () => {
    for (const source of ['/etc/passwd', 'model', 'file:///etc/passwd', 'FILE:/tmp/model', 'C:/models/x']) {
      refused(source, local, /Local sources are refused|outside the artifact roots/);
    }
  });

  it('refuses traversal, encoded or not, in every scheme', () => {
    for (const source of [
      `runs:/${runId}/../../other`,
      `runs:/${runId}/%2e%2e/%2e%2e/x`,
      `mlflow-artifacts:/1/../../etc`,
      `models:/${modelId}/..%252f..%252fx`,
      `s3://logbook/tenant-a/../tenant-b/x`,
    ]) {
      refused(source, s3, /must not leave its root/);
    }
  });

  it('refuses other schemes, another bucket or prefix, and s3:// on a local store', () => {
    refused('http://example.com/model', local, /outside the artifact roots/);
    refused('s3://other/tenant-a/1/x', s3, /outside the artifact roots/);
    refused('s3://logbook/tenant-b/1/x', s3, /outside the artifact roots/);
    refused('s3://logbook/tenant-a/1/x', local, /outside the artifact roots/);
    refused('runs:/not-a-run/model', local, /expected runs:\/<run_id>\/<path>/);
    refused('models:/fraud/3', local, /names a registered model version/);
  });

  it('copies from inside the owner of the source; unknown owners, purged ones and paths outside any root are refused', () => {
    assert.equal(modelFolder({ kind: 'run', runId, path: 'model' }, runOwner, 's'), `1/${runId}/artifacts/model`);
    assert.equal(modelFolder({ kind: 'logged-model', modelId, path: '' }, modelOwner, 's'), modelOwner.root);
    assert.equal(modelFolder({ kind: 'store', path: `${runOwner.root}/m` }, runOwner, 's'), `${runOwner.root}/m`);
    const refusedFolder = (parsed: RegistrationSource, owner: SourceOwner | undefined, message: RegExp) =>
      assert.throws(() => modelFolder(parsed, owner, 'src'), message);
    refusedFolder({ kind: 'run', runId, path: 'model' }, undefined, /Run '.*' not found/);
    refusedFolder({ kind: 'logged-model', modelId, path: '' }, undefined, /Logged model '.*' not found/);
    refusedFolder({ kind: 'store', path: '1/elsewhere' }, undefined, /outside the artifact roots/);
    refusedFolder({ kind: 'store', path: 'registry/rm/1' }, { ...runOwner, root: 'registry' }, /outside/);
    refusedFolder({ kind: 'run', runId, path: 'model' }, { ...runOwner, purged: true }, /were purged/);
  });
});
