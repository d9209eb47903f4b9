/** DDL of one service's event log, stream heads, relay checkpoints and consumer inbox. */
export function eventStoreSchema(schema: string): string {
  return `
CREATE TABLE IF NOT EXISTS ${schema}.events (
  global_position bigserial PRIMARY KEY,
  event_id uuid NOT NULL UNIQUE,
  stream_id text NOT NULL,
  stream_type text NOT NULL,
  stream_position integer NOT NULL,
  type text NOT NULL,
  schema_version integer NOT NULL,
  data jsonb NOT NULL,
  metadata jsonb NOT NULL,
  occurred_at timestamptz NOT NULL,
  transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  UNIQUE (stream_id, stream_position)
);
CREATE INDEX IF NOT EXISTS events_publication_order ON ${schema}.events (transaction_id, global_position);
CREATE TABLE IF NOT EXISTS ${schema}.streams (
  stream_id text PRIMARY KEY,
  stream_type text NOT NULL,
  version integer NOT NULL,
  state jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS ${schema}.checkpoints (
  name text PRIMARY KEY,
  transaction_id xid8 NOT NULL,
  global_position bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS ${schema}.inbox (
  consumer text NOT NULL,
  event_id uuid NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
`;
}

/**
 * The version of the decider state a stream head holds. Rows that predate the column were folded by
 * the first state shape of every decider, hence the default.
 */
export function streamStateVersionSchema(schema: string): string {
  return `ALTER TABLE ${schema}.streams ADD COLUMN IF NOT EXISTS state_version integer NOT NULL DEFAULT 1;`;
}
