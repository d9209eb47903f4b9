import { AuditContent, appendAuditEntries } from '@logbook/audit';
import { AppendedChange, AuditHook, EventEnvelope } from '@logbook/eventstore';
import { REGISTRY_SCHEMA } from '../../migrations/001_initial';

/** Every registry event names its model; those about one version name it too. */
function targetOf(event: EventEnvelope): AuditContent['target'] {
  const data = event.data as { name?: unknown; version?: unknown };
  return {
    name: typeof data.name === 'string' ? data.name : null,
    version: typeof data.version === 'number' ? data.version : null,
  };
}

/** The audit rows of one append: one per event, with who asked, from where, and the stream around it. */
export function registryAuditContents({ events, metadata, states }: AppendedChange): Omit<AuditContent, 'seq'>[] {
  const { actor, requestId, client } = metadata;
  return events.map((event, i) => ({
    recorded_at: event.occurredAt,
    event_id: event.eventId,
    event_type: event.type,
    stream_type: event.streamType,
    stream_id: event.streamId,
    target: targetOf(event),
    actor: { id: actor.id, name: actor.name, kind: actor.kind, auth_method: actor.authMethod },
    request_id: requestId,
    client: { address: client?.address ?? null, user_agent: client?.userAgent ?? null },
    before: states[i] ?? null,
    after: states[i + 1] ?? null,
    decision: null,
  }));
}

/** Every registry change leaves its audit rows in its own transaction. */
export const recordRegistryAudit: AuditHook = async (tx, change) => {
  await appendAuditEntries(tx, REGISTRY_SCHEMA, registryAuditContents(change));
};
