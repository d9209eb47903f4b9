import { AuditContent, appendAuditEntries } from '@logbook/audit';
import { AppendedChange, AuditHook, EventEnvelope } from '@logbook/eventstore';
import { Queryable } from '@logbook/platform';
import { IDENTITY_SCHEMA } from '../../migrations/001_initial';

/** Fields that hold a credential or its hash: never written to the audit trail, whatever holds them. */
const SECRET_FIELD = /password|secret/i;
export const REDACTED = '[redacted]';

/** A copy of a value with every credential field's value replaced, however deep it sits. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [key, SECRET_FIELD.test(key) ? REDACTED : redactSecrets(field)]),
  );
}

const textField = (value: unknown, field: string): string | null => {
  const held = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[field] : undefined;
  return typeof held === 'string' ? held : null;
};

/**
 * The name a change is about: a user's username, a role's name, a token's owner (so that searching a
 * user finds what was done to their tokens too). A revocation names only its token: its owner is read
 * from the tokens projection, which the transaction already updated.
 */
async function targetNameOf(tx: Queryable, event: EventEnvelope, before: unknown, after: unknown) {
  switch (event.streamType) {
    case 'user':
      return textField(event.data, 'username');
    case 'role':
      return textField(after, 'name') ?? textField(before, 'name');
    case 'token': {
      const owner = textField(event.data, 'ownerUsername');
      if (owner !== null) return owner;
      const { rows } = await tx.query<{ owner_username: string }>(
        `SELECT owner_username FROM ${IDENTITY_SCHEMA}.tokens WHERE id = $1`,
        [(event.data as { tokenId: number }).tokenId],
      );
      return rows[0]?.owner_username ?? null;
    }
    default:
      return null;
  }
}

/** The audit rows of one append: one per event, with who asked, from where, and the stream around it, without secrets. */
export async function identityAuditContents(
  tx: Queryable,
  { events, metadata, states }: AppendedChange,
): Promise<Omit<AuditContent, 'seq'>[]> {
  const { actor, requestId, client } = metadata;
  const contents: Omit<AuditContent, 'seq'>[] = [];
  for (const [i, event] of events.entries()) {
    const before = redactSecrets(states[i] ?? null);
    const after = redactSecrets(states[i + 1] ?? null);
    contents.push({
      recorded_at: event.occurredAt,
      event_id: event.eventId,
      event_type: event.type,
      stream_type: event.streamType,
      stream_id: event.streamId,
      target: { name: await targetNameOf(tx, event, before, after), version: null },
      actor: { id: actor.id, name: actor.name, kind: actor.kind, auth_method: actor.authMethod },
      request_id: requestId,
      client: { address: client?.address ?? null, user_agent: client?.userAgent ?? null },
      before,
      after,
      decision: null,
    });
  }
  return contents;
}

/** Every change to users, roles, grants and tokens leaves its audit rows in its own transaction. */
export const recordIdentityAudit: AuditHook = async (tx, change) => {
  await appendAuditEntries(tx, IDENTITY_SCHEMA, await identityAuditContents(tx, change));
};
