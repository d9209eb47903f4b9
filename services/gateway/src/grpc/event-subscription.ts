import { Metadata, ServerWritableStream } from '@grpc/grpc-js';
import { FastifyInstance } from 'fastify';
import { PUBLISHED_TOPICS, TRACKING_RUN_DATA_TOPIC } from '@logbook/contracts';
import { callOwnRestRoute, queryString, RestCaller } from '../own-rest-routes';
import { admit, restCaller } from './grpc-calls';
import { failureOfRestAnswer, mlflowFailure } from './grpc-status';

/** The services whose logs a subscription follows, and the REST feed each serves of its own log. */
const FEEDS = {
  tracking: '/api/2.0/logbook/events/tracking',
  artifacts: '/api/2.0/logbook/events/artifacts',
  registry: '/api/2.0/logbook/events/registry',
} as const;

type Source = keyof typeof FEEDS;
const SOURCES = Object.keys(FEEDS) as Source[];

/** Where a subscription is in each service's log: the feed's own position token, per service. */
type Cursor = Partial<Record<Source, string>>;

/** How long one feed call waits for an event before answering empty (and the subscription asks again). */
const LONG_POLL_MS = 5_000;
const EVENTS_PER_CALL = 500;

/** What a subscriber gets when it names no filter: every event but the batches of run data (their summaries are in). */
const DEFAULT_TYPES = PUBLISHED_TOPICS.filter((topic) => topic !== TRACKING_RUN_DATA_TOPIC).flatMap((topic) =>
  topic.events.map((event) => event.name),
);

export interface SubscribeRequest {
  after?: string;
  from_latest?: boolean;
  topics?: string[];
  types?: string[];
}

interface FeedEvent {
  position: string;
  topic: string;
  key: string;
  event: { eventId: string; type: string; schemaVersion: number; occurredAt: string };
}

interface FeedAnswer {
  events?: FeedEvent[];
  next_position: string;
}

/** A subscription's position as the subscriber holds it: opaque, one string for every service's log. */
export const encodePosition = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

export function decodePosition(position: string): Cursor {
  let cursor: unknown;
  try {
    cursor = JSON.parse(Buffer.from(position, 'base64url').toString('utf8'));
  } catch {
    cursor = undefined;
  }
  const valid =
    typeof cursor === 'object' &&
    cursor !== null &&
    !Array.isArray(cursor) &&
    Object.entries(cursor).every(([source, token]) => source in FEEDS && typeof token === 'string');
  if (!valid) {
    throw mlflowFailure('INVALID_PARAMETER_VALUE', `Invalid value for 'after': not a position Subscribe gave`, 400);
  }
  return cursor as Cursor;
}

function startingCursor(request: SubscribeRequest): Cursor {
  if (request.after) return decodePosition(request.after);
  return request.from_latest ? Object.fromEntries(SOURCES.map((source) => [source, 'latest'])) : {};
}

/** Resolves when the subscription should stop: the subscriber left, or the server is shutting down. */
interface Stop {
  readonly stopped: boolean;
  readonly signal: Promise<void>;
}

/**
 * Logbook's `EventService/Subscribe`: each service's feed followed by its own loop, one long poll at a time,
 * its events written as they come (in the order the service committed them). A write the subscriber is not
 * ready for waits for it, so a slow subscriber slows only its own loops; every subscriber reads the feeds at
 * its own pace. Each event carries the position after it, across every service's log, to resume from.
 */
export class EventSubscriptions {
  private closing = false;
  private closed!: () => void;
  private readonly closingSignal = new Promise<void>((resolve) => (this.closed = resolve));

  constructor(private readonly fastify: FastifyInstance) {}

  readonly subscribe = async (
    request: SubscribeRequest,
    metadata: Metadata,
    call: ServerWritableStream<unknown, unknown>,
  ): Promise<void> => {
    admit(request, call);
    const cursor = startingCursor(request);
    const filters =
      request.topics?.length || request.types?.length
        ? { topics: request.topics, types: request.types }
        : { types: DEFAULT_TYPES };
    const caller = restCaller(metadata, call);
    let ended = false;
    let end!: () => void;
    const endSignal = new Promise<void>((resolve) => (end = resolve));
    call.once('cancelled', end);
    call.once('close', end);
    const stop: Stop = {
      get stopped() {
        return ended || call.cancelled;
      },
      signal: Promise.race([endSignal, this.closingSignal]),
    };
    try {
      await Promise.all(SOURCES.map((source) => this.follow(source, cursor, filters, caller, call, stop)));
    } finally {
      // One loop's failure ends the others.
      ended = true;
      end();
      call.off('cancelled', end);
      call.off('close', end);
    }
  };

  /** Ends every subscription with UNAVAILABLE: its subscriber resumes from its last position elsewhere or later. */
  close(): void {
    this.closing = true;
    this.closed();
  }

  private async follow(
    source: Source,
    cursor: Cursor,
    filters: { topics?: string[]; types?: string[] },
    caller: RestCaller,
    call: ServerWritableStream<unknown, unknown>,
    stop: Stop,
  ): Promise<void> {
    while (!stop.stopped) {
      const answer = await this.untilStopped(
        callOwnRestRoute(this.fastify, caller, {
          method: 'GET',
          url: `${FEEDS[source]}${queryString({ after: cursor[source], max_events: EVENTS_PER_CALL, wait_ms: LONG_POLL_MS, ...filters })}`,
        }),
        stop,
      );
      if (!answer) return;
      if (answer.status !== 200) throw failureOfRestAnswer(answer.status, answer.body);
      const feed = answer.body as FeedAnswer;
      for (const item of feed.events ?? []) {
        cursor[source] = item.position;
        if (!(await this.write(call, subscribedEvent(item, encodePosition(cursor)), stop))) return;
      }
      cursor[source] = feed.next_position;
    }
  }

  /** The promise's value, or undefined once the subscription stops first (shutting down: UNAVAILABLE). */
  private async untilStopped<T>(promise: Promise<T>, stop: Stop): Promise<T | undefined> {
    promise.catch(() => undefined);
    const outcome = await Promise.race([promise, stop.signal.then(() => undefined)]);
    if (this.closing) throw shuttingDown();
    return stop.stopped ? undefined : outcome;
  }

  /** Writes one event; when the subscriber's window is full, waits until it drains. False once it stopped. */
  private async write(call: ServerWritableStream<unknown, unknown>, event: object, stop: Stop): Promise<boolean> {
    if (stop.stopped) return false;
    if (call.write(event)) return true;
    await this.untilStopped(new Promise<void>((resolve) => call.once('drain', resolve)), stop);
    return !stop.stopped;
  }
}

const shuttingDown = () =>
  mlflowFailure(
    'TEMPORARILY_UNAVAILABLE',
    'Logbook is shutting down: subscribe again after the last position received',
    503,
  );

const subscribedEvent = (item: FeedEvent, position: string) => ({
  position,
  topic: item.topic,
  key: item.key,
  event_id: item.event.eventId,
  type: item.event.type,
  schema_version: item.event.schemaVersion,
  occurred_at: item.event.occurredAt,
  event_json: JSON.stringify(item.event),
});
