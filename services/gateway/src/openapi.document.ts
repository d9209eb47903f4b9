import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { getMetadataStorage } from 'class-validator';
import { ARTIFACT_OPENAPI_PATHS } from '../../artifacts/src/artifacts.openapi';
import { ExperimentsController } from '../../tracking/src/experiments/experiments.controller';
import { LoggedModelsController } from '../../tracking/src/logged-models/logged-models.controller';
import { MetricsController } from '../../tracking/src/runs/metrics.controller';
import { RunsController } from '../../tracking/src/runs/runs.controller';

type Schema = Record<string, unknown>;
type Constructor = new (...args: never[]) => unknown;

const API_CONTROLLERS: Constructor[] = [
  ExperimentsController,
  RunsController,
  MetricsController,
  LoggedModelsController,
];

const ERROR_SCHEMA: Schema = {
  type: 'object',
  required: ['error_code', 'message'],
  properties: { error_code: { type: 'string', example: 'INVALID_PARAMETER_VALUE' }, message: { type: 'string' } },
};

/** JSON Schema of a request DTO, read from its class-validator decorators. */
function dtoSchema(dto: Constructor, components: Record<string, Schema>): Schema {
  const name = dto.name;
  if (components[name]) return { $ref: `#/components/schemas/${name}` };
  components[name] = {};
  const properties: Record<string, Schema> = {};
  const required = new Set<string>();
  const metadata = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
  for (const rule of metadata) {
    const property = (properties[rule.propertyName] ??= {});
    const kind = rule.name ?? (rule.constraintCls as { name?: string } | undefined)?.name;
    if (rule.name === 'isPresent' || kind === 'isPresent') required.add(rule.propertyName);
    if (rule.type === 'nestedValidation') {
      const nested = Reflect.getMetadata('design:type', dto.prototype, rule.propertyName) as Constructor | undefined;
      const typed = nestedType(dto, rule.propertyName) ?? nested;
      if (typed && typed !== Array) {
        const ref = dtoSchema(typed, components);
        Object.assign(property, property.type === 'array' || rule.each ? { type: 'array', items: ref } : ref);
      }
      continue;
    }
    switch (kind) {
      case 'isString':
        Object.assign(property, rule.each ? { type: 'array', items: { type: 'string' } } : { type: 'string' });
        break;
      case 'isInt':
        Object.assign(property, { type: 'integer', format: 'int64' });
        break;
      case 'isNumber':
        Object.assign(property, {
          oneOf: [{ type: 'number' }, { type: 'string', enum: ['NaN', 'Infinity', '-Infinity'] }],
        });
        break;
      case 'isBoolean':
        Object.assign(property, { type: 'boolean' });
        break;
      case 'isIn':
        Object.assign(property, { type: 'string', enum: rule.constraints?.[0] });
        break;
      case 'isArray':
        if (!property.type) Object.assign(property, { type: 'array' });
        break;
    }
  }
  components[name] = { type: 'object', properties, ...(required.size > 0 ? { required: [...required] } : {}) };
  return { $ref: `#/components/schemas/${name}` };
}

function nestedType(dto: Constructor, property: string): Constructor | undefined {
  return defaultMetadataStorage.findTypeMetadata(dto, property)?.typeFunction();
}

function toOpenApiPath(base: string, path: string): string {
  const joined = `/${[base, path].filter((p) => p && p !== '/').join('/')}`.replace(/\/+/g, '/');
  return joined.replace(/:(\w+)/g, '{$1}');
}

/** The OpenAPI 3 document of every MLflow route Logbook serves, generated from the controllers themselves. */
export function buildOpenApiDocument(): Schema {
  const paths: Record<string, Record<string, Schema>> = {};
  const components: Record<string, Schema> = { Error: ERROR_SCHEMA };
  for (const controller of API_CONTROLLERS) {
    const bases = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, controller) as string | string[]);
    const prototype = controller.prototype as Record<string, unknown>;
    for (const methodName of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[methodName];
      if (methodName === 'constructor' || typeof handler !== 'function') continue;
      const routePath = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (routePath === undefined || method === undefined) continue;
      const verb = RequestMethod[method].toLowerCase();
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, methodName) ?? {}) as Record<
        string,
        { index: number }
      >;
      const types = (Reflect.getMetadata('design:paramtypes', prototype, methodName) ?? []) as Constructor[];
      const operation: Schema = {
        operationId: `${controller.name.replace(/Controller$/, '')}_${methodName}`,
        responses: {
          '200': { description: 'Success', content: { 'application/json': { schema: { type: 'object' } } } },
          default: {
            description: 'MLflow error',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          },
        },
      };
      const parameters: Schema[] = [];
      for (const [key, arg] of Object.entries(args)) {
        const kind = Number(key.split(':')[0]);
        const type = types[arg.index];
        if (kind === RouteParamtypes.BODY && type && type !== Object) {
          operation.requestBody = {
            required: true,
            content: { 'application/json': { schema: dtoSchema(type, components) } },
          };
        } else if (kind === RouteParamtypes.QUERY && type && type !== Object) {
          const ref = dtoSchema(type, components);
          const schema = components[type.name] as { properties?: Record<string, Schema>; required?: string[] };
          for (const [name, property] of Object.entries(schema.properties ?? {})) {
            parameters.push({
              name,
              in: 'query',
              required: schema.required?.includes(name) ?? false,
              schema: property,
            });
          }
          void ref;
        } else if (kind === RouteParamtypes.PARAM) {
          const name = (arg as { data?: string }).data ?? 'id';
          parameters.push({ name, in: 'path', required: true, schema: { type: 'string' } });
        }
      }
      if (parameters.length > 0) operation.parameters = parameters;
      for (const base of bases) (paths[toOpenApiPath(base, routePath)] ??= {})[verb] = operation;
    }
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Logbook (MLflow-compatible REST API)', version: '0.1.0' },
    paths: { ...paths, ...ARTIFACT_OPENAPI_PATHS },
    components: { schemas: components },
  };
}
