import { Queryable } from '@logbook/platform';
import { AuditContent, AuditEntry, chainEntries, GENESIS_HASH } from './chain';

/**
 * The audit trail's tables in a service's schema: the hash-chained rows, the head that serializes their
 * writers, signed checkpoints of the head and the keys that signed them. No projection owns them, so a
 * rebuild never touches them; triggers refuse to change or remove a row (a superuser can still disable
 * them, which is what verification finds out).
 */
export const auditLogSchema = (schema: string) => `
CREATE TABLE ${schema}.audit_log (
  seq bigint PRIMARY KEY,
  recorded_at timestamptz NOT NULL,
  event_id uuid NOT NULL,
  event_type text NOT NULL,
  stream_type text NOT NULL,
  stream_id text NOT NULL,
  target_name text,
  target_version integer,
  actor_id text NOT NULL,
  actor_name text NOT NULL,
  actor_kind text NOT NULL,
  auth_method text NOT NULL,
  request_id text,
  client_address text,
  user_agent text,
  before jsonb,
  after jsonb,
  decision jsonb,
  prev_hash text NOT NULL,
  hash text NOT NULL
);
CREATE INDEX audit_log_by_target ON ${schema}.audit_log (target_name, seq);
CREATE INDEX audit_log_by_target_version ON ${schema}.audit_log (target_name, target_version, seq);
CREATE INDEX audit_log_by_actor_id ON ${schema}.audit_log (actor_id, seq);
CREATE INDEX audit_log_by_actor_name ON ${schema}.audit_log (actor_name, seq);
CREATE INDEX audit_log_by_event_type ON ${schema}.audit_log (event_type, seq);
CREATE INDEX audit_log_by_time ON ${schema}.audit_log (recorded_at, seq);

CREATE TABLE ${schema}.audit_head (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  seq bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO ${schema}.audit_head (seq, hash) VALUES (0, '${GENESIS_HASH}');

CREATE TABLE ${schema}.audit_checkpoints (
  seq bigint PRIMARY KEY,
  hash text NOT NULL,
  signed_at timestamptz NOT NULL,
  key_id text NOT NULL,
  signature text NOT NULL
);

CREATE TABLE ${schema}.audit_signing_keys (
  key_id text PRIMARY KEY,
  public_key text NOT NULL,
  private_key text,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- One line: migrations split their statements at a semicolon ending a line.
CREATE FUNCTION ${schema}.audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON ${schema}.audit_log
  FOR EACH ROW EXECUTE FUNCTION ${schema}.audit_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON ${schema}.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION ${schema}.audit_refuse_change();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON ${schema}.audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION ${schema}.audit_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON ${schema}.audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION ${schema}.audit_refuse_change();
`;

const BREAK_GLASS = `decision->'breakGlass' = 'true'::jsonb`;

/**
 * Break-glass uses, listed fast: a decision that says `"breakGlass": true` (a policy's evaluation does
 * when a named principal applied a change without approvals).
 */
export const auditBreakGlassSchema = (schema: string) => `
CREATE INDEX audit_log_break_glass ON ${schema}.audit_log (seq) WHERE ${BREAK_GLASS};
`;

const COLUMNS = `seq, recorded_at, event_id, event_type, stream_type, stream_id, target_name, target_version,
  actor_id, actor_name, actor_kind, auth_method, request_id, client_address, user_agent, before, after, decision,
  prev_hash, hash`;

const RECORD_TYPES = `seq bigint, recorded_at timestamptz, event_id uuid, event_type text, stream_type text,
  stream_id text, target_name text, target_version integer, actor_id text, actor_name text, actor_kind text,
  auth_method text, request_id text, client_address text, user_agent text, before jsonb, after jsonb,
  decision jsonb, prev_hash text, hash text`;

interface AuditRow {
  seq: string | number;
  recorded_at: Date | string;
  event_id: string;
  event_type: string;
  stream_type: string;
  stream_id: string;
  target_name: string | null;
  target_version: number | null;
  actor_id: string;
  actor_name: string;
  actor_kind: string;
  auth_method: string;
  request_id: string | null;
  client_address: string | null;
  user_agent: string | null;
  before: unknown;
  after: unknown;
  decision: unknown;
  prev_hash: string;
  hash: string;
}

