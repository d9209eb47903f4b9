import { Metadata, status as Status } from '@grpc/grpc-js';
import { Root } from 'protobufjs';

/** MLflow's error codes as gRPC status codes; a code not named here is mapped by its HTTP status. */
const STATUS_OF_ERROR_CODE: Record<string, Status> = {
  INVALID_PARAMETER_VALUE: Status.INVALID_ARGUMENT,
  BAD_REQUEST: Status.INVALID_ARGUMENT,
  MALFORMED_REQUEST: Status.INVALID_ARGUMENT,
  INVALID_STATE: Status.FAILED_PRECONDITION,
  RESOURCE_DOES_NOT_EXIST: Status.NOT_FOUND,
  ENDPOINT_NOT_FOUND: Status.NOT_FOUND,
  RESOURCE_ALREADY_EXISTS: Status.ALREADY_EXISTS,
  PERMISSION_DENIED: Status.PERMISSION_DENIED,
  UNAUTHENTICATED: Status.UNAUTHENTICATED,
  RESOURCE_EXHAUSTED: Status.RESOURCE_EXHAUSTED,
  REQUEST_LIMIT_EXCEEDED: Status.RESOURCE_EXHAUSTED,
  NOT_IMPLEMENTED: Status.UNIMPLEMENTED,
  TEMPORARILY_UNAVAILABLE: Status.UNAVAILABLE,
  ABORTED: Status.ABORTED,
  DEADLINE_EXCEEDED: Status.DEADLINE_EXCEEDED,
  INTERNAL_ERROR: Status.INTERNAL,
};

const STATUS_OF_HTTP_STATUS: Record<number, Status> = {
  400: Status.INVALID_ARGUMENT,
  401: Status.UNAUTHENTICATED,
  403: Status.PERMISSION_DENIED,
  404: Status.NOT_FOUND,
  405: Status.UNIMPLEMENTED,
  409: Status.ABORTED,
  413: Status.RESOURCE_EXHAUSTED,
  429: Status.RESOURCE_EXHAUSTED,
  501: Status.UNIMPLEMENTED,
  503: Status.UNAVAILABLE,
  504: Status.DEADLINE_EXCEEDED,
};

/** The error code MLflow would put in the body of an HTTP status, for answers that carry none. */
const ERROR_CODE_OF_HTTP_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'ENDPOINT_NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  503: 'TEMPORARILY_UNAVAILABLE',
};

export function grpcStatusOf(errorCode: string, httpStatus: number): Status {
  return (
    STATUS_OF_ERROR_CODE[errorCode] ??
    STATUS_OF_HTTP_STATUS[httpStatus] ??
    (httpStatus >= 500 ? Status.INTERNAL : Status.UNKNOWN)
  );
}

/** Where the error code travels in the trailers, for clients that read metadata rather than status details. */
export const ERROR_CODE_TRAILER = 'mlflow-error-code';
/** The standard trailer for a google.rpc.Status (gRPC's richer error model). */
const STATUS_DETAILS_TRAILER = 'grpc-status-details-bin';
/** ErrorInfo's domain: MLflow's error codes. */
export const ERROR_DOMAIN = 'mlflow.org';

/** google.rpc.Status and google.rpc.ErrorInfo, as published with gRPC's richer error model. */
const richErrors = Root.fromJSON({
  nested: {
    google: {
      nested: {
        protobuf: {
          nested: { Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } } },
        },
        rpc: {
          nested: {
            Status: {
              fields: {
                code: { type: 'int32', id: 1 },
                message: { type: 'string', id: 2 },
                details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 },
              },
            },
            ErrorInfo: {
              fields: {
                reason: { type: 'string', id: 1 },
                domain: { type: 'string', id: 2 },
              },
            },
          },
        },
      },
    },
  },
});
const StatusMessage = richErrors.lookupType('google.rpc.Status');
const ErrorInfoMessage = richErrors.lookupType('google.rpc.ErrorInfo');

/** What grpc-js sends as a call's status when a handler fails with it. */
export interface GrpcFailure {
  code: Status;
  details: string;
  metadata: Metadata;
}

/**
 * A failure in MLflow's terms as a gRPC status: the mapped code, MLflow's message as the status message,
 * and MLflow's error code both as a trailer and as a google.rpc.ErrorInfo in the status details.
 */
export function mlflowFailure(errorCode: string, message: string, httpStatus: number): GrpcFailure {
  const code = grpcStatusOf(errorCode, httpStatus);
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_TRAILER, errorCode);
  const errorInfo = ErrorInfoMessage.encode(
    ErrorInfoMessage.fromObject({ reason: errorCode, domain: ERROR_DOMAIN }),
  ).finish();
  const details = StatusMessage.encode(
    StatusMessage.fromObject({
      code,
      message,
      details: [{ type_url: 'type.googleapis.com/google.rpc.ErrorInfo', value: errorInfo }],
    }),
  ).finish();
  metadata.set(STATUS_DETAILS_TRAILER, Buffer.from(details));
  return { code, details: message, metadata };
}

/** The failure a REST answer that is not 200 stands for; its body is MLflow's {error_code, message} when it has one. */
export function failureOfRestAnswer(httpStatus: number, body: unknown): GrpcFailure {
  const answer = (body ?? {}) as { error_code?: unknown; message?: unknown };
  const errorCode =
    typeof answer.error_code === 'string'
      ? answer.error_code
      : (ERROR_CODE_OF_HTTP_STATUS[httpStatus] ?? 'INTERNAL_ERROR');
  const message = typeof answer.message === 'string' ? answer.message : `HTTP ${httpStatus}`;
  return mlflowFailure(errorCode, message, httpStatus);
}
