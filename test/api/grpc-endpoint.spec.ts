import 'reflect-metadata';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  credentials,
  loadPackageDefinition,
  makeGenericClientConstructor,
  Metadata,
  ServiceClientConstructor,
  ServiceError,
  status as Status,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { metricsRegistry } from '@logbook/platform';
import { freePort } from '@logbook/testing';
import { GrpcEndpoint, startGrpcEndpoint } from '../../services/gateway/src/grpc/grpc-endpoint';
import { silent, startEmbeddedApp } from './embedded-app-fixture';

const PROTO_ROOT = join(__dirname, '..', '..', '..', 'libs', 'contracts', 'proto');
const MAX_MESSAGE_BYTES = 256 * 1024;

type Callback = (error: ServiceError | null, answer?: Record<string, any>) => void;
type Stub = Record<string, (request: object, metadata: Metadata, options: object, callback: Callback) => void> & {
  close(): void;
};

/** A client as any language's would be generated from Logbook's .proto files. */
function stubs(target: string) {
  const definition = loadSync(['mlflow/service.proto', 'mlflow/model_registry.proto'], {
    includeDirs: [PROTO_ROOT],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: false,
  });
  const mlflow = loadPackageDefinition(definition).mlflow as Record<string, ServiceClientConstructor>;
  const make = (service: string) => new mlflow[service](target, credentials.createInsecure()) as unknown as Stub;
  return { tracking: make('MlflowService'), registry: make('ModelRegistryService') };
}

const call = (stub: Stub, method: string, request: object, deadlineMs = 10_000) =>
  new Promise<{ error: ServiceError | null; answer?: Record<string, any> }>((resolve) =>
    stub[method](request, new Metadata(), { deadline: Date.now() + deadlineMs }, (error, answer) =>
      resolve({ error, answer }),
    ),
  );

async function ok(stub: Stub, method: string, request: object) {
  const { error, answer } = await call(stub, method, request);
  assert.equal(error, null, error?.message);
  return answer as Record<string, any>;
}

/** A client of one method that sends the given bytes as they are. */
function rawClient(target: string, path: string) {
  const Raw = makeGenericClientConstructor(
    {
      raw: {
        path,
        requestStream: false,
        responseStream: false,
        requestSerialize: (bytes: Buffer) => bytes,
        requestDeserialize: (bytes: Buffer) => bytes,
        responseSerialize: (bytes: Buffer) => bytes,
        responseDeserialize: (bytes: Buffer) => bytes,
      },
    },
    'Raw',
  );
  const client = new Raw(target, credentials.createInsecure()) as unknown as Stub;
  return (bytes: Buffer) =>
    new Promise<ServiceError | null>((resolve) =>
      client.raw(bytes, new Metadata(), { deadline: Date.now() + 10_000 }, (error) => {
        client.close();
        resolve(error);
      }),
    );
}

