import { EventEnvelope, EventStore } from '@logbook/eventstore';
import { invalidParameter } from '@logbook/platform';

/**
 * A place in a service's log, in commit order: the transaction that wrote an event, then its global
 * position. A bigserial position is taken at insert, not at commit, so position alone is not commit order.
 */
export interface LogPosition {
  transactionId: string;
  globalPosition: number;
}

/** Before the first event. */
export const LOG_START: LogPosition = { transactionId: '0', globalPosition: 0 };

/** A stored event (as the log holds it, before any contract mapping) and the position just after it. */
export interface LoggedEvent {
  position: LogPosition;
  event: EventEnvelope;
}

type EventRow = Parameters<EventStore['toEnvelope']>[0];

const COLUMNS =
  'global_position, event_id, stream_id, stream_type, stream_position, type, schema_version, metadata, occurred_at';

/** Every transaction older than the oldest one still running has ended: its events can no longer appear. */
const SETTLED = 'transaction_id < pg_snapshot_xmin(pg_current_snapshot())';

/**
 * Up to `limit` events after `after`, in commit order, of transactions that can no longer be followed by
 * one with a smaller position: a transaction still running (or one that started after it) waits for a
 * later read, so an event committed late with a smaller position is never skipped. `held`: envelopes this
 * process appended, by event id; the log decides which of them are there (and where), without sending
 * their payloads back.
 */
export async function readEvents(
  store: EventStore,
  after: LogPosition,
  limit: number,
  held: ReadonlyMap<string, EventEnvelope> = new Map(),
): Promise<LoggedEvent[]> {
  const kept = new Map(held);
  const { rows } = await store.db.query<EventRow & { tx: string }>(
    `SELECT ${COLUMNS}, CASE WHEN event_id = ANY($4::uuid[]) THEN NULL ELSE data END AS data,
            transaction_id::text AS tx
     FROM ${store.schema}.events
     WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint) AND ${SETTLED}
     ORDER BY transaction_id, global_position
     LIMIT $3`,
    [after.transactionId, after.globalPosition, limit, [...kept.keys()]],
  );
  return rows.map((row) => ({
    position: { transactionId: row.tx, globalPosition: Number(row.global_position) },
    event: kept.get(row.event_id) ?? store.toEnvelope(row),
  }));
}

/** The position after the last event readEvents can answer now: what a reader starting at the end resumes from. */
export async function logEnd(store: EventStore): Promise<LogPosition> {
  const { rows } = await store.db.query<{ tx: string; global_position: number }>(
    `SELECT transaction_id::text AS tx, global_position FROM ${store.schema}.events WHERE ${SETTLED}
     ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
  );
  return rows.length === 0 ? LOG_START : { transactionId: rows[0].tx, globalPosition: Number(rows[0].global_position) };
}

/** xid8 is an unsigned 64-bit integer; a global position a positive bigint JavaScript holds exactly. */
const MAX_XID8 = 2n ** 64n - 1n;
const TOKEN = /^(0|[1-9][0-9]{0,19})-(0|[1-9][0-9]{0,15})$/;

/** What a position token looks like, for the API's documents (its range is checked on parsing). */
export const POSITION_TOKEN_PATTERN = '^(0|[1-9][0-9]*)-(0|[1-9][0-9]*)$';

/** A position as the API hands it out: `<transaction id>-<global position>`. */
export const positionToken = (position: LogPosition): string => `${position.transactionId}-${position.globalPosition}`;

/** Reads back a positionToken; anything else is refused with INVALID_PARAMETER_VALUE naming `parameter`. */
export function parsePositionToken(token: string, parameter: string): LogPosition {
  const match = TOKEN.exec(token);
  if (!match || BigInt(match[1]) > MAX_XID8 || !Number.isSafeInteger(Number(match[2]))) {
    throw invalidParameter(`Invalid value ${JSON.stringify(token)} for parameter '${parameter}': not a log position.`);
  }
  return { transactionId: match[1], globalPosition: Number(match[2]) };
}
