import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { getMetadataStorage } from 'class-validator';
import { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import {
  answerSchema,
  documentedItems,
  documentedSchema,
  ERROR_SCHEMA,
  errorResponse,
  JsonSchema,
  oneOfRequired,
} from './openapi-metadata';
import { DOUBLE_SCHEMA, enumSchema, int64Schema, INT64_BOUND, NO_NUL_PATTERN } from './openapi-schemas';
import { EXACT_INTEGER } from './validation';

type Constructor = new (...args: never[]) => unknown;
export type OpenApiOperation = JsonSchema & { operationId: string; responses: Record<string, JsonSchema> };
export type OpenApiPaths = Record<string, Record<string, OpenApiOperation>>;

/** What one service contributes to the API's OpenAPI document; the gateway merges the fragments. */
export interface OpenApiFragment {
  paths: OpenApiPaths;
  components: Record<string, JsonSchema>;
}

/** The fields naming an entity that may not exist (an operation taking one can answer 404), and what 404 says. */
export interface NotFoundFields {
  fields: Set<string>;
  description: string;
}

export type OpenApiLocation = 'path' | 'query' | 'body';

function validatorKind(rule: ValidationMetadata): string | undefined {
  return rule.name ?? (rule.constraintCls as { name?: string } | undefined)?.name;
}

/** The JSON Schema of one DTO property, read from its validators and its documented limits. */
function propertySchema(
  dto: Constructor,
  property: string,
  rules: ValidationMetadata[],
  inBody: boolean,
  components: Record<string, JsonSchema>,
): { schema: JsonSchema; required: boolean } {
  const kinds = new Set(rules.map(validatorKind));
  let documented: JsonSchema = { ...documentedSchema(dto, property) };
  const required = kinds.has('isPresent');
  const nested = rules.find((rule) => rule.type === 'nestedValidation');
  const elementDto = documentedItems(dto, property) ?? (nested ? nestedType(dto, property) : undefined);
  let schema: JsonSchema;
  if (elementDto) {
    const element = dtoSchema(elementDto, components);
    const list = kinds.has('isArray') || nested?.each || documented.type === 'array';
    schema = list ? { type: 'array', items: element } : element;
  } else if (kinds.has(EXACT_INTEGER)) {
    const { minimum, maximum, ...rest } = documented as { minimum?: number; maximum?: number };
    documented = rest;
    schema = int64Schema({ minimum, maximum }, inBody);
  } else if (kinds.has('isNumber')) {
    schema = DOUBLE_SCHEMA;
  } else if (kinds.has('isBoolean')) {
    schema = { type: 'boolean' };
  } else if (kinds.has('isIn')) {
    schema = enumSchema(rules.find((rule) => validatorKind(rule) === 'isIn')?.constraints?.[0] as string[], inBody);
  } else if (kinds.has('isArray')) {
    const item = textSchema(
      { ...(documented.items as JsonSchema | undefined) },
      false,
      inBody && acceptsNumberItems(dto, property),
    );
    delete documented.items;
    const list: JsonSchema = { type: 'array', items: item };
    schema = inBody && acceptsSingleValue(dto, property) ? { anyOf: [list, item] } : list;
  } else {
    schema = textSchema(documented, required, inBody && acceptsNumbers(dto, property));
  }
  delete documented.type;
  const described = { ...schema, ...documented };
  return { schema: inBody && skipsNull(dto, property, rules) ? nullable(described) : described, required };
}

/** Whether a field sent as null is read as absent: turned into undefined, or skipped by IsOptional. */
function skipsNull(dto: Constructor, property: string, rules: ValidationMetadata[]): boolean {
  if (transformed(dto, property, null) === undefined) return true;
  return rules.some(
    (rule) =>
      rule.type === 'conditionalValidation' &&
      !(rule.constraints[0] as (object: object, value: unknown) => boolean)({ [property]: null }, null),
  );
}

function nullable(schema: JsonSchema): JsonSchema {
  if (Array.isArray(schema.anyOf))
    return { ...schema, anyOf: schema.anyOf.map((option: JsonSchema) => nullable(option)) };
  if (schema.$ref) return { allOf: [schema], nullable: true };
  return { ...schema, nullable: true };
}

const PLAIN_TO_CLASS = 0;

/** What the request transforms of a property make of a value: how the server reads what a client sends. */
function transformed(dto: Constructor, property: string, value: unknown): unknown {
  return defaultMetadataStorage
    .findTransformMetadatas(dto, property, PLAIN_TO_CLASS)
    .reduce((current, transform) => transform.transformFn({ value: current }), value);
}

/** Experiment ids are strings on the wire, but a client may send one as a JSON number. */
const acceptsNumbers = (dto: Constructor, property: string) => transformed(dto, property, 7) === '7';
/** The same for the items of a list of ids; a lone number given for the list counts as one such item. */
const acceptsNumberItems = (dto: Constructor, property: string) =>
  (transformed(dto, property, [7]) as unknown[] | undefined)?.[0] === '7';
/** A repeated field given once is read as a list of one. */
const acceptsSingleValue = (dto: Constructor, property: string) => Array.isArray(transformed(dto, property, 'x'));

function textSchema(documented: JsonSchema, required: boolean, acceptsNumbers: boolean): JsonSchema {
  const text: JsonSchema = {
    type: 'string',
    ...(required ? { minLength: 1 } : {}),
    pattern: (documented.pattern as string | undefined) ?? NO_NUL_PATTERN,
  };
  delete documented.pattern;
  if (!acceptsNumbers) return text;
  return { anyOf: [text, { type: 'integer', minimum: 0, maximum: INT64_BOUND }] };
}

/** A component schema for a request DTO, from its class-validator decorators and documented limits. */
function dtoSchema(dto: Constructor, components: Record<string, JsonSchema>, inBody = true): JsonSchema {
  const name = inBody ? dto.name : `${dto.name}Query`;
  if (!components[name]) {
    components[name] = {};
    const rules = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
    const byProperty = new Map<string, ValidationMetadata[]>();
    for (const rule of rules) byProperty.set(rule.propertyName, [...(byProperty.get(rule.propertyName) ?? []), rule]);
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    const alternatives = oneOfRequired(dto);
    for (const [property, propertyRules] of byProperty) {
      const described = propertySchema(dto, property, propertyRules, inBody, components);
      properties[property] = described.schema;
      if (described.required && !alternatives.includes(property)) required.push(property);
    }
    const anyOf = alternatives.map((field) => ({
      required: [field],
      properties: { [field]: { type: 'string', minLength: 1 } },
    }));
    components[name] = {
      type: 'object',
      properties,
      ...(required.length > 0 ? { required } : {}),
      ...(anyOf.length > 0 ? { anyOf } : {}),
    };
  }
  return { $ref: `#/components/schemas/${name}` };
}

function nestedType(dto: Constructor, property: string): Constructor | undefined {
  return defaultMetadataStorage.findTypeMetadata(dto, property)?.typeFunction() as Constructor | undefined;
}

function toOpenApiPath(base: string, path: string): string {
  const joined = `/${[base, path].filter((p) => p && p !== '/').join('/')}`.replace(/\/+/g, '/');
  return joined.replace(/:(\w+)/g, '{$1}');
}

/** `Runs_create` for the first prefix a controller is served under, a suffix naming any other one. */
function operationIdFor(controller: Constructor, method: string, base: string, first: boolean): string {
  const id = `${controller.name.replace(/Controller$/, '')}_${method}`;
  if (first) return id;
  const suffix = [base.startsWith('ajax-api/') ? 'ajax' : '', base.includes('/3.0/') ? 'v3' : '']
    .filter(Boolean)
    .join('_');
  return `${id}_${suffix}`;
}

function queryParameters(dto: Constructor, components: Record<string, JsonSchema>): JsonSchema[] {
  dtoSchema(dto, components, false);
  const name = `${dto.name}Query`;
  const schema = components[name] as { properties: Record<string, JsonSchema>; required?: string[]; anyOf?: unknown };
  delete components[name];
  // A query string cannot say "one of these"; the canonical field is documented, its aliases are not.
  const [canonical, ...aliases] = oneOfRequired(dto);
  return Object.entries(schema.properties)
    .filter(([parameter]) => !aliases.includes(parameter))
    .map(([parameter, property]) => ({
      name: parameter,
      in: 'query',
      required: parameter === canonical || (schema.required?.includes(parameter) ?? false),
      ...(aliases.length > 0 && parameter === canonical
        ? { description: `Also accepted as ${aliases.join(', ')} (deprecated)` }
        : {}),
      schema: parameter === canonical ? { ...property, minLength: 1 } : property,
    }));
}

function operationFor(
  controller: Constructor,
  methodName: string,
  operationId: string,
  components: Record<string, JsonSchema>,
  verb: string,
  notFound: NotFoundFields,
): OpenApiOperation {
  const prototype = controller.prototype as Record<string, unknown>;
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, methodName) ?? {}) as Record<
    string,
    { index: number; data?: string }
  >;
  const types = (Reflect.getMetadata('design:paramtypes', prototype, methodName) ?? []) as Constructor[];
  const operation: OpenApiOperation = {
    operationId,
    tags: [controller.name.replace(/Controller$/, '')],
    responses: {
      '200': {
        description: 'Success',
        content: { 'application/json': { schema: answerSchema(prototype, methodName) ?? { type: 'object' } } },
      },
    },
  };
  const parameters: JsonSchema[] = [];
  for (const [key, arg] of Object.entries(args)) {
    const kind = Number(key.split(':')[0]);
    const type = types[arg.index];
    if (kind === RouteParamtypes.BODY && type && type !== Object) {
      const ref = dtoSchema(type, components);
      const schema = components[type.name] as { required?: string[]; anyOf?: unknown };
      // A body that can be left out can also be the JSON null: both read as {}.
      const optional = !schema.required && !schema.anyOf;
      operation.requestBody = {
        required: !optional,
        content: { 'application/json': { schema: optional ? nullable(ref) : ref } },
      };
    } else if (kind === RouteParamtypes.QUERY && type && type !== Object) {
      parameters.push(...queryParameters(type, components));
    } else if (kind === RouteParamtypes.PARAM) {
      parameters.push({
        name: arg.data ?? 'id',
        in: 'path',
        required: true,
        schema: { type: 'string', minLength: 1 },
      });
    }
  }
  if (parameters.length > 0) operation.parameters = parameters;
  Object.assign(operation.responses, errorResponses(operation, components, verb, notFound));
  return operation;
}

