import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import Fastify, { FastifyInstance } from 'fastify';
import pino from 'pino';
import { createHttpApp } from '@logbook/platform';
import { createTestDatabase, testInfra, waitFor } from '@logbook/testing';
import { loadArtifactsConfig } from '../../services/artifacts/src/config';
import { startEmbeddedServices } from '../../services/gateway/src/embedded-services';
import { registerRoutes, routingTable } from '../../services/gateway/src/routing';
import { upstreamPools } from '../../services/gateway/src/upstream-pool';
import { loadRegistryConfig } from '../../services/registry/src/config';
import { loadTrackingConfig } from '../../services/tracking/src/config';
import { MLMODEL } from './registry-fixtures';

const silent = pino({ level: process.env.LOG_LEVEL ?? 'silent' });

/**
 * The UI's `model-versions/get-artifact` on real Postgres and S3: the registry checks the path and the
 * version and redirects to the version's registry copy, which the artifact proxy streams. The services
 * are wired as in the embedded shape, with the distributed shape's gateway in front of them.
 */
describe('model-versions/get-artifact on real Postgres and S3', () => {
  let database: { url: string; drop(): Promise<void> };
  let embedded: Awaited<ReturnType<typeof startEmbeddedServices>>;
  let app: NestFastifyApplication;
  let gateway: FastifyInstance;
  let base: string;
  let services: string;
  let name: string;
  let registeredModelId: string;
  const weights = randomBytes(256 * 1024 + 3);

  const call = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${base}${path}`, init);
    return { response, body: Buffer.from(await response.arrayBuffer()) };
  };
  const post = async (path: string, body: unknown) => {
    const { response, body: answer } = await call(`/api/2.0/mlflow/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 200, answer.toString());
    return JSON.parse(answer.toString()) as Record<string, any>;
  };
  const version = async (model: string, number: string) => {
    const { body } = await call(`/api/2.0/mlflow/model-versions/get?name=${model}&version=${number}`);
    return (JSON.parse(body.toString()) as { model_version: Record<string, any> }).model_version;
  };
  const settled = (model: string, number: string) =>
    waitFor(`version ${number} of ${model} to leave PENDING_REGISTRATION`, async () => {
      const mv = await version(model, number);
      return mv.status !== 'PENDING_REGISTRATION' && mv;
    });
  /** `root` is where MLflow's UI asks: the server's root path. */
  const artifactUrl = (query: Record<string, string>, prefix: 'api' | 'ajax-api' | 'root' = 'api') =>
    `${prefix === 'root' ? '' : `/${prefix}/2.0/mlflow`}/model-versions/get-artifact?${new URLSearchParams(query)}`;
  const refused = async (path: string, status: number, errorCode: string, message?: string, at = base) => {
    const response = await fetch(`${at}${path}`);
    const body = Buffer.from(await response.arrayBuffer());
    assert.equal(response.status, status, body.toString());
    const error = JSON.parse(body.toString()) as { error_code: string; message: string };
    assert.equal(error.error_code, errorCode);
    if (message !== undefined) assert.ok(error.message.includes(message), error.message);
  };

  before(async () => {
    const infra = testInfra();
    database = await createTestDatabase('registry_artifact');
    const env = {
      LOGBOOK_MODE: 'distributed',
      DATABASE_URL: database.url,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    };
    embedded = await startEmbeddedServices(
      {
        tracking: loadTrackingConfig(env),
        artifacts: loadArtifactsConfig({
          ...process.env,
          ...env,
          LOGBOOK_ARTIFACTS_BACKEND: 's3',
          S3_PREFIX: `registry-artifact-test-${randomUUID()}/`,
          LOGBOOK_ARTIFACT_OWNER_WAIT_MS: '3000',
        }),
        registry: loadRegistryConfig(env),
      },
      silent,
    );
    @Module({ imports: embedded.modules })
    class TestModule {}
    app = await createHttpApp(TestModule, { logger: silent, bodyLimitBytes: 8 * 1024 * 1024 });
    await app.listen(0, '127.0.0.1');
    services = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    gateway = Fastify();
    await registerRoutes(
      gateway,
      routingTable(upstreamPools({ tracking: services, artifacts: services, registry: services })),
      silent,
    );
    base = await gateway.listen({ port: 0, host: '127.0.0.1' });

    const run = (await post('runs/create', { experiment_id: '0' })).run;
    const root = (run.info.artifact_uri as string).replace(/^mlflow-artifacts:\/+/, '');
    const files: Record<string, Buffer | string> = {
      MLmodel: MLMODEL,
      'model.pkl': weights,
      'env/requirements.txt': 'scikit-learn\n',
    };
    for (const [path, bytes] of Object.entries(files)) {
      await waitFor(`the upload of ${path}`, async () => {
        const { response } = await call(`/api/2.0/mlflow-artifacts/artifacts/${root}/model/${path}`, {
          method: 'PUT',
          body: Buffer.from(bytes),
        });
        return response.status === 200;
      });
    }
    name = `artifact-model-${randomUUID().slice(0, 8)}`;
    await post('registered-models/create', { name });
    await post('model-versions/create', { name, source: `runs:/${run.info.run_id}/model` });
    assert.equal((await settled(name, '1')).status, 'READY');
    const { rows } = await embedded.registry.db.query<{ id: string }>(
      `SELECT registered_model_id AS id FROM registry.registered_models WHERE name = $1`,
      [name],
    );
    registeredModelId = rows[0].id;
  });

  after(async () => {
    await gateway?.close();
    await app?.close();
    await embedded?.close();
    await database?.drop();
  });

  it('redirects to the file in the registry copy, under the prefix it was asked on (the REST one from the root)', async () => {
    for (const prefix of ['api', 'ajax-api', 'root'] as const) {
      const { response } = await call(artifactUrl({ name, version: '1', path: 'env/requirements.txt' }, prefix), {
        redirect: 'manual',
      });
      assert.equal(response.status, 307);
      assert.equal(
        response.headers.get('location'),
        `/${prefix === 'root' ? 'api' : prefix}/2.0/mlflow-artifacts/artifacts/registry/${registeredModelId}/1/env/requirements.txt`,
      );
    }
  });

  it('serves the bytes as an attachment with their content type, as MLflow does', async () => {
    const { response, body } = await call(artifactUrl({ name, version: '1', path: 'model.pkl' }));
    assert.equal(response.status, 200);
    assert.ok(body.equals(weights));
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.match(response.headers.get('content-disposition') ?? '', /^attachment; filename="?model\.pkl"?/);
    const mlmodel = await call(artifactUrl({ name, version: '1', path: 'MLmodel' }, 'ajax-api'));
    assert.equal(mlmodel.response.status, 200);
    assert.equal(mlmodel.body.toString(), MLMODEL);
    assert.match(mlmodel.response.headers.get('content-type') ?? '', /^text\/plain/);
  });

  it('answers 404 for a file the copy does not hold, and for a version or model that does not exist', async () => {
    await refused(artifactUrl({ name, version: '1', path: 'missing.bin' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    await refused(artifactUrl({ name, version: '7', path: 'MLmodel' }), 404, 'RESOURCE_DOES_NOT_EXIST', 'version=7');
    await refused(
      artifactUrl({ name: 'no-such-model', version: '1', path: 'MLmodel' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
  });

  it("refuses traversal in any form with MLflow's error, before it looks the version up", async () => {
    const paths = ['../../etc/passwd', '%2e%2e/%2e%2e/x', '%252e%252e%252fx', '/etc/passwd', 'a\\..\\b', 'a#b'];
    // The gateway refuses some of these itself; the registry behind it refuses them all.
    for (const at of [base, services]) {
      for (const path of paths) {
        for (const model of [name, 'no-such-model']) {
          const url = artifactUrl({ name: model, version: '1', path });
          await refused(url, 400, 'INVALID_PARAMETER_VALUE', 'Invalid path', at);
        }
      }
    }
    await refused(
      `/api/2.0/mlflow/model-versions/get-artifact?name=${name}&version=1`,
      400,
      'INVALID_PARAMETER_VALUE',
      "'path'",
    );
  });

  it('refuses a version without files with INVALID_STATE, and follows renames and deletes', async () => {
    await post('model-versions/create', { name, source: `runs:/${'f'.repeat(32)}/model` });
    const failed = await settled(name, '2');
    assert.equal(failed.status, 'FAILED_REGISTRATION');
    await refused(
      artifactUrl({ name, version: '2', path: 'MLmodel' }),
      400,
      'INVALID_STATE',
      'FAILED_REGISTRATION and has no files',
    );

    const renamed = `${name}-renamed`;
    await post('registered-models/rename', { name, new_name: renamed });
    const { response, body } = await call(artifactUrl({ name: renamed, version: '1', path: 'MLmodel' }));
    assert.equal(response.status, 200);
    assert.equal(body.toString(), MLMODEL);
    await refused(artifactUrl({ name, version: '1', path: 'MLmodel' }), 404, 'RESOURCE_DOES_NOT_EXIST');

    const deleted = await call('/api/2.0/mlflow/model-versions/delete', {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: renamed, version: '1' }),
    });
    assert.equal(deleted.response.status, 200, deleted.body.toString());
    await refused(artifactUrl({ name: renamed, version: '1', path: 'MLmodel' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });
});
