/**
 * A reply body as protobuf JSON writes it, which MLflow speaks: a field holding an empty list is left out (an
 * empty list inside a list, which no message has, becomes null, as JSON.stringify writes an omitted item).
 *
 * It copies only the objects and lists that hold an empty list, leaving the caller's values as they were, then
 * serializes with a plain JSON.stringify: a replacer function would be called for every key and value of the
 * body and keep V8 off its fast path (1.0 against 0.6 ms for a page of 100 runs).
 */
export function replyJson(payload: unknown): string {
  const value = asJson(payload, '');
  return JSON.stringify(value !== null && typeof value === 'object' ? withoutEmptyLists(value) : value);
}

/** What JSON.stringify serializes for `value`: its toJSON(key) where it has one (a Date's string). */
function asJson(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function'
    ? (value as { toJSON(key: string): unknown }).toJSON(key)
    : value;
}

/** `value` (already through asJson) with its nested empty lists left out, copied where one was. */
function withoutEmptyLists(value: object): unknown {
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      if (item === null || typeof item !== 'object') continue;
      const kept = pruned(asJson(item, String(index)), null);
      if (kept !== item) (copy ??= value.slice())[index] = kept;
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  const fields = value as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    const field = fields[key];
    if (field === null || typeof field !== 'object') continue;
    const kept = pruned(asJson(field, key), undefined);
    if (kept !== field) (copy ??= { ...fields })[key] = kept;
  }
  return copy ?? value;
}

function pruned(value: unknown, emptyList: null | undefined): unknown {
  if (value === null || typeof value !== 'object') return value;
  return Array.isArray(value) && value.length === 0 ? emptyList : withoutEmptyLists(value);
}
