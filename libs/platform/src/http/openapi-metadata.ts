import { ERROR_HTTP_STATUS } from '../errors';

/** A JSON Schema fragment, as the OpenAPI document carries it. */
export type JsonSchema = { [keyword: string]: unknown };

type Constructor = new (...args: never[]) => unknown;

const PROPERTY_SCHEMA = Symbol('openapi:property-schema');
const PROPERTY_ITEMS = Symbol('openapi:property-items');
const RESPONSE_SCHEMA = Symbol('openapi:response-schema');
const ONE_OF_REQUIRED = Symbol('openapi:one-of-required');

/**
 * Keywords the request validators cannot state themselves, for the OpenAPI document: limits that the
 * decider enforces (lengths, ranges, counts), patterns, and, for a list parsed by hand, its element DTO.
 */
export function Documented(schema: JsonSchema, items?: () => Constructor): PropertyDecorator {
  return (target, property) => {
    Reflect.defineMetadata(PROPERTY_SCHEMA, schema, target, property);
    if (items) Reflect.defineMetadata(PROPERTY_ITEMS, items, target, property);
  };
}

export function documentedSchema(dto: Constructor, property: string): JsonSchema | undefined {
  return Reflect.getMetadata(PROPERTY_SCHEMA, dto.prototype as object, property) as JsonSchema | undefined;
}

export function documentedItems(dto: Constructor, property: string): Constructor | undefined {
  const items = Reflect.getMetadata(PROPERTY_ITEMS, dto.prototype as object, property) as
    (() => Constructor) | undefined;
  return items?.();
}

/** Fields of which a request must carry at least one, non-empty; the first is the canonical one. */
export function RequiresOneOf(...fields: string[]): ClassDecorator {
  return (target) => Reflect.defineMetadata(ONE_OF_REQUIRED, fields, target);
}

export function oneOfRequired(dto: Constructor): string[] {
  return (Reflect.getMetadata(ONE_OF_REQUIRED, dto) as string[] | undefined) ?? [];
}

/** The JSON Schema of a route's 200 answer, for the OpenAPI document. */
export function Answers(schema: JsonSchema): MethodDecorator {
  return (target, method) => Reflect.defineMetadata(RESPONSE_SCHEMA, schema, target, method);
}

export function answerSchema(prototype: object, method: string): JsonSchema | undefined {
  return Reflect.getMetadata(RESPONSE_SCHEMA, prototype, method) as JsonSchema | undefined;
}

/** MLflow's error shape, the body of every refusal. */
export const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  description: "MLflow's error shape",
  required: ['error_code', 'message'],
  properties: {
    error_code: { type: 'string', enum: Object.keys(ERROR_HTTP_STATUS), example: 'INVALID_PARAMETER_VALUE' },
    message: { type: 'string' },
  },
};

/** A refusal with one status, naming the MLflow error codes that status carries. */
export function errorResponse(status: number, description: string): JsonSchema {
  const codes = Object.entries(ERROR_HTTP_STATUS)
    .filter(([, answered]) => answered === status)
    .map(([code]) => code);
  return {
    description,
    content: {
      'application/json': {
        schema: {
          allOf: [
            { $ref: '#/components/schemas/Error' },
            { type: 'object', properties: { error_code: { type: 'string', enum: codes } } },
          ],
        },
      },
    },
  };
}
