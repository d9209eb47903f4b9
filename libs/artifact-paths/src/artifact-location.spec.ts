import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MlflowError } from '@logbook/platform';
import { checkArtifactLocation, isStoreRoot, proxiedRoot } from './artifact-location';

describe('checkArtifactLocation', () => {
  it('accepts the locations MLflow clients use', () => {
    for (const location of [
      'mlflow-artifacts:',
      'mlflow-artifacts:/1',
      'mlflow-artifacts:/team/churn/',
      'mlflow-artifacts://tracking.example.com:5000/team/churn',
      's3://bucket',
      's3://bucket/prefix/1',
      'gs://bucket/a..b/v1.2',
      'file:///var/mlruns/1',
      '/mnt/shared/mlruns',
      './mlruns',
      'mlruns/1',
      'C:/mlruns/1',
      'file:///C:/mlruns/1',
    ]) {
      assert.doesNotThrow(() => checkArtifactLocation(location), location);
    }
  });

  it('refuses what the artifact path gatekeeper refuses, under any scheme, with 400 INVALID_PARAMETER_VALUE', () => {
    for (const location of [
      'mlflow-artifacts:/../../../../../canary',
      'mlflow-artifacts:/1/../../canary',
      'mlflow-artifacts://host:5000/../canary',
      'mlflow-artifacts:/%2e%2e/%2e%2e/canary',
      'mlflow-artifacts:/%252e%252e%252fcanary',
      'mlflow-artifacts:/..%5c..%5ccanary',
      'mlflow-artifacts:/\uff0e\uff0e/canary',
      'mlflow-artifacts:/a\u0000b',
      's3://bucket/../other-prefix',
      'file:///var/mlruns/../../etc',
      '/mnt/shared/../../etc',
      '../mlruns',
      'C:\\mlruns\\..\\x',
    ]) {
      assert.throws(
        () => checkArtifactLocation(location),
        (error: unknown) =>
          error instanceof MlflowError &&
          error.httpStatus === 400 &&
          error.errorCode === 'INVALID_PARAMETER_VALUE' &&
          error.message.startsWith(`Invalid artifact location '${location}'`),
        JSON.stringify(location),
      );
    }
  });
});

describe('proxiedRoot', () => {
  it('is the normalized path of a mlflow-artifacts: location, with or without an authority', () => {
    assert.deepEqual(proxiedRoot('mlflow-artifacts:/1/abc/artifacts'), { root: '1/abc/artifacts' });
    assert.deepEqual(proxiedRoot('mlflow-artifacts://host:5000/1/abc/artifacts'), { root: '1/abc/artifacts' });
    assert.deepEqual(proxiedRoot('mlflow-artifacts:/team//churn/abc/artifacts'), { root: 'team/churn/abc/artifacts' });
    assert.deepEqual(proxiedRoot('MLFLOW-ARTIFACTS:/1/abc/artifacts'), { root: '1/abc/artifacts' });
  });

  it('is undefined for locations that clients write to themselves', () => {
    for (const uri of ['s3://bucket/1/abc/artifacts', 'file:///mlruns/1/abc/artifacts', '/mlruns/1/abc/artifacts']) {
      assert.equal(proxiedRoot(uri), undefined, uri);
    }
  });

  it('marks a location the gatekeeper refuses as invalid instead of throwing (stored before locations were checked)', () => {
    const uri = 'mlflow-artifacts:/../../../../../canary/abc/artifacts';
    assert.deepEqual(proxiedRoot(uri), { invalid: uri });
    assert.equal(isStoreRoot(uri), false);
  });
});

describe('isStoreRoot', () => {
  it('holds for normalized roots only', () => {
    assert.equal(isStoreRoot('1/abc/artifacts'), true);
    for (const root of ['../canary/abc/artifacts', '1//abc', '/1/abc', 'mlflow-artifacts:/1/abc']) {
      assert.equal(isStoreRoot(root), false, root);
    }
  });
});
