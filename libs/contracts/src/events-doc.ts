import { resolve } from 'node:path';
import { TopicContract } from './contract';
import { Fields, ObjectSchema } from './schema';

/** Where the generated page lives, from this file's place in dist/libs/contracts/src. */
export const EVENTS_DOC_PATH = resolve(__dirname, '../../../../docs/events.md');
export const EVENTS_DOC_COMMAND = 'npm run docs:events';

const INTRODUCTION = `# Published events

Generated from \`libs/contracts\` by \`${EVENTS_DOC_COMMAND}\`: do not edit by hand (\`npm run test:unit\` fails
when this page differs from what the contracts generate).

Each service publishes its events on one Kafka topic per stream type (\`<service>.<streamType>.events.v1\`),
keyed by the stream id, so the events of one stream arrive in order on one partition. Every message is a JSON
event envelope: \`eventId\`, \`type\`, \`schemaVersion\`, \`streamId\`, \`streamType\`, \`streamPosition\`,
\`globalPosition\`, \`occurredAt\`, \`producer\`, \`actor {id, kind}\`, \`correlationId\`, \`causationId\`,
\`traceparent\` (optional) and \`data\`. \`type\` and \`schemaVersion\` name the contract that \`data\` follows;
the message headers repeat \`id\`, \`type\`, \`schemaVersion\` and \`streamType\`. Delivery is at least once.

A consumer checks \`data\` against the contract of the events it handles: a payload that does not match, or a
\`schemaVersion\` it does not know, goes to the topic's dead-letter topic (\`<topic>.dlq\`) like an invalid
envelope. Within a version a producer may add fields (consumers ignore fields they do not know); removing or
changing a field makes a new version.
`;

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function fieldTable(fields: Fields): string {
  const rows = Object.entries(fields).map(
    ([name, { schema, meaning, optional }]) =>
      `| \`${name}\`${optional ? ' (optional)' : ''} | \`${escapeCell(schema.typeName)}\` | ${escapeCell(meaning)} |`,
  );
  return ['| Field | Type | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

function topicSection(topic: TopicContract): string {
  const events = topic.events.map((event) =>
    [
      `### ${event.name} (schemaVersion ${event.schemaVersion})`,
      event.meaning,
      fieldTable(event.data.fields),
      `Example \`data\`:\n\n\`\`\`json\n${JSON.stringify(event.example, null, 2)}\n\`\`\``,
    ].join('\n\n'),
  );
  const header = [
    `## ${topic.name}`,
    topic.meaning,
    `Producer: \`${topic.producer}\`. Key: ${topic.key}. Dead letters: \`${topic.name}.dlq\`.`,
  ];
  return [...header, ...events].join('\n\n');
}

/** The object types used inside the events' data, each once, in order of first use. */
function sharedTypes(topics: readonly TopicContract[]): ObjectSchema<object>[] {
  const seen = new Map<string, ObjectSchema<object>>();
  for (const event of topics.flatMap((topic) => topic.events)) {
    for (const type of event.data.namedTypes.slice(1)) if (!seen.has(type.typeName)) seen.set(type.typeName, type);
  }
  return [...seen.values()];
}

/** docs/events.md: the topics, their keys, and every event with its fields, types, meaning and version. */
export function renderEventsDoc(topics: readonly TopicContract[]): string {
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
  const types = sharedTypes(topics).map((type) => `### ${type.typeName}\n\n${fieldTable(type.fields)}`);
  return [
    INTRODUCTION.trimEnd(),
    `## Topics\n\n${index}`,
    ...topics.map(topicSection),
    ['## Types used in the events', ...types].join('\n\n'),
  ]
    .join('\n\n')
    .concat('\n');
}
