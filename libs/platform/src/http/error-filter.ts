import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'pino';
import { ERROR_HTTP_STATUS, ErrorCode, MlflowError } from '../errors';
import { isTransientDatabaseError } from '../retry';

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message: string;
}

/** Renders every failure in MLflow's shape. Only faults of the server itself are 5xx. */
export function toMlflowError(error: unknown): MlflowError {
  if (error instanceof MlflowError) return error;
  const coded = error as { errorCode?: unknown; message?: string };
  if (coded && typeof coded.errorCode === 'string' && coded.errorCode in ERROR_HTTP_STATUS) {
    return new MlflowError(coded.errorCode as ErrorCode, coded.message ?? '');
  }
  if (
    (error as { statusCode?: number }).statusCode === 413 ||
    (error instanceof HttpException && error.getStatus() === 413)
  ) {
    return new MlflowError('INVALID_PARAMETER_VALUE', 'Request body exceeds the size limit');
  }
  if (
    (error as { statusCode?: number }).statusCode === 415 ||
    (error instanceof HttpException && error.getStatus() === 415)
  ) {
    return new MlflowError('INVALID_PARAMETER_VALUE', "Bad Request. Content-Type must be one of ['application/json']");
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    if (status === 404) return new MlflowError('ENDPOINT_NOT_FOUND', 'No API endpoint matches this request');
    if (status < 500) return new MlflowError('BAD_REQUEST', error.message);
  }
  const fastifyError = error as FastifyLikeError;
  if (fastifyError && typeof fastifyError.code === 'string' && fastifyError.code.startsWith('FST_')) {
    return fastifyRequestError(fastifyError);
  }
  if (error instanceof SyntaxError)
    return new MlflowError('INVALID_PARAMETER_VALUE', `Malformed JSON body: ${error.message}`);
  // The database restarting or failing over: nothing was applied (its transaction is gone with the
  // connection), and MLflow's clients retry a 503.
  if (isTransientDatabaseError(error)) {
    return new MlflowError('TEMPORARILY_UNAVAILABLE', 'The database is unavailable; try again');
  }
  return new MlflowError('INTERNAL_ERROR', 'Internal server error');
}

function fastifyRequestError(error: FastifyLikeError): MlflowError {
  const byCode: Record<string, [ErrorCode, string]> = {
    FST_ERR_CTP_BODY_TOO_LARGE: ['INVALID_PARAMETER_VALUE', 'Request body exceeds the size limit'],
    FST_ERR_CTP_EMPTY_JSON_BODY: ['INVALID_PARAMETER_VALUE', 'Request body is empty'],
  };
  const known = byCode[error.code ?? ''];
  if (known) return new MlflowError(known[0], known[1]);
  if ((error.statusCode ?? 500) < 500) return new MlflowError('BAD_REQUEST', error.message);
  return new MlflowError('INTERNAL_ERROR', 'Internal server error');
}

/** The client closed its connection (or was closed for stalling) before its request had fully arrived. */
const cutOff = (request: FastifyRequest) => request.raw.destroyed && !request.raw.complete;

/**
 * The MLflow error a failed request is answered with, logged as what it is: a request the client cut
 * off is no fault of the server (info, once, and a 4xx in the metrics); a 5xx is (error); any other
 * failure is the caller's and not logged.
 */
export function failureAnswer(request: FastifyRequest, exception: unknown, logger: Logger, what: string): MlflowError {
  if (cutOff(request)) {
    logger.info({ requestId: request.id, url: request.url }, 'request cut off before it was complete');
    return new MlflowError('BAD_REQUEST', 'The request was cut off before it was complete');
  }
  const error = toMlflowError(exception);
  if (error.httpStatus >= 500) logger.error({ err: exception, requestId: request.id, url: request.url }, what);
  return error;
}

/**
 * Answers a failed request on a route registered straight on Fastify (the artifact proxy, the gateway's
 * forwarding), leaving the connection fit for the next request (`settle`).
 */
export function sendFailure(
  reply: FastifyReply,
  exception: unknown,
  logger: Logger,
  settle: (request: FastifyRequest, reply: FastifyReply) => void,
): FastifyReply {
  const error = failureAnswer(reply.request, exception, logger, 'request failed');
  settle(reply.request, reply);
  return reply.status(error.httpStatus).header('content-type', 'application/json').send(JSON.stringify(error.toJSON()));
}

/**
 * A failure before such a route's handler runs (a hook refusing the query string) is answered in MLflow's
 * shape too, instead of Fastify's default 500. Nest's own routes go through MlflowErrorFilter.
 */
export function answerFailuresInMlflowShape(
  scope: FastifyInstance,
  logger: Logger,
  settle: (request: FastifyRequest, reply: FastifyReply) => void,
): void {
  scope.setErrorHandler((exception, _request, reply) => sendFailure(reply, exception, logger, settle));
}

@Catch()
export class MlflowErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const error = failureAnswer(request, exception, this.logger, 'request failed');
    void reply.status(error.httpStatus).header('content-type', 'application/json').send(JSON.stringify(error.toJSON()));
  }
}
