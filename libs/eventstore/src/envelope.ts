import { Actor } from '@logbook/platform';

/** A fact as a decider emits it, before the store wraps it in an envelope. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
}

/** An event as stored, published and consumed. */
export interface EventEnvelope<Event extends DomainEvent = DomainEvent> {
  eventId: string;
  type: Event['type'];
  schemaVersion: number;
  streamId: string;
  streamType: string;
  streamPosition: number;
  globalPosition: number;
  occurredAt: string;
  producer: string;
  actor: Actor;
  correlationId: string;
  causationId: string | null;
  traceparent?: string;
  data: Event['data'];
}
