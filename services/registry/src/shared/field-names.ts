/** A domain field name as the REST API names its fields: `evidenceFailures` -> `evidence_failures`. */
export const snakeCase = (field: string) => field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/** A JSON value with every object key, at any depth, named as the REST API names fields. */
export function withSnakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withSnakeCaseKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [snakeCase(key), withSnakeCaseKeys(item)]));
}
