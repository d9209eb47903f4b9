import { applyDecorators, PipeTransform } from '@nestjs/common';
import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsNumber,
  IsOptional,
  IsString,
  ValidateNested,
  ValidationError,
  validateSync,
  ValidationOptions,
  registerDecorator,
  getMetadataStorage,
} from 'class-validator';
import { invalidParameter } from '../errors';
import { LiteralLookup, numberLiteralsOf, pythonJson, pythonTypeName } from './python-json';

const HELP = 'See the API docs for more information about request parameters.';

/** A field MLflow marks required: absent, null and "" are all missing. */
function IsPresent(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isPresent',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: { validate: (value: unknown) => value !== undefined && value !== null && value !== '' },
    });
}

/** int64 fields arrive as JSON numbers or numeric strings (protobuf JSON); query strings are always strings. */
export function coerceInt64(value: unknown): unknown {
  return typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
}

/**
 * Logbook keeps integers as JavaScript numbers end to end, so an int64 is taken only where a double holds
 * it exactly: beyond ±(2^53 − 1) JSON.parse has already rounded it, and storing the rounded value would
 * silently change the caller's data.
 */
export const isExactInteger = (value: unknown): value is number => Number.isSafeInteger(value);

export function integerOutOfRange(path: string) {
  return invalidParameter(
    `Invalid value for parameter '${path}' supplied: integers must lie between ${-Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}. ${HELP}`,
  );
}

/** The validator name int64 fields carry, by which the OpenAPI document recognises them. */
export const EXACT_INTEGER = 'isExactInteger';

function IsExactInteger(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: EXACT_INTEGER,
      target: target.constructor,
      propertyName: propertyName as string,
      validator: { validate: (value: unknown) => isExactInteger(value) },
    });
}

/** Doubles may be the protobuf JSON strings "NaN", "Infinity" and "-Infinity". */
export function coerceDouble(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  return /^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(value) ? Number(value) : value;
}

const toInteger = Transform(({ value }) => coerceInt64(value));
const toDouble = Transform(({ value }) => coerceDouble(value));

const toBoolean = Transform(({ value }) => {
  if (typeof value !== 'string') return value;
  const lower = value.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : value;
});

/** A repeated field given once in a query string arrives as a plain string. */
const toArray = Transform(({ value }) =>
  value === undefined || value === null || Array.isArray(value) ? value : [value],
);

type Presence = 'required' | 'optional';

/** Protobuf JSON, which MLflow speaks, reads a field sent as null as a field left out. */
const nullAsAbsent = Transform(({ value }) => (value === null ? undefined : value));

const presence = (mode: Presence) => (mode === 'required' ? IsPresent() : applyDecorators(nullAsAbsent, IsOptional()));

export const StringField = (mode: Presence = 'optional') => applyDecorators(presence(mode), IsString());
export const Int64Field = (mode: Presence = 'optional') => applyDecorators(presence(mode), toInteger, IsExactInteger());
export const DoubleField = (mode: Presence = 'optional') =>
  applyDecorators(presence(mode), toDouble, IsNumber({ allowNaN: true, allowInfinity: true }));
export const BooleanField = (mode: Presence = 'optional') => applyDecorators(presence(mode), toBoolean, IsBoolean());
export const StringListField = (mode: Presence = 'optional') =>
  applyDecorators(presence(mode), toArray, IsArray(), IsString({ each: true }));

/**
 * Experiment ids are strings on the wire but clients may send numbers, which MLflow stringifies. A number
 * JSON.parse could not hold exactly stays a number, refused as not a string: it names another id.
 */
const idString = (value: unknown) => (isExactInteger(value) ? String(value) : value);
const toIdString = Transform(({ value }) => (Array.isArray(value) ? value.map(idString) : idString(value)));
export const IdField = (mode: Presence = 'optional') => applyDecorators(presence(mode), toIdString, IsString());
export const IdListField = (mode: Presence = 'optional') =>
  applyDecorators(presence(mode), toArray, toIdString, IsArray(), IsString({ each: true }));

/** Enums are accepted by name or by number, and normalised to the name. */
export function EnumField(values: readonly string[], mode: Presence = 'optional') {
  const byNumber = new Map<number, string>();
  values.forEach((name, index) => byNumber.set(index + 1, name));
  return applyDecorators(
    presence(mode),
    Transform(({ value }) => {
      const numeric = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
      return typeof numeric === 'number' ? (byNumber.get(numeric) ?? value) : value;
    }),
    IsIn(values as string[]),
  );
}

export function NestedListField(type: () => new () => object, mode: Presence = 'optional') {
  return applyDecorators(presence(mode), IsArray(), ValidateNested({ each: true }), Type(type));
}

export function NestedField(type: () => new () => object, mode: Presence = 'optional') {
  return applyDecorators(presence(mode), ValidateNested(), Type(type));
}

export const missingParameter = (path: string) =>
  invalidParameter(`Missing value for required parameter '${path}'. ${HELP}`);

