import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kafka } from 'kafkajs';
import pino from 'pino';
import { ARTIFACTS_REGISTRATION_TOPIC, REGISTRY_MODEL_VERSION_TOPIC } from '@logbook/contracts';
import { createKafka } from '@logbook/messaging';
import { createHttpApp } from '@logbook/platform';
import { createTestDatabase, groupCaughtUp, PrivateKafka, readTopics, topicSize, waitFor } from '@logbook/testing';
import { ArtifactsModule } from '../../services/artifacts/src/artifacts.module';
import { ArtifactsRuntime, startArtifactsRuntime } from '../../services/artifacts/src/artifacts.runtime';
import { loadArtifactsConfig } from '../../services/artifacts/src/config';
import { REGISTRY_EVENTS_CONSUMER } from '../../services/artifacts/src/registrations/registry-events.consumer';
import { loadRegistryConfig } from '../../services/registry/src/config';
import { REGISTRATION_RESULTS_CONSUMER } from '../../services/registry/src/integration/registration-results.consumer';
import { RegistryModule } from '../../services/registry/src/registry.module';
import { RegistryRuntime, startRegistryRuntime } from '../../services/registry/src/registry.runtime';
import { loadTrackingConfig } from '../../services/tracking/src/config';
import { TrackingModule } from '../../services/tracking/src/tracking.module';
import { startTrackingRuntime, TrackingRuntime } from '../../services/tracking/src/tracking.runtime';
import { MLMODEL } from './registry-fixtures';

const silent = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/**
 * Registration as a cross-service flow on real Postgres and a Kafka broker of its own: the registry
 * publishes a new version, the artifacts service verifies and copies its source into registry storage,
 * and the registry applies the verdict, once.
 */