function auditEntryOf(row: AuditRow): AuditEntry {
  return {
    seq: Number(row.seq),
    recorded_at: new Date(row.recorded_at).toISOString(),
    event_id: row.event_id,
    event_type: row.event_type,
    stream_type: row.stream_type,
    stream_id: row.stream_id,
    target: { name: row.target_name, version: row.target_version },
    actor: { id: row.actor_id, name: row.actor_name, kind: row.actor_kind, auth_method: row.auth_method },
    request_id: row.request_id,
    client: { address: row.client_address, user_agent: row.user_agent },
    before: row.before ?? null,
    after: row.after ?? null,
    decision: row.decision ?? null,
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}

function auditRowOf(entry: AuditEntry): AuditRow {
  return {
    seq: entry.seq,
    recorded_at: entry.recorded_at,
    event_id: entry.event_id,
    event_type: entry.event_type,
    stream_type: entry.stream_type,
    stream_id: entry.stream_id,
    target_name: entry.target.name,
    target_version: entry.target.version,
    actor_id: entry.actor.id,
    actor_name: entry.actor.name,
    actor_kind: entry.actor.kind,
    auth_method: entry.actor.auth_method,
    request_id: entry.request_id,
    client_address: entry.client.address,
    user_agent: entry.client.user_agent,
    before: entry.before,
    after: entry.after,
    decision: entry.decision,
    prev_hash: entry.prev_hash,
    hash: entry.hash,
  };
}

/**
 * Appends rows to the chain inside the caller's transaction. The head row is locked here, so concurrent
 * writers queue only for this last step of their transactions and every row follows the one committed
 * before it.
 */
export async function appendAuditEntries(
  tx: Queryable,
  schema: string,
  contents: Omit<AuditContent, 'seq'>[],
): Promise<AuditEntry[]> {
  if (contents.length === 0) return [];
  const { rows } = await tx.query<{ seq: string | number; hash: string }>(
    `SELECT seq, hash FROM ${schema}.audit_head WHERE singleton FOR UPDATE`,
  );
  const entries = chainEntries({ seq: Number(rows[0].seq), hash: rows[0].hash }, contents);
  const last = entries[entries.length - 1];
  await tx.query(
    `WITH added AS (
       INSERT INTO ${schema}.audit_log (${COLUMNS})
       SELECT ${COLUMNS} FROM jsonb_to_recordset($1::jsonb) AS r(${RECORD_TYPES})
     )
     UPDATE ${schema}.audit_head SET seq = $2, hash = $3 WHERE singleton`,
    [JSON.stringify(entries.map(auditRowOf)), last.seq, last.hash],
  );
  return entries;
}

/** The chain's head: the last row's sequence number and hash. */
export async function auditHead(db: Queryable, schema: string): Promise<{ seq: number; hash: string }> {
  const { rows } = await db.query<{ seq: string | number; hash: string }>(
    `SELECT seq, hash FROM ${schema}.audit_head WHERE singleton`,
  );
  return { seq: Number(rows[0].seq), hash: rows[0].hash };
}

/** Rows after `afterSeq`, in chain order. */
export async function auditEntriesAfter(
  db: Queryable,
  schema: string,
  afterSeq: number,
  limit: number,
): Promise<AuditEntry[]> {
  const { rows } = await db.query<AuditRow>(
    `SELECT ${COLUMNS} FROM ${schema}.audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`,
    [afterSeq, limit],
  );
  return rows.map(auditEntryOf);
}

/** Which rows a search or an export wants: each filter left out matches every row. */
export interface AuditFilter {
  targetName?: string;
  targetVersion?: number;
  /** An actor's id or name. */
  actor?: string;
  eventType?: string;
  /** Recorded at or after, in milliseconds since the epoch. */
  from?: number;
  /** Recorded before, in milliseconds since the epoch. */
  to?: number;
  /** true: only rows whose decision was a break-glass; false: only the others. */
  breakGlass?: boolean;
}

export type AuditOrder = 'newest' | 'oldest';

/**
 * A page of matching rows: newest or oldest first, after the row `afterSeq` in that order (none: from
 * the start). Keyed on the sequence number, so rows appended meanwhile never shift a page.
 */
export async function searchAuditEntries(
  db: Queryable,
  schema: string,
  filter: AuditFilter,
  page: { order: AuditOrder; afterSeq?: number; limit: number },
): Promise<AuditEntry[]> {
  const newest = page.order === 'newest';
  const params: unknown[] = [];
  const where: string[] = [];
  // Only the filters given, so the planner sees plain conditions it can match to an index.
  const condition = (value: unknown, sql: (placeholder: string) => string) => {
    if (value === undefined) return;
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  condition(filter.targetName, (p) => `target_name = ${p}`);
  condition(filter.targetVersion, (p) => `target_version = ${p}`);
  condition(filter.actor, (p) => `(actor_id = ${p} OR actor_name = ${p})`);
  condition(filter.eventType, (p) => `event_type = ${p}`);
  condition(filter.from, (p) => `recorded_at >= to_timestamp(${p}::double precision / 1000)`);
  condition(filter.to, (p) => `recorded_at < to_timestamp(${p}::double precision / 1000)`);
  if (filter.breakGlass !== undefined)
    where.push(filter.breakGlass ? BREAK_GLASS : `NOT coalesce(${BREAK_GLASS}, false)`);
  condition(page.afterSeq, (p) => `seq ${newest ? '<' : '>'} ${p}`);
  params.push(page.limit);
  const { rows } = await db.query<AuditRow>(
    `SELECT ${COLUMNS} FROM ${schema}.audit_log
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY seq ${newest ? 'DESC' : 'ASC'} LIMIT $${params.length}`,
    params,
  );
  return rows.map(auditEntryOf);
}
