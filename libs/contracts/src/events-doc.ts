import { resolve } from 'node:path';
import { z } from 'zod';
import { CommandTopicContract, EventContract, TopicContract } from './contract';
import { WebhookPayloadContract } from './webhooks';

/** Where the generated page lives, from this file's place in dist/libs/contracts/src. */
export const EVENTS_DOC_PATH = resolve(__dirname, '../../../../docs/events.md');
export const EVENTS_DOC_COMMAND = 'npm run docs:events';

const INTRODUCTION = `# Published events

Generated from \`libs/contracts\` by \`${EVENTS_DOC_COMMAND}\`: do not edit by hand (\`npm run test:unit\` fails
when this page differs from what the contracts generate).

Each service publishes its events on one Kafka topic per stream type (\`<service>.<streamType>.events.v1\`),
keyed by the stream id, so the events of one stream arrive in order on one partition. Every message is a JSON
event envelope: \`eventId\`, \`type\`, \`schemaVersion\`, \`streamId\`, \`streamType\`, \`streamPosition\`,
\`globalPosition\`, \`occurredAt\`, \`producer\`, \`actor\`, \`correlationId\`, \`causationId\`, \`traceparent\`
(optional) and \`data\`. \`type\` and \`schemaVersion\` name the contract that \`data\` follows;
the message headers repeat \`id\`, \`type\`, \`schemaVersion\` and \`streamType\`. Delivery is at least once.

\`actor\` is who made the change: \`{id, kind, name, authMethod}\`, where \`kind\` is \`user\`, \`service\` (an API
token), \`system\` (Logbook itself) or \`anonymous\` (authentication off), and \`authMethod\` is \`basic\`,
\`token\`, \`oidc\`, \`kafka\` (a command on Kafka named the user) or \`none\`. Events published before actors had names carry \`{id, kind}\` only, with
\`kind\` \`service\` for Logbook itself; consumers read them as \`{id, kind: system, name: id, authMethod: none}\`.

A consumer checks \`data\` against the contract of the events it handles: a payload that does not match, or a
\`schemaVersion\` it does not know, goes to the topic's dead-letter topic (\`<topic>.dlq\`) like an invalid
envelope. Within a version a producer may add fields (consumers ignore fields they do not know); removing or
changing a field makes a new version.
`;

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

type JsonSchema = z.core.JSONSchema.JSONSchema;

const REF_PREFIX = '#/$defs/';

/** Bounds zod's JSON Schema gives every integer (the safe range): not worth a word in the docs. */
function isSafeIntegerBound(bound: number | undefined): boolean {
  return bound === undefined || Math.abs(bound) === Number.MAX_SAFE_INTEGER;
}

/** The type of a JSON Schema as the page prints it: `string (not empty)`, `Tag[]`, `"A" \| "B"`, `integer \| null`. */
function typeName(schema: JsonSchema): string {
  if (schema.$ref) return schema.$ref.slice(REF_PREFIX.length);
  if (schema.anyOf) return schema.anyOf.map((member) => typeName(member as JsonSchema)).join(' | ');
  if (Array.isArray(schema.type)) return schema.type.map((type) => typeName({ ...schema, type })).join(' | ');
  if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join(' | ');
  switch (schema.type) {
    case 'string':
      return schema.minLength === 1 ? 'string (not empty)' : 'string';
    case 'integer':
      return [
        'integer',
        isSafeIntegerBound(schema.minimum) ? '' : ` (>= ${schema.minimum})`,
        isSafeIntegerBound(schema.maximum) ? '' : ` (<= ${schema.maximum})`,
      ].join('');
    case 'array': {
      const item = typeName(schema.items as JsonSchema);
      return item.includes(' ') ? `(${item})[]` : `${item}[]`;
    }
    case 'number':
    case 'boolean':
    case 'null':
      return schema.type;
    case undefined:
      return 'JSON';
    case 'object':
      if (!schema.properties && typeof schema.additionalProperties === 'object') {
        return `map<string, ${typeName(schema.additionalProperties)}>`;
      }
      throw new Error(`docs/events.md has no name for ${JSON.stringify(schema)}: name its schema with .meta({ id })`);
    default:
      throw new Error(`docs/events.md has no name for ${JSON.stringify(schema)}: name its schema with .meta({ id })`);
  }
}