describe('the gRPC endpoint on the embedded services', () => {
  let app: NestFastifyApplication;
  let endpoint: GrpcEndpoint;
  let closeApp: () => Promise<void>;
  let target: string;
  let client: ReturnType<typeof stubs>;

  before(async () => {
    ({ app, close: closeApp } = await startEmbeddedApp('grpc', MAX_MESSAGE_BYTES));
    const port = await freePort();
    target = `127.0.0.1:${port}`;
    endpoint = await startGrpcEndpoint(
      app.getHttpAdapter().getInstance(),
      { host: '127.0.0.1', port, maxMessageBytes: MAX_MESSAGE_BYTES, drainTimeoutMs: 5_000 },
      silent,
    );
    client = stubs(target);
  });

  after(async () => {
    client.tracking.close();
    client.registry.close();
    await endpoint.drain();
    await closeApp();
  });

  it("answers MLflow's methods as the REST routes do, non-finite metric values and int64 included", async () => {
    const { experiment_id } = await ok(client.tracking, 'createExperiment', { name: 'grpc-churn' });
    const { experiment } = await ok(client.tracking, 'getExperimentByName', { experiment_name: 'grpc-churn' });
    assert.equal(experiment.experiment_id, experiment_id);
    const rest = await app.inject({
      method: 'GET',
      url: `/api/2.0/mlflow/experiments/get?experiment_id=${experiment_id}`,
    });
    const restExperiment = rest.json().experiment;
    assert.equal(experiment.name, restExperiment.name);
    assert.equal(experiment.artifact_location, restExperiment.artifact_location);
    assert.equal(experiment.creation_time, String(restExperiment.creation_time));

    const { run } = await ok(client.tracking, 'createRun', { experiment_id, start_time: '1700000000000' });
    const runId = run.info.run_id;
    await ok(client.tracking, 'logBatch', {
      run_id: runId,
      metrics: [NaN, Infinity, -Infinity, 0.5].map((value, step) => ({
        key: 'loss',
        value,
        step: String(step),
        timestamp: String(4_102_444_800_000 + step),
      })),
    });
    const { metrics } = await ok(client.tracking, 'getMetricHistory', { run_id: runId, metric_key: 'loss' });
    assert.deepEqual(
      metrics.map((metric: Record<string, unknown>) => [metric.step, metric.timestamp, metric.value]),
      [
        ['0', '4102444800000', NaN],
        ['1', '4102444800001', Infinity],
        ['2', '4102444800002', -Infinity],
        ['3', '4102444800003', 0.5],
      ],
    );
  });

  it("carries MLflow's error code and message in the status", async () => {
    const { error } = await call(client.registry, 'getRegisteredModel', { name: 'no-such-model' });
    assert.equal(error?.code, Status.NOT_FOUND);
    assert.match(error?.details ?? '', /no-such-model/);
    assert.deepEqual(error?.metadata.get('mlflow-error-code'), ['RESOURCE_DOES_NOT_EXIST']);

    await ok(client.registry, 'createRegisteredModel', { name: 'grpc-model' });
    const twice = await call(client.registry, 'createRegisteredModel', { name: 'grpc-model' });
    assert.equal(twice.error?.code, Status.ALREADY_EXISTS);

    const invalid = await call(client.tracking, 'searchRuns', { experiment_ids: ['0'], max_results: 0 });
    assert.equal(invalid.error?.code, Status.INVALID_ARGUMENT);
    assert.deepEqual(invalid.error?.metadata.get('mlflow-error-code'), ['INVALID_PARAMETER_VALUE']);
  });

  it('refuses bytes that are not the message, an oversized message and a method it does not serve', async () => {
    const malformed = await rawClient(
      target,
      '/mlflow.MlflowService/createExperiment',
    )(Buffer.from([0xff, 0xff, 0xff]));
    assert.equal(malformed?.code, Status.INVALID_ARGUMENT);
    assert.deepEqual(malformed?.metadata.get('mlflow-error-code'), ['MALFORMED_REQUEST']);

    const oversized = await call(client.tracking, 'createExperiment', { name: 'x'.repeat(MAX_MESSAGE_BYTES + 1) });
    assert.equal(oversized.error?.code, Status.RESOURCE_EXHAUSTED);

    const unknown = await rawClient(target, '/mlflow.MlflowService/startTraceV3')(Buffer.alloc(0));
    assert.equal(unknown?.code, Status.UNIMPLEMENTED);
  });

  it('counts calls by method and status on /metrics', async () => {
    await ok(client.tracking, 'searchExperiments', { max_results: '5' });
    const exposition = await metricsRegistry.metrics();
    assert.match(
      exposition,
      /logbook_grpc_server_handled_total\{grpc_service="mlflow\.MlflowService",grpc_method="searchExperiments",grpc_code="OK"\} [1-9]/,
    );
    assert.match(
      exposition,
      /logbook_grpc_server_handled_total\{[^}]*grpc_method="getRegisteredModel",grpc_code="NOT_FOUND"\}/,
    );
  });
});
