import { Documented, Int64Field, invalidParameter, JsonSchema, StringField, StringListField } from '@logbook/platform';
import { EventFeed, FeedPage } from './event-feed';
import { LOG_START, parsePositionToken, positionToken } from './event-log';

/** max_events and wait_ms: their value when left out, and the range accepted. */
export const FEED_LIMITS = {
  max_events: { fallback: 500, minimum: 1, maximum: 1000 },
  wait_ms: { fallback: 0, minimum: 0, maximum: 30_000 },
} as const;

const POSITION_PATTERN = '^(latest|[0-9]+-[0-9]+)$';

/** The query of a service's event feed (`GET /api/2.0/logbook/events/<service>`). */
export class EventFeedDto {
  @StringField()
  @Documented({
    pattern: POSITION_PATTERN,
    description:
      'A position an earlier answer gave (an event’s `position` or `next_position`): the events after it. ' +
      'Left out: from the start of the log. `latest`: no events, only the end of the log as `next_position`.',
  })
  after?: string;

  @Int64Field()
  @Documented({
    minimum: FEED_LIMITS.max_events.minimum,
    maximum: FEED_LIMITS.max_events.maximum,
    description: `At most this many events (default ${FEED_LIMITS.max_events.fallback})`,
  })
  max_events?: number;

  @Int64Field()
  @Documented({
    minimum: FEED_LIMITS.wait_ms.minimum,
    maximum: FEED_LIMITS.wait_ms.maximum,
    description: 'When no event follows `after` yet, wait up to this long for one (default 0: answer at once)',
  })
  wait_ms?: number;

  @StringListField()
  @Documented({ description: 'Only events of these topics (e.g. registry.model-version.events.v1); repeatable' })
  topics?: string[];

  @StringListField()
  @Documented({ description: 'Only events of these types (e.g. ModelVersionCreated); repeatable' })
  types?: string[];
}

function inRange(parameter: keyof typeof FEED_LIMITS, value: number | undefined): number {
  const { fallback, minimum, maximum } = FEED_LIMITS[parameter];
  const chosen = value ?? fallback;
  if (chosen < minimum || chosen > maximum) {
    throw invalidParameter(
      `Invalid value ${chosen} for parameter '${parameter}' supplied. It must lie between ${minimum} and ${maximum}.`,
    );
  }
  return chosen;
}

/**
 * Reads the page the query asks for, answered as JSON text: the events are the relay's Kafka values
 * exactly, so they must not pass the app's serializer, which leaves out every empty list.
 */
export async function answerEventFeed(feed: EventFeed, dto: EventFeedDto): Promise<string> {
  const page = await feed.read({
    after:
      dto.after === 'latest' ? 'latest' : dto.after === undefined ? LOG_START : parsePositionToken(dto.after, 'after'),
    maxEvents: inRange('max_events', dto.max_events),
    waitMs: inRange('wait_ms', dto.wait_ms),
    topics: dto.topics,
    types: dto.types,
  });
  return JSON.stringify(feedAnswer(page));
}

function feedAnswer({ events, next }: FeedPage) {
  return {
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
  };
}

const position: JsonSchema = {
  type: 'string',
  pattern: '^[0-9]+-[0-9]+$',
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
