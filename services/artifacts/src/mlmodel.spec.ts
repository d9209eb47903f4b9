import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summarizeMlModel } from './mlmodel';

const PYFUNC_MLMODEL = `artifact_path: model
flavors:
  python_function:
    cloudpickle_version: 3.1.1
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.pyfunc.model
    python_model: python_model.pkl
    python_version: 3.11.7
mlflow_version: 3.17.2
model_id: m-0123456789abcdef
model_size_bytes: 1234
model_uuid: 0f1e2d3c
run_id: 4b5a69788796a5b4c3d2e1f0
saved_input_example_info:
  artifact_path: input_example.json
  type: dataframe
  pandas_orient: split
signature:
  inputs: '[{"type": "double", "name": "x", "required": true}]'
  outputs: '[{"type": "double", "required": true}]'
  params: null
utc_time_created: '2026-11-26 16:00:00.000000'
`;

describe('MLmodel summary', () => {
  it('records flavors, signature, input example and provenance of a pyfunc model', () => {
    assert.deepEqual(summarizeMlModel(PYFUNC_MLMODEL), {
      flavors: ['python_function'],
      signature: {
        inputs: [{ type: 'double', name: 'x', required: true }],
        outputs: [{ type: 'double', required: true }],
        params: null,
      },
      inputExample: 'input_example.json',
      modelId: 'm-0123456789abcdef',
      runId: '4b5a69788796a5b4c3d2e1f0',
      mlflowVersion: '3.17.2',
      createdAt: '2026-11-26 16:00:00.000000',
    });
  });

  it('lists every flavor of a multi-flavor model and allows a missing signature', () => {
    const summary = summarizeMlModel('flavors:\n  sklearn: {pickled_model: model.pkl}\n  python_function: {}\n');
    assert.deepEqual(summary?.flavors, ['python_function', 'sklearn']);
    assert.equal(summary?.signature, null);
    assert.equal(summary?.inputExample, null);
  });

  it('is not a model without flavors, or when the file is not YAML', () => {
    assert.equal(summarizeMlModel('artifact_path: model\n'), undefined);
    assert.equal(summarizeMlModel('flavors: [a, b]\n'), undefined);
    assert.equal(summarizeMlModel('{{{ not yaml'), undefined);
    assert.equal(summarizeMlModel(''), undefined);
  });

  it('refuses alias bombs instead of expanding them', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
      .concat(
        Array.from(
          { length: 8 },
          (_, i) =>
            `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
              .fill(`*${String.fromCharCode(97 + i)}`)
              .join(', ')}]`,
        ),
      )
      .concat(['flavors: {python_function: {}}'])
      .join('\n');
    assert.equal(summarizeMlModel(bomb), undefined);
  });
});
