import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from 'protobufjs';
import { MlflowError } from '../errors';
import { parseProtobufBody, protobufContentType, protobufTypes } from './protobuf-body';

const encoded = (typeName: string, fields: Record<string, unknown>) => {
  const type = protobufTypes().root.lookupType(typeName) as Type;
  return Buffer.from(type.encode(type.fromObject(fields)).finish());
};

/** The message as a client sends it, parsed as its route parses the body. */
const roundTrip = (typeName: string, fields: Record<string, unknown>) =>
  parseProtobufBody(protobufContentType(typeName), encoded(typeName, fields));

const refusal = (errorCode: string, message: RegExp) => (error: unknown) =>
  error instanceof MlflowError && error.errorCode === errorCode && message.test(error.message);

describe('a protobuf request body as the JSON its route takes', () => {
  it('keeps only the fields that were set, nested and repeated ones included', () => {
    assert.deepEqual(roundTrip('mlflow.LogBatch', { run_id: 'r1', metrics: [{ key: 'loss', value: 0.5 }] }), {
      run_id: 'r1',
      metrics: [{ key: 'loss', value: 0.5 }],
    });
    assert.deepEqual(roundTrip('mlflow.SearchRuns', {}), {});
  });

  it('writes non-finite doubles as protobuf JSON strings, and a set zero or false as given', () => {
    const json = roundTrip('mlflow.LogBatch', {
      run_id: 'r1',
      metrics: [NaN, Infinity, -Infinity, 0].map((value) => ({ key: 'm', value, step: 0 })),
    });
    assert.deepEqual(
      (json.metrics as { value: unknown; step: unknown }[]).map((metric) => [metric.value, metric.step]),
      [
        ['NaN', 0],
        ['Infinity', 0],
        ['-Infinity', 0],
        [0, 0],
      ],
    );
    assert.deepEqual(roundTrip('mlflow.TransitionModelVersionStage', { archive_existing_versions: false }), {
      archive_existing_versions: false,
    });
  });

  it('gives an int64 as a number where a double holds it exactly, else as its exact decimal string', () => {
    const json = roundTrip('mlflow.LogMetric', { timestamp: '9007199254740991', step: '9007199254740993' });
    assert.deepEqual(json, { timestamp: 9007199254740991, step: '9007199254740993' });
    assert.deepEqual(roundTrip('mlflow.LogMetric', { step: '-5' }), { step: -5 });
  });

  it('names enum values', () => {
    assert.deepEqual(roundTrip('mlflow.SearchRuns', { run_view_type: 'ALL' }), { run_view_type: 'ALL' });
  });

  it('takes the message named by the content type, in any letter case, quoted or not', () => {
    const bytes = encoded('mlflow.CreateExperiment', { name: 'x' });
    assert.deepEqual(parseProtobufBody('application/x-protobuf; MessageType="mlflow.CreateExperiment"', bytes), {
      name: 'x',
    });
  });

  it('refuses a body whose message is not named, or is not a request of a Logbook service', () => {
    const bytes = encoded('mlflow.CreateExperiment', { name: 'x' });
    assert.throws(() => parseProtobufBody('application/x-protobuf', bytes), refusal('BAD_REQUEST', /messageType=/));
    assert.throws(
      () => parseProtobufBody(protobufContentType('mlflow.Metric'), bytes),
      refusal('BAD_REQUEST', /mlflow\.Metric is not one/),
    );
  });

  it('refuses bytes that are not the message, and strings Postgres cannot store', () => {
    assert.throws(
      () => parseProtobufBody(protobufContentType('mlflow.CreateExperiment'), Buffer.from([0xff, 0xff, 0xff])),
      refusal('MALFORMED_REQUEST', /not a valid mlflow\.CreateExperiment message/),
    );
    assert.throws(
      () => roundTrip('mlflow.CreateExperiment', { name: 'a\u0000b' }),
      refusal('INVALID_PARAMETER_VALUE', /name/),
    );
  });
});
