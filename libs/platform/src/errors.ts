/** MLflow's error codes and the HTTP status MLflow answers each with. */
export const ERROR_HTTP_STATUS = {
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  MALFORMED_REQUEST: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  INVALID_STATE: 400,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  NOT_IMPLEMENTED: 501,
  TEMPORARILY_UNAVAILABLE: 503,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL_ERROR: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_HTTP_STATUS;

/**
 * Every failure a caller can cause is one of these; a single filter renders it as
 * `{"error_code", "message"}` with MLflow's status. INVALID_STATE is answered with 400, not MLflow's
 * 500: the client retries 5xx for minutes and then loses the error code.
 */
export class MlflowError extends Error {
  constructor(
    readonly errorCode: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MlflowError';
  }

  get httpStatus(): number {
    return ERROR_HTTP_STATUS[this.errorCode];
  }

  toJSON(): { error_code: ErrorCode; message: string } {
    return { error_code: this.errorCode, message: this.message };
  }
}

export const invalidParameter = (message: string) => new MlflowError('INVALID_PARAMETER_VALUE', message);
export const notFound = (message: string) => new MlflowError('RESOURCE_DOES_NOT_EXIST', message);
export const alreadyExists = (message: string) => new MlflowError('RESOURCE_ALREADY_EXISTS', message);
