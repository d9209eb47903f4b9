import { JsonSchema } from '@logbook/platform';
import { FeedPage } from './event-feed';
import { POSITION_TOKEN_PATTERN, positionToken } from './event-log';

/**
 * A page of the feed as JSON text: its events are the relay's Kafka values exactly, so they must not pass
 * the app's serializer, which leaves out every empty list (the answer's own empty `events` included).
 */
export function feedAnswer({ events, next }: FeedPage): string {
  return JSON.stringify({
    ...(events.length > 0
      ? {
          events: events.map(({ position, topic, key, event }) => ({
            position: positionToken(position),
            topic,
            key,
            event,
          })),
        }
      : {}),
    next_position: positionToken(next),
  });
}

const position: JsonSchema = {
  type: 'string',
  pattern: POSITION_TOKEN_PATTERN,
  description: 'Pass it back as `after` to continue after this point',
};

/** The event feed's answer, for the OpenAPI document. */
export const EVENT_FEED_WIRE_SCHEMAS = {
  LogbookFeedEvent: {
    type: 'object',
    required: ['position', 'topic', 'key', 'event'],
    properties: {
      position,
      topic: { type: 'string', description: 'The Kafka topic the relay publishes it to (without a namespace)' },
      key: { type: 'string', description: 'The Kafka message key: the id of its stream' },
      event: {
        type: 'object',
        description: 'The event envelope exactly as the Kafka message value carries it',
        required: ['eventId', 'type', 'schemaVersion', 'streamId', 'streamType', 'streamPosition', 'data'],
        properties: {
          eventId: { type: 'string', format: 'uuid' },
          type: { type: 'string' },
          schemaVersion: { type: 'integer' },
          streamId: { type: 'string' },
          streamType: { type: 'string' },
          streamPosition: { type: 'integer' },
          data: { type: 'object' },
        },
      },
    },
  },
} satisfies Record<string, JsonSchema>;

export const EVENT_FEED_ANSWER: JsonSchema = {
  type: 'object',
  required: ['next_position'],
  properties: {
    events: { type: 'array', items: { $ref: '#/components/schemas/LogbookFeedEvent' } },
    next_position: { ...position, description: 'Pass it back as `after` to continue (past filtered-out events too)' },
  },
};
