import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Root, Type } from 'protobufjs';
import { restJson } from './rest-json';

const root = new Root();
root.resolvePath = (_origin, target) =>
  join(__dirname, '..', '..', '..', '..', '..', 'libs', 'contracts', 'proto', target);
root.loadSync(['mlflow/service.proto', 'mlflow/model_registry.proto'], { keepCase: true });
root.resolveAll();

/** The message as a client sends it, decoded as the endpoint decodes it. */
const roundTrip = (typeName: string, fields: Record<string, unknown>) => {
  const type = root.lookupType(typeName) as Type;
  return restJson(type, type.decode(type.encode(type.fromObject(fields)).finish()));
};

describe('a request message as the JSON its REST route takes', () => {
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
});