/** An object's fields as the page's table: name (and whether it may be absent), type, meaning. */
function fieldTable(schema: JsonSchema): string {
  const required = new Set(schema.required ?? []);
  const rows = Object.entries(schema.properties ?? {}).map(([name, field]) => {
    const { description = '' } = field as JsonSchema;
    const optional = required.has(name) ? '' : ' (optional)';
    return `| \`${name}\`${optional} | \`${escapeCell(typeName(field as JsonSchema))}\` | ${escapeCell(description)} |`;
  });
  return ['| Field | Type | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The JSON Schema of an event's data as a consumer reads it; named types (`.meta({ id })`) are in `$defs`. */
function dataSchema(event: EventContract): JsonSchema {
  return z.toJSONSchema(event.data, { io: 'input' });
}

function contractSection(event: EventContract): string {
  return [
    `### ${event.name} (schemaVersion ${event.schemaVersion})`,
    event.meaning,
    fieldTable(dataSchema(event)),
    `Example \`data\`:\n\n\`\`\`json\n${JSON.stringify(event.example, null, 2)}\n\`\`\``,
  ].join('\n\n');
}

function topicSection(topic: TopicContract): string {
  const events = topic.events.map(contractSection);
  const header = [
    `## ${topic.name}`,
    topic.meaning,
    `Producer: \`${topic.producer}\`. Key: ${topic.key}. Dead letters: \`${topic.name}.dlq\`.`,
  ];
  return [...header, ...events].join('\n\n');
}

const COMMANDS_INTRODUCTION = `# Commands

A workflow engine can drive what some services do by publishing commands on their command topics, and follow
what happened on their event topics alone. A command is a JSON message: \`commandId\` (a UUID the sender picks;
a command delivered again with the same id takes effect once), \`type\` and \`schemaVersion\` (the contract
\`data\` follows), \`user\` (the user name it acts as: the service looks the user up in identity and applies
that user's permissions and roles, as it would to their HTTP request) and \`data\`. Every command gets one
result event on the command topic's results topic, keyed by \`<stream>-<commandId>\`: accepted, or refused with
MLflow's \`errorCode\` and \`message\`. A message that is not such a command (not JSON, no valid \`commandId\`,
\`user\` or known \`type\`, or \`data\` that breaks its contract) goes to \`<topic>.dlq\` and gets no result.`;

function commandTopicSection(topic: CommandTopicContract): string {
  const header = [
    `## ${topic.name}`,
    topic.meaning,
    `Consumer: \`${topic.consumer}\`. Key: ${topic.key}. Results: [\`${topic.results.name}\`](#${topic.results.name.replace(/\./g, '')}). Dead letters: \`${topic.name}.dlq\`.`,
  ];
  return [...header, ...topic.commands.map(contractSection)].join('\n\n');
}

/** Adds the named types `schema` refers to, and those they refer to, to `seen`, in order of first reference. */
function addNamedTypes(schema: JsonSchema, defs: Record<string, JsonSchema>, seen: Map<string, JsonSchema>): void {
  const own = JSON.stringify({ ...schema, $defs: undefined });
  for (const [, name] of own.matchAll(/"\$ref":"#\/\$defs\/([^"]+)"/g)) {
    if (seen.has(name)) continue;
    seen.set(name, defs[name]);
    addNamedTypes(defs[name], defs, seen);
  }
}

/** The named types used inside the events' data, each once, in order of first use. */
function sharedTypes(topics: readonly TopicContract[]): Map<string, JsonSchema> {
  const seen = new Map<string, JsonSchema>();
  for (const event of topics.flatMap((topic) => topic.events)) {
    const schema = dataSchema(event);
    addNamedTypes(schema, schema.$defs ?? {}, seen);
  }
  return seen;
}

const WEBHOOKS_INTRODUCTION = `# Webhook payloads

The registry delivers its events to webhooks (issue 13): MLflow 3 webhooks (\`/api/2.0/mlflow/webhooks\`) and
Databricks registry webhooks (\`/api/2.0/mlflow/registry-webhooks\`). Each delivery is one of the payloads below,
named as the webhook's flavour names its events: MLflow's entity/action pairs and Logbook's further events in
MLflow's spelling (\`transition_request.approved\`), Databricks' events and Logbook's in upper case
(\`TRANSITION_REQUEST_APPROVED\`). One registry event may give several deliveries.

An MLflow webhook's body is MLflow's envelope, \`{"entity", "action", "timestamp", "data"}\` in that order, as
the exact text MLflow's server sends (Python's \`json.dumps\`: \`", "\` and \`": "\` separators, non-ASCII
escaped, floats as \`100.0\`), then \`"logbook"\` (LogbookProvenance: the registry event's id and type, the actor,
the request id). For MLflow's own events \`data\` is exactly what MLflow 3.17 sends: versions as strings, tags as
\`{name: value}\`, prompts (registered models tagged \`mlflow.prompt.is_prompt\`) as the \`prompt*\` events.
A Databricks webhook's body is Databricks' flat JSON, with \`logbook_event_id\` and \`actor\` at its end.
A test delivery (the webhooks' test endpoints) sends the example of the event named, MLflow's own
\`example()\` data for MLflow's events, without Logbook's provenance.`;

const CATALOGUE_NAMES = { mlflow: 'MLflow', databricks: 'Databricks', logbook: 'Logbook' };

function webhookPayloadSection(payload: WebhookPayloadContract): string {
  const source = { mlflow: "MLflow's", databricks: "Databricks'", logbook: "Logbook's" }[payload.catalogue];
  const firedBy = payload.firedBy.length
    ? `Delivered for: ${payload.firedBy.map((type) => `\`${type}\``).join(', ')}.`
    : 'Never delivered for a registry event; only tested.';
  const fields = payload.flavor === 'mlflow' ? (payload.body.shape.data as z.ZodObject) : payload.body;
  const fieldsTitle = payload.flavor === 'mlflow' ? 'Fields of `data`:' : 'Fields:';
  return [
    `### \`${payload.event}\` (${source})`,
    payload.meaning,
    firedBy,
    fieldsTitle,
    fieldTable(z.toJSONSchema(fields, { io: 'input' })),
    `Example body:\n\n\`\`\`json\n${JSON.stringify(payload.example, null, 2)}\n\`\`\``,
  ].join('\n\n');
}