/** MLflow's invalid_value: the value as Python's json.dumps prints it, and its Python type. */
export function invalidValue(path: string, value: unknown, literalAt?: LiteralLookup) {
  return invalidParameter(
    `Invalid value ${pythonJson(value, literalAt, path)} for parameter '${path}' supplied:  Hint: Value was of type '${pythonTypeName(value, literalAt?.(path))}'. ${HELP}`,
  );
}

const declarationOrders = new WeakMap<object, string[]>();

/**
 * MLflow checks a request's fields in its schema's order, where the run reference comes first;
 * class-validator lists a class's own fields before inherited ones, so fields are ordered from the
 * base class down.
 */
function declarationOrder(type: new () => object): string[] {
  let order = declarationOrders.get(type);
  if (!order) {
    const metadata = getMetadataStorage().getTargetValidationMetadatas(type, '', true, false);
    const chain: unknown[] = [];
    for (let cls: unknown = type; typeof cls === 'function' && cls !== Function.prototype;) {
      chain.unshift(cls);
      cls = Object.getPrototypeOf(cls);
    }
    order = [...new Set(chain.flatMap((cls) => metadata.filter((m) => m.target === cls).map((m) => m.propertyName)))];
    declarationOrders.set(type, order);
  }
  return order;
}

function firstProblem(errors: ValidationError[], literalAt: LiteralLookup | undefined, prefix = ''): Error | undefined {
  for (const error of errors) {
    const path = prefix
      ? `${prefix}${/^\d+$/.test(error.property) ? `[${error.property}]` : `.${error.property}`}`
      : error.property;
    if (error.constraints) {
      if ('isPresent' in error.constraints) return missingParameter(path);
      if (EXACT_INTEGER in error.constraints && Number.isInteger(error.value)) {
        return integerOutOfRange(path);
      }
      return invalidValue(path, error.value, literalAt);
    }
    const nested = firstProblem(error.children ?? [], literalAt, path);
    if (nested) return nested;
  }
  return undefined;
}

type BulkParser = (value: unknown) => unknown;
const BULK_FIELDS = new Map<object, Map<string, BulkParser>>();

/**
 * A field parsed by a function of its own, which throws MLflow's message for the first problem, and
 * left out of class-transformer: a volume path (log-batch's thousand metrics) that class-transformer
 * would otherwise walk element by element, about a sixth of tracking's ingest CPU.
 */
export function BulkField(parse: BulkParser): PropertyDecorator {
  return (target, propertyName) => {
    const fields = BULK_FIELDS.get(target.constructor) ?? new Map<string, BulkParser>();
    BULK_FIELDS.set(target.constructor, fields.set(propertyName as string, parse));
  };
}

function bulkFieldsOf(type: object): [string, BulkParser][] {
  const fields: [string, BulkParser][] = [];
  for (let at = type; at !== Function.prototype && at; at = Object.getPrototypeOf(at) as object) {
    fields.push(...(BULK_FIELDS.get(at) ?? []));
  }
  return fields;
}

/** Validates a request DTO and answers MLflow's INVALID_PARAMETER_VALUE with its wording. */
export function parseRequest<T extends object>(type: new () => T, raw: unknown): T {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw invalidParameter(`Invalid request body: expected a JSON object. ${HELP}`);
  }
  const bulk = bulkFieldsOf(type);
  const plain: Record<string, unknown> = bulk.length > 0 ? { ...raw } : (raw as Record<string, unknown>);
  const parsed = bulk.map(([name, parse]): [string, unknown] => {
    delete plain[name];
    return [name, parse((raw as Record<string, unknown>)[name])];
  });
  const instance = plainToInstance(type, plain);
  const errors = validateSync(instance, { forbidUnknownValues: false });
  if (errors.length === 0) return withParsed(instance, parsed);
  const order = declarationOrder(type);
  const rank = (error: ValidationError) => {
    const index = order.indexOf(error.property);
    return index < 0 ? order.length : index;
  };
  const problem = firstProblem(
    [...errors].sort((a, b) => rank(a) - rank(b)),
    numberLiteralsOf(raw),
  );
  if (problem) throw problem;
  return withParsed(instance, parsed);
}

function withParsed<T extends object>(instance: T, parsed: [string, unknown][]): T {
  for (const [name, value] of parsed) if (value !== undefined) (instance as Record<string, unknown>)[name] = value;
  return instance;
}

/** Nest pipe form of parseRequest, bound to the DTO type of the parameter. */
export class MlflowValidationPipe implements PipeTransform {
  transform(value: unknown, metadata: { metatype?: unknown; type: string }): unknown {
    if (metadata.type !== 'body' && metadata.type !== 'query') return value;
    const metatype = metadata.metatype as (new () => object) | undefined;
    if (!metatype || metatype === Object) return value;
    return parseRequest(metatype, value ?? {});
  }
}
