import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MlflowError } from '@logbook/platform';
import { registryCopyFolder } from './model-versions.queries';

const copy = (status: string, storageLocation: string | null = null, statusMessage: string | null = null) => ({
  status,
  storageLocation,
  statusMessage,
});

const refusal = (work: () => unknown, errorCode: string, message: RegExp) =>
  assert.throws(work, (error: unknown) => {
    assert.ok(error instanceof MlflowError);
    assert.equal(error.errorCode, errorCode);
    assert.match(error.message, message);
    return true;
  });

describe("a version's registry copy, for get-artifact", () => {
  it('is the artifact-store folder of a READY version', () => {
    assert.equal(registryCopyFolder(copy('READY', 'mlflow-artifacts:/registry/abc/3'), 'fraud', 3), 'registry/abc/3');
    assert.equal(registryCopyFolder(copy('READY', 'mlflow-artifacts:///registry/abc/3'), 'fraud', 3), 'registry/abc/3');
  });

  it('does not exist yet while the files are copied: INVALID_STATE, answered 400', () => {
    refusal(
      () => registryCopyFolder(copy('PENDING_REGISTRATION'), 'fraud', 3),
      'INVALID_STATE',
      /^Model Version \(name=fraud, version=3\) is PENDING_REGISTRATION: .* once it is READY/,
    );
  });

  it('never existed for a failed registration, whose message it repeats', () => {
    refusal(
      () => registryCopyFolder(copy('FAILED_REGISTRATION', null, 'No MLmodel file'), 'fraud', 3),
      'INVALID_STATE',
      /FAILED_REGISTRATION and has no files: No MLmodel file$/,
    );
  });

  it('does not exist for a prompt version, READY without files', () => {
    refusal(() => registryCopyFolder(copy('READY'), 'prompt', 1), 'RESOURCE_DOES_NOT_EXIST', /has no files$/);
  });
});
