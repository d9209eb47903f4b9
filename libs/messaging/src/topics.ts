export { eventTopic } from '@logbook/contracts';

/** Where a consumer parks the messages of `topic` it cannot process. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}