describe('registration through Kafka: create → verified copy → READY', () => {
  let kafka: PrivateKafka;
  let client: Kafka;
  let database: { url: string; drop(): Promise<void> };
  let artifactsDir: string;
  let tracking: TrackingRuntime;
  let artifacts: ArtifactsRuntime;
  let registry: RegistryRuntime;
  let app: NestFastifyApplication;
  let env: Record<string, string>;
  let base: string;

  const artifactsConfig = () =>
    loadArtifactsConfig({
      ...env,
      LOGBOOK_ARTIFACTS_BACKEND: 'local',
      LOGBOOK_ARTIFACTS_DIR: artifactsDir,
      LOGBOOK_ARTIFACT_OWNER_WAIT_MS: '300',
      LOGBOOK_REGISTRATION_LEASE_MS: '2000',
    });

  const call = async (method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) => {
    const response = await fetch(`${base}${url}`, {
      method,
      ...(Buffer.isBuffer(body)
        ? { body, headers: { 'content-type': 'application/octet-stream' } }
        : body !== undefined
          ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
          : {}),
    });
    const raw = Buffer.from(await response.arrayBuffer());
    return { status: response.status, json: () => JSON.parse(raw.toString()) as Record<string, any>, raw };
  };
  const post = async (path: string, body: unknown) => {
    const answer = await call('POST', `/api/2.0/mlflow/${path}`, body);
    assert.equal(answer.status, 200, JSON.stringify(answer.json()));
    return answer.json();
  };
  const get = async (path: string) => {
    const answer = await call('GET', `/api/2.0/mlflow/${path}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.json()));
    return answer.json();
  };
  const upload = async (root: string, path: string, bytes: Buffer | string) => {
    const answer = await call('PUT', `/api/2.0/mlflow-artifacts/artifacts/${root}/${path}`, Buffer.from(bytes));
    assert.equal(answer.status, 200, answer.raw.toString());
  };

  /** A run with a model folder (MLmodel and `files`) under `model/`, uploaded once the artifacts service knows the run. */
  const runWithModel = async (files: Record<string, Buffer | string>) => {
    const experiment = await post('experiments/create', { name: `registration-${randomUUID()}` });
    const run = (await post('runs/create', { experiment_id: experiment.experiment_id, start_time: 1 })).run;
    const runId = run.info.run_id as string;
    const root = (run.info.artifact_uri as string).replace(/^mlflow-artifacts:\/+/, '');
    await waitFor('the artifacts service to learn the run', async () => {
      const { rows } = await artifacts.db.query(`SELECT 1 FROM artifacts.owners WHERE owner_id = $1`, [runId]);
      return rows.length > 0;
    });
    const all: Record<string, Buffer | string> = { MLmodel: MLMODEL, ...files };
    for (const [path, bytes] of Object.entries(all)) await upload(root, `model/${path}`, bytes);
    return { runId, root, files: all };
  };

  const newModel = async () =>
    (await post('registered-models/create', { name: `fraud-${randomUUID()}` })).registered_model.name as string;

  const settled = (name: string, version: string, timeoutMs = 30_000) =>
    waitFor(
      `version ${version} of ${name} to leave PENDING_REGISTRATION`,
      async () => {
        const mv = (await get(`model-versions/get?name=${name}&version=${version}`)).model_version;
        return mv.status !== 'PENDING_REGISTRATION' && mv;
      },
      timeoutMs,
    );

  /** The digest the artifacts service must record for these files: one line `<path> <sha256>` per file, sorted by path. */
  const expectedDigest = (files: Record<string, Buffer | string>) =>
    `sha256:${sha256(
      Object.keys(files)
        .sort()
        .map((path) => `${path} ${sha256(Buffer.from(files[path]))}\n`)
        .join(''),
    )}`;

  const eventCount = async (schema: 'registry' | 'artifacts', streamId: string, type: string) =>
    (
      await registry.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${schema}.events WHERE stream_id = $1 AND type = $2`,
        [streamId, type],
      )
    ).rows[0].n;
  const registeredModelId = async (name: string) =>
    (
      await registry.db.query<{ id: string }>(
        `SELECT registered_model_id AS id FROM registry.registered_models WHERE name = $1`,
        [name],
      )
    ).rows[0].id;

  before(async () => {
    kafka = await PrivateKafka.create();
    await kafka.start();
    client = createKafka(kafka.cluster, 'registration-spec', silent);
    database = await createTestDatabase('registration');
    artifactsDir = mkdtempSync(join(tmpdir(), 'logbook-registration-'));
    env = { LOGBOOK_MODE: 'distributed', DATABASE_URL: database.url, KAFKA_BROKERS: kafka.brokers.join(',') };
    tracking = await startTrackingRuntime(loadTrackingConfig(env), silent);
    artifacts = await startArtifactsRuntime(artifactsConfig(), silent, { kind: 'kafka' });
    // Creates answer at once, so these tests watch the versions leave PENDING_REGISTRATION as the client polls them.
    const answerAtOnce = { LOGBOOK_REGISTRATION_WAIT_MS: '0' };
    registry = await startRegistryRuntime(loadRegistryConfig({ ...env, ...answerAtOnce }), silent, { kind: 'kafka' });
    @Module({
      imports: [TrackingModule.with(tracking), ArtifactsModule.with(artifacts, silent), RegistryModule.with(registry)],
    })
    class TestModule {}
    app = await createHttpApp(TestModule, { logger: silent, bodyLimitBytes: 8 * 1024 * 1024 });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });

  after(async () => {
    await app?.close();
    await registry?.close();
    await artifacts?.close();
    await tracking?.close();
    await database?.drop();
    await kafka?.destroy();
    rmSync(artifactsDir, { recursive: true, force: true });
  });

  it('a version from runs:/ becomes READY with the digest of its files, and its download URI serves the same bytes after the run is gone', async () => {
    const weights = randomBytes(3 * 1024 * 1024 + 17);
    const { runId, root, files } = await runWithModel({
      'model.pkl': weights,
      'env/requirements.txt': 'scikit-learn\n',
    });
    const name = await newModel();
    const started = Date.now();
    const created = (await post('model-versions/create', { name, source: `runs:/${runId}/model`, run_id: runId }))
      .model_version;
    assert.equal(created.status, 'PENDING_REGISTRATION');
    const version = await settled(name, created.version);
    const latencyMs = Date.now() - started;
    assert.equal(version.status, 'READY', JSON.stringify(version));
    silent.info({ latencyMs }, 'create → READY over Kafka');

    const id = await registeredModelId(name);
    const { rows } = await registry.db.query<{ digest: string; storage_location: string }>(
      `SELECT digest, storage_location FROM registry.model_versions WHERE registered_model_id = $1 AND version = 1`,
      [id],
    );
    assert.equal(rows[0].digest, expectedDigest(files));
    const uri = (await get(`model-versions/get-download-uri?name=${name}&version=1`)).artifact_uri as string;
    assert.equal(uri, `mlflow-artifacts:/registry/${id}/1`);
    const recorded = await artifacts.db.query<{ path: string; size: string; sha256: string }>(
      `SELECT path, size, sha256 FROM artifacts.registered_files WHERE registered_model_id = $1 ORDER BY path`,
      [id],
    );
    assert.deepEqual(
      recorded.rows.map((r) => [r.path, Number(r.size), r.sha256]),
      Object.keys(files)
        .sort()
        .map((path) => [path, Buffer.from(files[path]).length, sha256(Buffer.from(files[path]))]),
    );

    // The run is deleted and its artifacts removed from the store: the registry copy stays.
    await post('runs/delete', { run_id: runId });
    await artifacts.storage.delete(root);
    const listing = await call('GET', `/api/2.0/mlflow-artifacts/artifacts?path=registry/${id}/1`);
    assert.deepEqual((listing.json().files as Array<{ path: string }>).map((f) => f.path).sort(), [
      'MLmodel',
      'env',
      'model.pkl',
    ]);
    const download = await call('GET', `/api/2.0/mlflow-artifacts/artifacts/registry/${id}/1/model.pkl`);
    assert.equal(download.status, 200);
    assert.equal(sha256(download.raw), sha256(weights));

    // Registry storage is read-only through the artifact API.
    const overwrite = await call(
      'PUT',
      `/api/2.0/mlflow-artifacts/artifacts/registry/${id}/1/model.pkl`,
      Buffer.from('x'),
    );
    assert.equal(overwrite.status, 403);
  });

  it('a version from a logged model gets its model_id and run_id, and its lineage shows the run, params, latest metrics and datasets', async () => {
    const experiment = await post('experiments/create', { name: `lineage-${randomUUID()}` });
    const run = (
      await post('runs/create', { experiment_id: experiment.experiment_id, start_time: 1, run_name: 'train' })
    ).run;
    const runId = run.info.run_id as string;
    await post('runs/log-batch', {
      run_id: runId,
      params: [{ key: 'lr', value: '0.01' }],
      metrics: [
        { key: 'loss', value: 0.5, timestamp: 1, step: 1 },
        { key: 'loss', value: 0.2, timestamp: 2, step: 2 },
      ],
    });
    await post('runs/log-inputs', {
      run_id: runId,
      datasets: [
        {
          dataset: { name: 'train', digest: 'abc123', source_type: 'local', source: '{"uri": "data.csv"}' },
          tags: [{ key: 'mlflow.data.context', value: 'training' }],
        },
      ],
    });
    const model = (
      await post('logged-models', { experiment_id: experiment.experiment_id, name: 'clf', source_run_id: runId })
    ).model;
    const modelId = model.info.model_id as string;
    const root = (model.info.artifact_uri as string).replace(/^mlflow-artifacts:\/+/, '');
    await waitFor('both services to learn the logged model', async () => {
      const owner = await artifacts.db.query(`SELECT 1 FROM artifacts.owners WHERE owner_id = $1`, [modelId]);
      const lineage = await registry.db.query(`SELECT 1 FROM registry.lineage_logged_models WHERE model_id = $1`, [
        modelId,
      ]);
      return owner.rows.length > 0 && lineage.rows.length > 0;
    });
    await upload(root, 'MLmodel', MLMODEL);
    await upload(root, 'python_model.pkl', randomBytes(1000));

    const name = await newModel();
    const created = (await post('model-versions/create', { name, source: `models:/${modelId}` })).model_version;
    assert.equal(created.model_id, modelId);
    assert.equal(created.run_id, runId);
    assert.equal((await settled(name, created.version)).status, 'READY');

    const lineage = await call('GET', `/api/2.0/logbook/model-versions/lineage?name=${name}&version=1`);
    assert.equal(lineage.status, 200, lineage.raw.toString());
    const answer = lineage.json();
    assert.equal(answer.model_version.status, 'READY');
    assert.match(answer.model_version.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(answer.model_version.model_id, modelId);
    assert.deepEqual(answer.logged_model, {
      model_id: modelId,
      name: 'clf',
      experiment_id: experiment.experiment_id,
      source_run_id: runId,
      artifact_location: model.info.artifact_uri,
    });
    assert.equal(answer.run.run_id, runId);
    assert.equal(answer.run.run_name, 'train');
    assert.equal(answer.run.experiment_id, experiment.experiment_id);
    assert.deepEqual(answer.run.params, [{ key: 'lr', value: '0.01' }]);
    assert.deepEqual(answer.run.metrics, [{ key: 'loss', value: 0.2, timestamp: '2', step: '2' }]);
    assert.deepEqual(answer.run.dataset_inputs, [
      { name: 'train', digest: 'abc123', source_type: 'local', source: '{"uri": "data.csv"}', context: 'training' },
    ]);
  });

  it('sources that do not exist, hold no model or lie outside the artifact roots end FAILED_REGISTRATION with a message; local and traversing ones are refused at once', async () => {
    const name = await newModel();
    const { runId } = await runWithModel({});
    const cases: Array<[string, RegExp]> = [
      [`runs:/${randomBytes(16).toString('hex')}/model`, /Run '[0-9a-f]{32}' not found/],
      [`models:/m-${randomBytes(16).toString('hex')}`, /Logged model 'm-[0-9a-f]{32}' not found/],
      [`runs:/${runId}/no-such-folder`, /No MLmodel file at the source/],
      ['mlflow-artifacts:/somewhere/else/model', /outside the artifact roots/],
      ['s3://another-bucket/models/x', /outside the artifact roots/],
      [`mlflow-artifacts:/registry/${randomUUID()}/1`, /outside the artifact roots/],
    ];
    for (const [source, message] of cases) {
      const created = (await post('model-versions/create', { name, source })).model_version;
      const version = await settled(name, created.version);
      assert.equal(version.status, 'FAILED_REGISTRATION', source);
      assert.match(version.status_message, message, source);
    }
    for (const source of [
      'file:///etc/passwd',
      '/etc/passwd',
      `runs:/${runId}/../../../etc`,
      'mlflow-artifacts:/1/%2e%2e/%2e%2e/x',
    ]) {
      const refused = await call('POST', '/api/2.0/mlflow/model-versions/create', { name, source });
      assert.equal(refused.status, 400, source);
      assert.equal(refused.json().error_code, 'INVALID_PARAMETER_VALUE');
    }
  });

  it('duplicate deliveries of the created version and of the verdict are applied once', async () => {
    const { runId } = await runWithModel({ 'model.pkl': randomBytes(2048) });
    const name = await newModel();
    await post('model-versions/create', { name, source: `runs:/${runId}/model` });
    assert.equal((await settled(name, '1')).status, 'READY');
    const id = await registeredModelId(name);

    const topics = [REGISTRY_MODEL_VERSION_TOPIC.name, ARTIFACTS_REGISTRATION_TOPIC.name];
    const messages = (await readTopics(client, topics, await topicSize(client, topics))).filter(
      (m) => (JSON.parse(m.value) as { data: { registeredModelId: string } }).data.registeredModelId === id,
    );
    const created = messages.find((m) => JSON.parse(m.value).type === 'ModelVersionCreated');
    const verdict = messages.find((m) => JSON.parse(m.value).type === 'ModelVersionVerified');
    assert.ok(created && verdict);
    // The same messages again, and the verdict once more under a new event id (as a second copier would publish it).
    const again = { ...JSON.parse(verdict.value), eventId: randomUUID() };
    const producer = client.producer();
    await producer.connect();
    await producer.send({ topic: created.topic, messages: [{ key: created.key, value: created.value }] });
    await producer.send({
      topic: verdict.topic,
      messages: [
        { key: verdict.key, value: verdict.value },
        { key: verdict.key, value: JSON.stringify(again) },
      ],
    });
    await producer.disconnect();
    await waitFor(
      'both consumers to take the duplicates',
      async () =>
        (await groupCaughtUp(client, REGISTRY_EVENTS_CONSUMER, [REGISTRY_MODEL_VERSION_TOPIC.name])) &&
        (await groupCaughtUp(client, REGISTRATION_RESULTS_CONSUMER, [ARTIFACTS_REGISTRATION_TOPIC.name])),
    );
    assert.equal(await eventCount('artifacts', `registration-${id}-1`, 'ModelVersionVerified'), 1);
    assert.equal(await eventCount('registry', `model-version-${id}-1`, 'ModelVersionRegistrationCompleted'), 1);
    const { rows } = await artifacts.db.query<{ attempts: number }>(
      `SELECT attempts FROM artifacts.registrations WHERE registered_model_id = $1`,
      [id],
    );
    assert.equal(rows[0].attempts, 1, 'the redelivered version was not copied again');
  });

  it('the artifacts service stopped mid-copy and started again finishes the copy: READY once, with the digest of every file', async () => {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 400; i++) files[`shards/part-${String(i).padStart(4, '0')}.bin`] = randomBytes(4096 + i);
    const { runId, files: all } = await runWithModel(files);
    const name = await newModel();
    await post('model-versions/create', { name, source: `runs:/${runId}/model` });
    const id = await registeredModelId(name);
    const destination = join(artifactsDir, 'registry', id, '1', 'shards');
    await waitFor(
      'the copy to start',
      async () => {
        try {
          return readdirSync(destination).length > 0;
        } catch {
          return false;
        }
      },
      30_000,
    );
    await artifacts.close();
    assert.equal((await get(`model-versions/get?name=${name}&version=1`)).model_version.status, 'PENDING_REGISTRATION');
    assert.ok(readdirSync(destination).length < 400, 'the copy was stopped before it finished');

    artifacts = await startArtifactsRuntime(artifactsConfig(), silent, { kind: 'kafka' });
    const version = await settled(name, '1', 60_000);
    assert.equal(version.status, 'READY');
    const { rows } = await registry.db.query<{ digest: string }>(
      `SELECT digest FROM registry.model_versions WHERE registered_model_id = $1 AND version = 1`,
      [id],
    );
    assert.equal(rows[0].digest, expectedDigest(all));
    assert.equal(readdirSync(destination).length, 400);
    assert.equal(await eventCount('artifacts', `registration-${id}-1`, 'ModelVersionVerified'), 1);
    assert.equal(await eventCount('registry', `model-version-${id}-1`, 'ModelVersionRegistrationCompleted'), 1);
  });
});
