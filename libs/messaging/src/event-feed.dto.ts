import { Documented, Int64Field, invalidParameter, StringField, StringListField } from '@logbook/platform';
import { FeedRequest } from './event-feed';
import { LOG_START, parsePositionToken, POSITION_TOKEN_PATTERN } from './event-log';

/** max_events and wait_ms: their value when left out, and the range accepted. */
export const FEED_LIMITS = {
  max_events: { fallback: 500, minimum: 1, maximum: 1000 },
  wait_ms: { fallback: 0, minimum: 0, maximum: 20_000 },
} as const;

/** The query of a service's event feed (`GET /api/2.0/logbook/events/<service>`). */
export class EventFeedDto {
  @StringField()
  @Documented({
    pattern: `^latest$|${POSITION_TOKEN_PATTERN}`,
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

/** The read the query asks for; a malformed position or a limit out of range is INVALID_PARAMETER_VALUE. */
export function feedRequest(dto: EventFeedDto): FeedRequest {
  return {
    after:
      dto.after === 'latest' ? 'latest' : dto.after === undefined ? LOG_START : parsePositionToken(dto.after, 'after'),
    maxEvents: inRange('max_events', dto.max_events),
    waitMs: inRange('wait_ms', dto.wait_ms),
    topics: dto.topics,
    types: dto.types,
  };
}
