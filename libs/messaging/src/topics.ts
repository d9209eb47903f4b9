export { eventTopic } from '@logbook/contracts';

/** A topic or consumer group inside an installation's namespace (LOGBOOK_KAFKA_NAMESPACE), when it has one. */
export function inNamespace(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}.${name}` : name;
}

/** Where a consumer parks the messages of `topic` it cannot process. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}