/** The fields an operation takes: its parameters and its body's top-level properties. */
export function takenFields(
  operation: JsonSchema,
  components: Record<string, JsonSchema>,
): Map<string, OpenApiLocation> {
  const fields = new Map<string, OpenApiLocation>();
  for (const parameter of (operation.parameters ?? []) as Array<{ name: string; in: OpenApiLocation }>) {
    fields.set(parameter.name, parameter.in);
  }
  const body = operation.requestBody as
    { content?: Record<string, { schema?: { $ref?: string; allOf?: Array<{ $ref?: string }> } }> } | undefined;
  const bodySchema = body?.content?.['application/json']?.schema;
  const ref = bodySchema?.$ref ?? bodySchema?.allOf?.[0]?.$ref;
  const schema = ref ? components[ref.split('/').pop()!] : undefined;
  for (const name of Object.keys((schema?.properties as object | undefined) ?? {})) fields.set(name, 'body');
  return fields;
}

function errorResponses(
  operation: JsonSchema,
  components: Record<string, JsonSchema>,
  verb: string,
  notFound: NotFoundFields,
): Record<string, JsonSchema> {
  const fields = [...takenFields(operation, components).keys()];
  const isCommand = verb !== 'get' && !String(operation.operationId).toLowerCase().includes('search');
  return {
    '400': errorResponse(400, 'Invalid input, or a state the request cannot apply to'),
    '403': errorResponse(403, 'Host header outside the allowed hosts'),
    ...(fields.some((field) => notFound.fields.has(field)) ? { '404': errorResponse(404, notFound.description) } : {}),
    ...(isCommand ? { '503': errorResponse(503, 'Too many concurrent writes to one entity; retry') } : {}),
  };
}

/**
 * The OpenAPI paths of the given Nest controllers, read from their routes, DTO validators and documented
 * answers; `schemas` are the answer schemas those refer to.
 */
export function openApiFromControllers(
  controllers: Constructor[],
  schemas: Record<string, JsonSchema>,
  notFound: NotFoundFields,
): OpenApiFragment {
  const paths: OpenApiPaths = {};
  const components: Record<string, JsonSchema> = { Error: ERROR_SCHEMA, ...schemas };
  for (const controller of controllers) {
    const bases = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, controller) as string | string[]);
    const prototype = controller.prototype as Record<string, unknown>;
    for (const methodName of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[methodName];
      if (methodName === 'constructor' || typeof handler !== 'function') continue;
      const routePath = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (routePath === undefined || method === undefined) continue;
      const verb = RequestMethod[method].toLowerCase();
      bases.forEach((base, index) => {
        const operationId = operationIdFor(controller, methodName, base, index === 0);
        (paths[toOpenApiPath(base, routePath)] ??= {})[verb] = operationFor(
          controller,
          methodName,
          operationId,
          components,
          verb,
          notFound,
        );
      });
    }
  }
  return { paths, components };
}
