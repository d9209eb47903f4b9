import { FastifyReply, FastifyRequest } from 'fastify';
import { pythonRepr } from '@logbook/access';
import { invalidParameter, missingParameter } from '@logbook/platform';

/** Where MLflow's _get_request_param reads a route's parameters: by method, and for DELETE by content type. */
export function requestParams(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  const bodyParams = body !== null && typeof body === 'object' && !Array.isArray(body) ? body : {};
  if (request.method === 'GET') return request.query as Record<string, unknown>;
  if (request.method === 'DELETE' && !isJson(request)) return request.query as Record<string, unknown>;
  return bodyParams as Record<string, unknown>;
}

/** Flask's request.is_json: application/json, or any application/*+json. */
export function isJson(request: FastifyRequest): boolean {
  const type = String(request.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** Python's int() of a JSON or query value: an integer, a bool, a float (truncated) or a decimal string. */
function pythonInt(value: unknown): number | null {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'string' && /^\s*[+-]?\d+(_\d+)*\s*$/.test(value)) return Number(value.replace(/_/g, ''));
  return null;
}

/** A username as MLflow's store looks it up: a JSON null is Python's None. */
export const usernameOf = (value: unknown): string => (value === null ? 'None' : String(value));

/** MLflow's _coerce_int_param: the value, or its Python repr in the refusal. */
export function intParam(name: string, value: unknown): number {
  const parsed = pythonInt(value);
  if (parsed === null) throw invalidParameter(`Parameter '${name}' must be an integer. Got: ${pythonRepr(value)}`);
  return parsed;
}

/**
 * A request's parameters read as MLflow's auth handlers read them (_get_request_param), one at a time in
 * the handler's order, so the first one missing or malformed is the one refused.
 */
export class RequestParams {
  constructor(
    private readonly values: Record<string, unknown>,
    private readonly fromQuery: boolean,
  ) {}

  static of(request: FastifyRequest): RequestParams {
    const fromQuery = request.method === 'GET' || (request.method === 'DELETE' && !isJson(request));
    return new RequestParams(requestParams(request), fromQuery);
  }

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  /** Present, of any type; a repeated query parameter reads as its first value, as Flask's args.get does. */
  required(name: string): unknown {
    const value = this.values[name];
    if (value === undefined) throw missingParameter(name);
    return Array.isArray(value) && this.fromQuery ? value[0] : value;
  }

  /** The value when present: MLflow's handlers read these straight from the JSON body. */
  optional(name: string): unknown {
    return this.values[name];
  }

  int(name: string): number {
    return intParam(name, this.required(name));
  }

  /** A repeatable query parameter, every value. */
  all(name: string): unknown[] {
    const value = this.values[name];
    if (value === undefined) return [];
    return Array.isArray(value) ? value : [value];
  }
}

/**
 * Flask's jsonify keeps empty lists, which the services' protobuf-style serializer leaves out. Set once the
 * answer is known: a refusal is serialised by the error filter.
 */
export function answerAsFlask(reply: FastifyReply): void {
  reply.serializer(JSON.stringify).type('application/json');
}
