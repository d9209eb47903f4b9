import { Enum, Field, Message, Type } from 'protobufjs';

/** An int64 as protobuf JSON carries it: a number where a double holds it exactly, else its decimal string. */
function int64(value: unknown): number | string {
  if (typeof value === 'number') return value;
  const long = value as { toNumber(): number; toString(): string };
  const number = long.toNumber();
  return Number.isSafeInteger(number) ? number : long.toString();
}

type Convert = (value: unknown) => unknown;

const asIs: Convert = (value) => value;
// Protobuf JSON writes a double that is not finite as a string; JSON.stringify would write null.
const double: Convert = (value) => (Number.isFinite(value) ? value : String(value));
const bytes: Convert = (value) => Buffer.from(value as Uint8Array).toString('base64');

function valueConverter(field: Field): Convert {
  const type = field.resolvedType;
  if (type instanceof Type) return (value) => restJson(type, value as Message);
  if (type instanceof Enum) return (value) => type.valuesById[value as number] ?? value;
  switch (field.type) {
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return int64;
    case 'double':
    case 'float':
      return double;
    case 'bytes':
      return bytes;
    default:
      return asIs;
  }
}

function fieldConverter(field: Field): Convert | undefined {
  const value = valueConverter(field);
  if (field.map) {
    return (entries) =>
      Object.fromEntries(Object.entries(entries as Record<string, unknown>).map(([key, item]) => [key, value(item)]));
  }
  if (field.repeated) {
    // Protobuf JSON, as MLflow writes it, leaves out a repeated field without items.
    return (items) => ((items as unknown[]).length > 0 ? (items as unknown[]).map(value) : undefined);
  }
  return value;
}

/** Each message type's field converters by field name, built once: a batch converts thousands of messages. */
const converters = new WeakMap<Type, Map<string, Convert | undefined>>();

function convertersOf(type: Type): Map<string, Convert | undefined> {
  let byName = converters.get(type);
  if (!byName) {
    byName = new Map(type.fieldsArray.map((field) => [field.name, fieldConverter(field)]));
    converters.set(type, byName);
  }
  return byName;
}

/**
 * A decoded message as MLflow's REST API takes it (protobuf JSON under the declared field names), holding only
 * the fields that were set (proto2 presence: protobufjs sets those on the message itself, defaults live on its
 * prototype). It replaces proto-loader's conversion, which turns every int64 into a string through a Long and
 * costs twice the CPU on a batch of metrics; an int64 beyond 2^53 stays an exact string, which the REST layer
 * refuses rather than round.
 */
export function restJson(type: Type, message: Message): Record<string, unknown> {
  const byName = convertersOf(type);
  const json: Record<string, unknown> = {};
  for (const name of Object.keys(message)) {
    const convert = byName.get(name);
    const value = (message as unknown as Record<string, unknown>)[name];
    if (convert === undefined || value === undefined || value === null) continue;
    const converted = convert(value);
    if (converted !== undefined) json[name] = converted;
  }
  return json;
}
