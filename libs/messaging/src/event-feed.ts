import { EventEnvelope, EventStore } from '@logbook/eventstore';
import { LogPosition, logEnd, readEvents } from './event-log';
import type { ContractMapper } from './relay';
import { eventTopic } from './topics';

export interface EventFeedOptions {
  /** The service whose log it reads: names the topics, as the relay's publisher does. */
  service: string;
  /** What leaves the service for a stored event: the mapping the relay publishes with. */
  toContract?: ContractMapper;
  /** The topic of a published event, as the relay's publisher names it (by default its stream type's). */
  topicOf?: (event: EventEnvelope) => string;
  /** How often a waiting read looks again, for appends by other replicas (default 200 ms). */
  pollIntervalMs?: number;
}

export interface FeedRequest {
  /** Where to continue; `latest` answers no events, only the end of the log. */
  after: LogPosition | 'latest';
  maxEvents: number;
  /** How long to wait for an event when none is there yet. */
  waitMs: number;
  /** Only events of these contract topics (all when absent or empty). */
  topics?: string[];
  /** Only events of these types (all when absent or empty). */
  types?: string[];
}

/** An event as the relay publishes it: its topic, its key (the stream id) and its value, and where to resume after it. */
export interface FeedEvent {
  position: LogPosition;
  topic: string;
  key: string;
  event: EventEnvelope;
}

export interface FeedPage {
  events: FeedEvent[];
  /** After the last event read, including those the filters left out. */
  next: LogPosition;
}

/**
 * A service's log read as its relay publishes it, from any position on, for readers that keep their own
 * position (the gateway's gRPC Subscribe). A read finding nothing may wait: an append in this process
 * wakes it at once, and it looks again every poll interval for what other replicas append.
 */
export class EventFeed {
  private readonly toContract: ContractMapper;
  private readonly topicOf: (event: EventEnvelope) => string;
  private readonly pollIntervalMs: number;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly store: EventStore,
    options: EventFeedOptions,
  ) {
    this.toContract = options.toContract ?? ((event) => [event]);
    this.topicOf = options.topicOf ?? ((event) => eventTopic(options.service, event.streamType));
    this.pollIntervalMs = options.pollIntervalMs ?? 200;
    store.onAppended(() => {
      for (const wake of this.waiters) wake();
    });
  }

  async read(request: FeedRequest): Promise<FeedPage> {
    if (request.after === 'latest') return { events: [], next: await logEnd(this.store) };
    const deadline = Date.now() + request.waitMs;
    const wanted = matcher(request);
    let next = request.after;
    for (;;) {
      // Listening before reading: an append that commits during the read still wakes the wait below.
      const append = this.nextAppend(Math.min(this.pollIntervalMs, deadline - Date.now()));
      const batch = await readEvents(this.store, next, request.maxEvents);
      const events = batch.flatMap(({ position, event }) => this.feedEvents(position, event)).filter(wanted);
      if (batch.length > 0) next = batch[batch.length - 1].position;
      if (events.length > 0 || Date.now() >= deadline) {
        append.cancel();
        return { events, next };
      }
      // A full batch filtered out entirely: read on at once rather than wait.
      if (batch.length > 0) append.cancel();
      await append.done;
    }
  }

  private feedEvents(position: LogPosition, stored: EventEnvelope): FeedEvent[] {
    return this.toContract(stored).map((event) => ({
      position,
      topic: this.topicOf(event),
      key: event.streamId,
      event,
    }));
  }

  /** Settles at the next append to the store, after `ms`, or at cancel(), whichever comes first. */
  private nextAppend(ms: number): { done: Promise<void>; cancel(): void } {
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const timer = setTimeout(wake, Math.max(0, ms));
    this.waiters.add(wake);
    const done = woken.then(() => {
      clearTimeout(timer);
      this.waiters.delete(wake);
    });
    return { done, cancel: wake };
  }
}

function matcher(request: FeedRequest): (event: FeedEvent) => boolean {
  const topics = request.topics?.length ? new Set(request.topics) : undefined;
  const types = request.types?.length ? new Set(request.types) : undefined;
  return ({ topic, event }) => (!topics || topics.has(topic)) && (!types || types.has(event.type));
}