/** The named types the payloads use, each once, in order of first use. */
function webhookTypes(payloads: readonly WebhookPayloadContract[]): Map<string, JsonSchema> {
  const seen = new Map<string, JsonSchema>();
  for (const payload of payloads) {
    const schema = z.toJSONSchema(payload.body, { io: 'input' });
    addNamedTypes(schema, schema.$defs ?? {}, seen);
  }
  return seen;
}

function webhookPayloadsSection(payloads: readonly WebhookPayloadContract[]): string {
  const flavorName = { mlflow: 'MLflow', databricks: 'Databricks' };
  const index = [
    '| Event | Flavour | Defined by | Meaning |',
    '| --- | --- | --- | --- |',
    ...payloads.map(
      (payload) =>
        `| \`${payload.event}\` | ${flavorName[payload.flavor]} | ${CATALOGUE_NAMES[payload.catalogue]} | ${escapeCell(payload.meaning)} |`,
    ),
  ].join('\n');
  const ofFlavor = (flavor: 'mlflow' | 'databricks') =>
    payloads.filter((payload) => payload.flavor === flavor).map(webhookPayloadSection);
  const types = [...webhookTypes(payloads)].map(([name, type]) => `### ${name}\n\n${fieldTable(type)}`);
  return [
    WEBHOOKS_INTRODUCTION,
    index,
    '## MLflow webhooks',
    ...ofFlavor('mlflow'),
    '## Databricks registry webhooks',
    ...ofFlavor('databricks'),
    ['## Types used in the webhook payloads', ...types].join('\n\n'),
  ].join('\n\n');
}

/**
 * docs/events.md: the topics, their keys, and every event with its fields, types, meaning and version;
 * then the command topics and their commands, alike; then what webhooks are delivered.
 */
export function renderEventsDoc(
  topics: readonly TopicContract[],
  commandTopics: readonly CommandTopicContract[],
  webhookPayloads: readonly WebhookPayloadContract[],
): string {
  const index = [
    '| Topic | Key | Events |',
    '| --- | --- | --- |',
    ...topics.map(
      (topic) =>
        `| [\`${topic.name}\`](#${topic.name.replace(/\./g, '')}) | ${topic.key} | ${topic.events
          .map((event) => `${event.name} v${event.schemaVersion}`)
          .join(', ')} |`,
    ),
  ].join('\n');
  const types = [...sharedTypes(topics)].map(([name, type]) => `### ${name}\n\n${fieldTable(type)}`);
  return [
    INTRODUCTION.trimEnd(),
    `## Topics\n\n${index}`,
    ...topics.map(topicSection),
    ['## Types used in the events', ...types].join('\n\n'),
    COMMANDS_INTRODUCTION,
    ...commandTopics.map(commandTopicSection),
    webhookPayloadsSection(webhookPayloads),
  ]
    .join('\n\n')
    .concat('\n');
}
