import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Type } from 'protobufjs';
import { protobufContentType, protobufTypes } from '@logbook/platform';
import { EmbeddedApp, startEmbeddedApp } from './embedded-app-fixture';

const encoded = (typeName: string, fields: Record<string, unknown>) => {
  const type = protobufTypes().root.lookupType(typeName) as Type;
  return Buffer.from(type.encode(type.fromObject(fields)).finish());
};

/**
 * The REST routes take a request message of Logbook's gRPC services as a protobuf body (how the gateway passes
 * a gRPC call on to the service that answers it): the same route, validation and answers as its JSON.
 */
describe('a protobuf request body on the REST routes', () => {
  let embedded: EmbeddedApp;
  let app: NestFastifyApplication;
  let runId: string;

  const post = (url: string, payload: Buffer | string, contentType: string) =>
    app.inject({ method: 'POST', url, payload, headers: { 'content-type': contentType } });

  const history = async (key: string) => {
    const response = await app.inject({
      method: 'GET',
      url: `/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=${key}`,
    });
    return (response.json() as { metrics?: { value: number; timestamp: number; step: number }[] }).metrics ?? [];
  };

  before(async () => {
    embedded = await startEmbeddedApp('protobuf-bodies', 1024 * 1024);
    app = embedded.app;
    const experiment = await post(
      '/api/2.0/mlflow/experiments/create',
      encoded('mlflow.CreateExperiment', { name: 'protobuf-bodies' }),
      protobufContentType('mlflow.CreateExperiment'),
    );
    assert.equal(experiment.statusCode, 200, experiment.body);
    const run = await post(
      '/api/2.0/mlflow/runs/create',
      JSON.stringify({ experiment_id: experiment.json().experiment_id }),
      'application/json',
    );
    runId = run.json().run.info.run_id;
  });

  after(() => embedded.close());

  it('logs a batch given as mlflow.LogBatch as it logs the same batch given as JSON', async () => {
    const metrics = [
      { key: 'loss', value: 0.25, timestamp: 1_700_000_000_123, step: 3 },
      { key: 'loss', value: -1.5, timestamp: 1_700_000_000_456, step: 4 },
    ];
    const answer = await post(
      '/api/2.0/mlflow/runs/log-batch',
      encoded('mlflow.LogBatch', { run_id: runId, metrics }),
      protobufContentType('mlflow.LogBatch'),
    );
    assert.equal(answer.statusCode, 200, answer.body);
    assert.deepEqual(answer.json(), {});
    assert.deepEqual(await history('loss'), metrics);
  });

  it('refuses an invalid batch with the answer its JSON gets, and logs nothing', async () => {
    const batch = { run_id: runId, metrics: [{ key: 'bad/../key', value: 1, timestamp: 1, step: 0 }] };
    const asJson = await post('/api/2.0/mlflow/runs/log-batch', JSON.stringify(batch), 'application/json');
    const asProtobuf = await post(
      '/api/2.0/mlflow/runs/log-batch',
      encoded('mlflow.LogBatch', batch),
      protobufContentType('mlflow.LogBatch'),
    );
    assert.equal(asJson.statusCode, 400);
    assert.equal(asProtobuf.statusCode, asJson.statusCode);
    assert.deepEqual(asProtobuf.json(), asJson.json());
    assert.deepEqual(await history('bad/../key'), []);
  });

  it('refuses an int64 beyond what a double holds exactly, as it refuses one in JSON', async () => {
    const answer = await post(
      '/api/2.0/mlflow/runs/log-batch',
      encoded('mlflow.LogBatch', {
        run_id: runId,
        metrics: [{ key: 'huge', value: 1, timestamp: '9007199254740993', step: 0 }],
      }),
      protobufContentType('mlflow.LogBatch'),
    );
    assert.equal(answer.statusCode, 400, answer.body);
    assert.equal(answer.json().error_code, 'INVALID_PARAMETER_VALUE');
    assert.deepEqual(await history('huge'), []);
  });

  it('refuses a body that names no request message, or that is not the message it names', async () => {
    const batch = encoded('mlflow.LogBatch', { run_id: runId, metrics: [{ key: 'x', value: 1, timestamp: 1 }] });
    const unnamed = await post('/api/2.0/mlflow/runs/log-batch', batch, 'application/x-protobuf');
    assert.equal(unnamed.statusCode, 400);
    assert.equal(unnamed.json().error_code, 'BAD_REQUEST');
    const notARequest = await post('/api/2.0/mlflow/runs/log-batch', batch, protobufContentType('mlflow.Metric'));
    assert.equal(notARequest.statusCode, 400);
    assert.match(notARequest.json().message, /mlflow\.Metric is not one/);
    const garbage = await post(
      '/api/2.0/mlflow/runs/log-batch',
      Buffer.from([0xff, 0xff, 0xff]),
      protobufContentType('mlflow.LogBatch'),
    );
    assert.equal(garbage.statusCode, 400);
    assert.equal(garbage.json().error_code, 'MALFORMED_REQUEST');
    assert.deepEqual(await history('x'), []);
  });

  it('refuses text Postgres cannot store, naming its field', async () => {
    const answer = await post(
      '/api/2.0/mlflow/runs/log-batch',
      encoded('mlflow.LogBatch', { run_id: runId, params: [{ key: 'p', value: 'a\u0000b' }] }),
      protobufContentType('mlflow.LogBatch'),
    );
    assert.equal(answer.statusCode, 400);
    assert.match(answer.json().message, /params\[0\]\.value/);
  });
});
