import { EventEnvelope } from '@logbook/eventstore';
import { snakeCase } from '../shared/field-names';

/**
 * One change to a registered model as its history lists it: the event's type and fields (named as the
 * REST API names its fields), who made it, when, and in which request.
 */
export function historyEntry(event: EventEnvelope) {
  const data = event.data as Record<string, unknown>;
  return {
    event_id: event.eventId,
    type: event.type,
    timestamp: Date.parse(event.occurredAt),
    actor: {
      id: event.actor.id,
      kind: event.actor.kind,
      name: event.actor.name,
      auth_method: event.actor.authMethod,
    },
    request_id: event.correlationId,
    data: Object.fromEntries(Object.entries(data).map(([field, value]) => [snakeCase(field), value])),
  };
}
