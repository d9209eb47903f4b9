import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status as Status } from '@grpc/grpc-js';
import { Root } from 'protobufjs';
import { ERROR_CODE_TRAILER, ERROR_DOMAIN, failureOfRestAnswer, grpcStatusOf } from './grpc-status';

/** How a client reads the status details: google.rpc.Status and ErrorInfo, declared here on their own. */
const clientSide = Root.fromJSON({
  nested: {
    Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
    Status: {
      fields: {
        code: { type: 'int32', id: 1 },
        message: { type: 'string', id: 2 },
        details: { rule: 'repeated', type: 'Any', id: 3 },
      },
    },
    ErrorInfo: { fields: { reason: { type: 'string', id: 1 }, domain: { type: 'string', id: 2 } } },
  },
});

describe("MLflow's errors as gRPC statuses", () => {
  it('maps the error codes the issue names', () => {
    assert.equal(grpcStatusOf('INVALID_PARAMETER_VALUE', 400), Status.INVALID_ARGUMENT);
    assert.equal(grpcStatusOf('RESOURCE_DOES_NOT_EXIST', 404), Status.NOT_FOUND);
    assert.equal(grpcStatusOf('RESOURCE_ALREADY_EXISTS', 400), Status.ALREADY_EXISTS);
    assert.equal(grpcStatusOf('PERMISSION_DENIED', 403), Status.PERMISSION_DENIED);
    assert.equal(grpcStatusOf('UNAUTHENTICATED', 401), Status.UNAUTHENTICATED);
    assert.equal(grpcStatusOf('TEMPORARILY_UNAVAILABLE', 503), Status.UNAVAILABLE);
    assert.equal(grpcStatusOf('RESOURCE_EXHAUSTED', 429), Status.RESOURCE_EXHAUSTED);
    assert.equal(grpcStatusOf('INVALID_STATE', 400), Status.FAILED_PRECONDITION);
  });

  it('maps a code it does not know by the HTTP status', () => {
    assert.equal(grpcStatusOf('SOMETHING_NEW', 404), Status.NOT_FOUND);
    assert.equal(grpcStatusOf('SOMETHING_NEW', 502), Status.INTERNAL);
    assert.equal(grpcStatusOf('SOMETHING_NEW', 418), Status.UNKNOWN);
  });

  it("carries MLflow's code and message in the status, a trailer and an ErrorInfo", () => {
    const failure = failureOfRestAnswer(404, {
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: 'Registered Model with name=churn not found',
    });
    assert.equal(failure.code, Status.NOT_FOUND);
    assert.equal(failure.details, 'Registered Model with name=churn not found');
    assert.deepEqual(failure.metadata.get(ERROR_CODE_TRAILER), ['RESOURCE_DOES_NOT_EXIST']);
    const [bytes] = failure.metadata.get('grpc-status-details-bin') as Buffer[];
    const details = clientSide.lookupType('Status').toObject(clientSide.lookupType('Status').decode(bytes)) as {
      code: number;
      message: string;
      details: { type_url: string; value: Uint8Array }[];
    };
    assert.equal(details.code, Status.NOT_FOUND);
    assert.equal(details.message, failure.details);
    assert.equal(details.details[0].type_url, 'type.googleapis.com/google.rpc.ErrorInfo');
    const errorInfo = clientSide
      .lookupType('ErrorInfo')
      .toObject(clientSide.lookupType('ErrorInfo').decode(details.details[0].value));
    assert.deepEqual(errorInfo, { reason: 'RESOURCE_DOES_NOT_EXIST', domain: ERROR_DOMAIN });
  });

  it('names an answer without an MLflow body by its HTTP status', () => {
    const failure = failureOfRestAnswer(503, 'not json');
    assert.equal(failure.code, Status.UNAVAILABLE);
    assert.deepEqual(failure.metadata.get(ERROR_CODE_TRAILER), ['TEMPORARILY_UNAVAILABLE']);
    assert.equal(failure.details, 'HTTP 503');
  });
});
