/**
 * A small declarative schema for event payloads. One declaration gives the TypeScript type (Infer),
 * the runtime check (problems as `path: what is wrong`), the projection the publishers apply (only
 * declared fields leave a service) and the text of docs/events.md (types and meanings).
 */
export interface Schema<T> {
  /** The type as docs/events.md prints it. */
  readonly typeName: string;
  /** Problems of `value` against the schema, each prefixed with its path; none when it conforms. */
  check(value: unknown, path: string): string[];
  /** `value` reduced to what the schema declares: undeclared object fields are dropped. */
  pick(value: T): T;
  /** Named object types used inside, for the docs. */
  readonly namedTypes: ObjectSchema<object>[];
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function leaf<T>(typeName: string, accepts: (value: unknown) => boolean, expected: string): Schema<T> {
  return {
    typeName,
    check: (value, path) => (accepts(value) ? [] : [`${path}: must be ${expected}`]),
    pick: (value) => value,
    namedTypes: [],
  };
}

export const text: Schema<string> = leaf('string', (v) => typeof v === 'string', 'a string');
export const nonEmptyText: Schema<string> = leaf(
  'string (not empty)',
  (v) => typeof v === 'string' && v !== '',
  'a non-empty string',
);
export const integer: Schema<number> = leaf('integer', (v) => Number.isInteger(v), 'an integer');
export const nonNegativeInteger: Schema<number> = leaf(
  'integer (>= 0)',
  (v) => Number.isInteger(v) && (v as number) >= 0,
  'an integer >= 0',
);
export const finiteNumber: Schema<number> = leaf('number', (v) => Number.isFinite(v), 'a finite number');
/** Any JSON value, passed on as it is (a document the producer does not interpret, e.g. a model signature). */
export const json: Schema<unknown> = leaf('JSON', (v) => v !== undefined, 'a JSON value');

export function oneOf<const Values extends readonly string[]>(values: Values): Schema<Values[number]> {
  return leaf(
    values.map((v) => JSON.stringify(v)).join(' | '),
    (v) => typeof v === 'string' && values.includes(v),
    `one of ${values.join(', ')}`,
  );
}

export function either<A, B>(a: Schema<A>, b: Schema<B>): Schema<A | B> {
  return {
    typeName: `${a.typeName} | ${b.typeName}`,
    check: (value, path) => {
      const problems = a.check(value, path);
      return problems.length === 0 || b.check(value, path).length === 0
        ? []
        : [`${path}: must be ${a.typeName} or ${b.typeName}`];
    },
    pick: (value) => (a.check(value, '').length === 0 ? a.pick(value as A) : b.pick(value as B)),
    namedTypes: [...a.namedTypes, ...b.namedTypes],
  };
}

export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return {
    typeName: `${inner.typeName} | null`,
    check: (value, path) => (value === null ? [] : inner.check(value, path)),
    pick: (value) => (value === null ? null : inner.pick(value)),
    namedTypes: inner.namedTypes,
  };
}

export function arrayOf<T>(item: Schema<T>): Schema<T[]> {
  return {
    typeName: item.typeName.includes(' ') ? `(${item.typeName})[]` : `${item.typeName}[]`,
    check: (value, path) =>
      Array.isArray(value)
        ? value.flatMap((element, i) => item.check(element, `${path}[${i}]`))
        : [`${path}: must be an array`],
    pick: (value) => value.map((element) => item.pick(element)),
    namedTypes: item.namedTypes,
  };
}

export interface Field<T, Optional extends boolean = boolean> {
  schema: Schema<T>;
  meaning: string;
  optional: Optional;
}

export function field<T>(schema: Schema<T>, meaning: string): Field<T, false> {
  return { schema, meaning, optional: false };
}

/** A field that may be absent (never null unless its schema says so). */
export function optionalField<T>(schema: Schema<T>, meaning: string): Field<T, true> {
  return { schema, meaning, optional: true };
}

export type Fields = Record<string, Field<unknown>>;

type FieldType<F> = F extends Field<infer T> ? T : never;
type Simplify<T> = { [K in keyof T]: T[K] } & unknown;
export type ObjectOf<F extends Fields> = Simplify<
  { [K in keyof F as F[K]['optional'] extends true ? never : K]: FieldType<F[K]> } & {
    [K in keyof F as F[K]['optional'] extends true ? K : never]?: FieldType<F[K]>;
  }
>;

export interface ObjectSchema<T> extends Schema<T> {
  readonly fields: Fields;
}

/**
 * An object with the declared fields. Fields it does not declare are allowed (a consumer reads what
 * it knows, so a producer may add a field within a version) and dropped by pick.
 */
export function object<F extends Fields>(typeName: string, fields: F): ObjectSchema<ObjectOf<F>> {
  const entries = Object.entries(fields);
  const self: ObjectSchema<ObjectOf<F>> = {
    typeName,
    fields,
    check(value, path) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${path}: must be an object`];
      const record = value as Record<string, unknown>;
      return entries.flatMap(([name, { schema, optional }]) => {
        const at = path ? `${path}.${name}` : name;
        if (record[name] === undefined) return optional ? [] : [`${at}: is required`];
        return schema.check(record[name], at);
      });
    },
    pick(value) {
      const record = value as Record<string, unknown>;
      const picked: Record<string, unknown> = {};
      for (const [name, { schema }] of entries) {
        if (record[name] !== undefined) picked[name] = schema.pick(record[name]);
      }
      return picked as ObjectOf<F>;
    },
    get namedTypes() {
      return [self as ObjectSchema<object>, ...entries.flatMap(([, f]) => f.schema.namedTypes)];
    },
  };
  return self;
}
