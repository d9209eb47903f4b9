import { Enum, Field, Message, Type } from 'protobufjs';

/** An int64 as protobuf JSON carries it: a number where a double holds it exactly, else its decimal string. */
function int64(value: unknown): number | string {
  if (typeof value === 'number') return value;
  const long = value as { toNumber(): number; toString(): string };
  const number = long.toNumber();
  return Number.isSafeInteger(number) ? number : long.toString();
}

function fieldValue(field: Field, value: unknown): unknown {
  const type = field.resolvedType;
  if (type instanceof Type) return restJson(type, value as Message);
  if (type instanceof Enum) return type.valuesById[value as number] ?? value;
  switch (field.type) {
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return int64(value);
    case 'double':
    case 'float':
      // Protobuf JSON writes a double that is not finite as a string; JSON.stringify would write null.
      return Number.isFinite(value) ? value : String(value);
    case 'bytes':
      return Buffer.from(value as Uint8Array).toString('base64');
    default:
      return value;
  }
}

/**
 * A decoded message as MLflow's REST API takes it (protobuf JSON under the declared field names), holding only
 * the fields that were set (proto2 presence), ready for JSON.stringify. Written for the request path: it
 * replaces proto-loader's conversion, which turns every int64 into a string through a Long and costs twice
 * the CPU on a batch of metrics; an int64 beyond 2^53 stays an exact string, which the REST layer refuses
 * rather than round.
 */
export function restJson(type: Type, message: Message): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    if (!Object.prototype.hasOwnProperty.call(message, field.name)) continue;
    const value = (message as unknown as Record<string, unknown>)[field.name];
    if (value === undefined || value === null) continue;
    if (field.map) {
      json[field.name] = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, fieldValue(field, item)]),
      );
    } else if (field.repeated) {
      const items = value as unknown[];
      if (items.length > 0) json[field.name] = items.map((item) => fieldValue(field, item));
    } else {
      json[field.name] = fieldValue(field, value);
    }
  }
  return json;
}
