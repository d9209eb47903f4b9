import { JsonSchema } from '@logbook/platform';
import { policyDocumentJsonSchema } from './policy-definition';

const ref = (name: keyof typeof POLICY_WIRE_SCHEMAS): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

/** Answers leave empty lists out (protobuf JSON), so no list is required in them. */
function listsOptional(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(listsOptional);
  if (schema === null || typeof schema !== 'object') return schema;
  const object = schema as JsonSchema;
  const copy: JsonSchema = Object.fromEntries(
    Object.entries(object).map(([key, value]) => [key, listsOptional(value)]),
  );
  const properties = object.properties as Record<string, JsonSchema> | undefined;
  if (properties && Array.isArray(object.required)) {
    const required = (object.required as string[]).filter((field) => properties[field]?.type !== 'array');
    if (required.length > 0) copy.required = required;
    else delete copy.required;
  }
  return copy;
}

const answered = listsOptional(policyDocumentJsonSchema('output')) as {
  properties: Record<string, JsonSchema>;
  required: string[];
};

/** A policy as it is sent to create (or, its fields, to update) one, and as it is answered. */
export const POLICY_WIRE_SCHEMAS = {
  PolicyDocument: {
    ...policyDocumentJsonSchema('input'),
    description: 'An approval policy; the README explains each field',
  },
  PolicyChanges: {
    ...policyDocumentJsonSchema('input'),
    required: ['name'],
    description: "The policy's name, and the fields that replace its own; the result is checked as a whole",
  },
  Policy: {
    ...answered,
    properties: {
      ...answered.properties,
      version: { type: 'integer', minimum: 1, description: 'Which version of the policy this is' },
      hash: { type: 'string', description: "sha256: of the definition's canonical JSON" },
      creation_timestamp: { type: 'integer', format: 'int64' },
      last_updated_timestamp: {
        type: 'integer',
        format: 'int64',
        description: 'When this version was recorded',
      },
    },
    required: [...answered.required, 'version', 'hash', 'creation_timestamp', 'last_updated_timestamp'],
  },
} satisfies Record<string, JsonSchema>;

export const POLICY_ANSWERS = {
  policy: { type: 'object', properties: { policy: ref('Policy') }, required: ['policy'] },
  policies: {
    type: 'object',
    properties: {
      policies: { type: 'array', items: ref('Policy') },
      next_page_token: { type: 'string', description: 'Pass it back to read the next page' },
    },
  },
  empty: { type: 'object', properties: {} },
} satisfies Record<string, JsonSchema>;

/** The bodies of the routes that take a policy document, which the policy schema reads instead of a DTO. */
export const POLICY_BODIES = {
  create: { required: true, content: { 'application/json': { schema: ref('PolicyDocument') } } },
  update: { required: true, content: { 'application/json': { schema: ref('PolicyChanges') } } },
};
