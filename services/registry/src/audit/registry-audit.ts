import { AuditContent, appendAuditEntries } from '@logbook/audit';
import { AppendedChange, AuditHook, EventEnvelope } from '@logbook/eventstore';
import { Queryable } from '@logbook/platform';
import { REGISTRY_SCHEMA } from '../../migrations/001_initial';

/**
 * Every registry event names its model; those about one version name it too. A webhook's events name
 * the model a Databricks webhook is about (from its state: the events carry only the webhook's id).
 */
function targetOf(event: EventEnvelope, before: unknown, after: unknown): AuditContent['target'] {
  if (event.streamType === 'webhook') {
    const modelOf = (state: unknown) => (state as { modelName?: string | null } | null)?.modelName;
    return { name: modelOf(after) ?? modelOf(before) ?? null, version: null };
  }
  const data = event.data as { name?: unknown; version?: unknown };
  return {
    name: typeof data.name === 'string' ? data.name : null,
    version: typeof data.version === 'number' ? data.version : null,
  };
}

type RequestData = { requestId?: unknown; evaluation?: object | null };

/** The request a model event was applied for: stage transitions and alias moves a policy allowed name it. */
const appliedRequestOf = (event: EventEnvelope): string | null => {
  const { requestId } = event.data as RequestData;
  return event.streamType === 'registered-model' && typeof requestId === 'string' ? requestId : null;
};

/**
 * The policy decision behind an event: a transition request's events carry their evaluation; a change a
 * request applied carries its request's (`decisions`, by request id). Null where no policy decided.
 */
function decisionOf(event: EventEnvelope, decisions: Map<string, object>): object | null {
  const { requestId, evaluation } = event.data as RequestData;
  if (event.streamType === 'transition-request' && evaluation) return { requestId, ...evaluation };
  const applied = appliedRequestOf(event);
  const decision = applied === null ? null : decisions.get(applied);
  return decision ? { requestId: applied, ...decision } : null;
}

/**
 * The audit rows of one append: one per event, with who asked, from where, the stream around it and the
 * policy decision that allowed it (`decisions`: the evaluation of each request the append applied).
 */
export function registryAuditContents(
  { events, metadata, states }: AppendedChange,
  decisions: Map<string, object>,
): Omit<AuditContent, 'seq'>[] {
  const { actor, requestId, client } = metadata;
  return events.map((event, i) => ({
    recorded_at: event.occurredAt,
    event_id: event.eventId,
    event_type: event.type,
    stream_type: event.streamType,
    stream_id: event.streamId,
    target: targetOf(event, states[i], states[i + 1]),
    actor: { id: actor.id, name: actor.name, kind: actor.kind, auth_method: actor.authMethod },
    request_id: requestId,
    client: { address: client?.address ?? null, user_agent: client?.userAgent ?? null },
    before: states[i] ?? null,
    after: states[i + 1] ?? null,
    decision: decisionOf(event, decisions),
  }));
}

/**
 * The evaluations of the requests a change applied. The request's TransitionApplied was appended earlier
 * in the same transaction, and its inline projection already holds the evaluation that allowed it.
 */
async function appliedDecisions(tx: Queryable, events: EventEnvelope[]): Promise<Map<string, object>> {
  const requestIds = [...new Set(events.map(appliedRequestOf).filter((id): id is string => id !== null))];
  if (requestIds.length === 0) return new Map();
  const { rows } = await tx.query<{ request_id: string; evaluation: object }>(
    `SELECT request_id, evaluation FROM ${REGISTRY_SCHEMA}.transition_requests
     WHERE request_id = ANY($1::text[]) AND evaluation IS NOT NULL`,
    [requestIds],
  );
  return new Map(rows.map((row) => [row.request_id, row.evaluation]));
}

/** Every registry change leaves its audit rows in its own transaction. */
export const recordRegistryAudit: AuditHook = async (tx, change) => {
  const decisions = await appliedDecisions(tx, change.events);
  await appendAuditEntries(tx, REGISTRY_SCHEMA, registryAuditContents(change, decisions));
};
