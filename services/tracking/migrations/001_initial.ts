import { eventStoreSchema, streamStateVersionSchema } from '@logbook/eventstore';
import { MigrationQueries, SqlMigration } from '@logbook/platform';

export const TRACKING_SCHEMA = 'tracking';

const projections = `
CREATE SEQUENCE IF NOT EXISTS tracking.experiment_ids START WITH 1;
CREATE TABLE tracking.experiments (
  experiment_id bigint PRIMARY KEY,
  name text NOT NULL UNIQUE,
  artifact_location text NOT NULL,
  lifecycle_stage text NOT NULL,
  creation_time bigint NOT NULL,
  last_update_time bigint NOT NULL
);
CREATE TABLE tracking.experiment_tags (
  experiment_id bigint NOT NULL REFERENCES tracking.experiments ON DELETE CASCADE,
  key text NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (experiment_id, key)
);
CREATE TABLE tracking.runs (
  run_key serial UNIQUE,
  run_id text PRIMARY KEY,
  experiment_id bigint NOT NULL,
  name text NOT NULL,
  user_id text NOT NULL,
  status text NOT NULL,
  start_time bigint NOT NULL,
  end_time bigint,
  artifact_uri text NOT NULL,
  lifecycle_stage text NOT NULL,
  deleted_time bigint
);
CREATE INDEX runs_by_experiment ON tracking.runs (experiment_id, start_time DESC, run_id);
CREATE TABLE tracking.params (
  run_key integer NOT NULL,
  key text NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (run_key, key)
);
CREATE TABLE tracking.run_tags (
  run_key integer NOT NULL,
  key text NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (run_key, key)
);
CREATE TABLE tracking.metric_keys (
  key_id serial PRIMARY KEY,
  key text NOT NULL UNIQUE
);
CREATE TABLE tracking.metrics (
  run_key integer NOT NULL,
  key_id integer NOT NULL,
  step bigint NOT NULL,
  ts bigint NOT NULL,
  value double precision NOT NULL,
  PRIMARY KEY (run_key, key_id, step, ts, value)
);
CREATE TABLE tracking.latest_metrics (
  run_key integer NOT NULL,
  key_id integer NOT NULL,
  step bigint NOT NULL,
  ts bigint NOT NULL,
  value double precision NOT NULL,
  PRIMARY KEY (run_key, key_id)
);
CREATE INDEX latest_metrics_by_key ON tracking.latest_metrics (key_id, value);
CREATE TABLE tracking.model_metrics (
  model_id text NOT NULL,
  run_id text NOT NULL,
  key text NOT NULL,
  value double precision NOT NULL,
  ts bigint NOT NULL,
  step bigint NOT NULL,
  dataset_name text,
  dataset_digest text
);
CREATE INDEX model_metrics_by_model ON tracking.model_metrics (model_id);
CREATE TABLE tracking.datasets (
  dataset_key serial PRIMARY KEY,
  experiment_id bigint NOT NULL,
  name text NOT NULL,
  digest text NOT NULL,
  source_type text NOT NULL,
  source text NOT NULL,
  schema text,
  profile text,
  UNIQUE (experiment_id, name, digest)
);
CREATE TABLE tracking.run_inputs (
  run_key integer NOT NULL,
  dataset_key integer NOT NULL,
  tags jsonb NOT NULL,
  PRIMARY KEY (run_key, dataset_key)
);
CREATE TABLE tracking.run_models (
  run_key integer NOT NULL,
  model_id text NOT NULL,
  direction text NOT NULL,
  step bigint NOT NULL,
  PRIMARY KEY (run_key, model_id, direction)
);
CREATE TABLE tracking.logged_models (
  model_id text PRIMARY KEY,
  experiment_id bigint NOT NULL,
  name text NOT NULL,
  artifact_uri text NOT NULL,
  status text NOT NULL,
  status_message text,
  model_type text,
  source_run_id text,
  creation_time bigint NOT NULL,
  last_updated_time bigint NOT NULL,
  lifecycle_stage text NOT NULL
);
CREATE INDEX logged_models_by_experiment ON tracking.logged_models (experiment_id, creation_time DESC);
CREATE TABLE tracking.logged_model_tags (
  model_id text NOT NULL,
  key text NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (model_id, key)
);
CREATE TABLE tracking.logged_model_params (
  model_id text NOT NULL,
  key text NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (model_id, key)
);
`;

// Each class name ends with the time its migration was written, which orders them.
export class TrackingEventStore1795704381000 extends SqlMigration {
  constructor() {
    super(eventStoreSchema(TRACKING_SCHEMA), '001_event_store');
  }
}

export class TrackingProjections1795704381001 extends SqlMigration {
  constructor() {
    super(projections, '002_projections');
  }
}

export class TrackingStreamStateVersion1796408902000 extends SqlMigration {
  constructor() {
    super(streamStateVersionSchema(TRACKING_SCHEMA), '003_stream_state_version');
  }
}

/**
 * A metric's points in the order MLflow reads its history (timestamp, step, value), so a page of it is a range
 * of the primary key that starts where the last page ended, instead of a sort and a skip over every point.
 */
export class TrackingMetricsByTimestamp1796630000000 extends SqlMigration {
  constructor() {
    super(`
ALTER TABLE tracking.metrics DROP CONSTRAINT metrics_pkey;
ALTER TABLE tracking.metrics ADD PRIMARY KEY (run_key, key_id, ts, step, value);
`);
  }
}

/**
 * A param's or tag's key and value go together (only lr takes '0.01'), which the planner, multiplying their
 * separate frequencies, underestimates several times over; their joint most common values let it count the runs
 * a filter keeps, and so choose between walking an order's index and sorting every match.
 */
export class TrackingKeyValueStatistics1796640000000 extends SqlMigration {
  constructor() {
    super(`
CREATE STATISTICS tracking.params_key_value (mcv) ON key, value FROM tracking.params;
CREATE STATISTICS tracking.run_tags_key_value (mcv) ON key, value FROM tracking.run_tags;
`);
  }
}

/**
 * Event payloads kept as the JSON text they were written as (json, not jsonb), compressed with lz4 where
 * the server has it: a log-batch's 80 kB payload is then copied, not parsed into jsonb's binary form and
 * compressed with pglz, which cost Postgres more than the metric rows themselves. Payloads are read whole
 * (rebuilds, the relay, feeds); the one field lookup (events by a data field) works on json as well.
 */
export class TrackingEventPayloadsAsJson1796720000000 extends SqlMigration {
  constructor() {
    super(`ALTER TABLE tracking.events ALTER COLUMN data TYPE json USING data::json`);
  }

  override async up(runner: MigrationQueries): Promise<void> {
    await super.up(runner);
    // A server built without lz4 (the embedded one) offers only pglz and keeps it.
    const [{ lz4 }] = await runner.query(
      `SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`,
    );
    if (lz4) await runner.query(`ALTER TABLE tracking.events ALTER COLUMN data SET COMPRESSION lz4`);
  }
}

/**
 * The longest key and value, in bytes together, that the key/value indexes of params and run tags hold. A btree
 * entry must fit in a third of a page (2,704 bytes), and MLflow takes tag values up to 8,000 characters
 * (`mlflow.log-model.history`, notes), so the longer ones are left out of those indexes.
 */
export const KEY_VALUE_INDEX_MAX_BYTES = 2000;

/**
 * Indexes that answer a search's probes alone, without reading the table (index-only scans): walking a
 * metric's values gives each run's key, and whether a run has a param or tag of a given value is one entry
 * in the run's (key, value) range, not the primary key's entry plus its table row. The joint statistics take
 * in the length bound the search adds for those indexes, which the planner would otherwise guess keeps a third
 * of the rows; they are empty until the tables' next ANALYZE, which an unchanged table would not get.
 */
export class TrackingCoveringSearchIndexes1796810000000 extends SqlMigration {
  constructor() {
    super(`
DROP INDEX tracking.latest_metrics_by_key;
CREATE INDEX latest_metrics_by_key ON tracking.latest_metrics (key_id, value) INCLUDE (run_key);
CREATE INDEX params_by_key_value ON tracking.params (key, value, run_key)
  WHERE octet_length(key) + octet_length(value) <= ${KEY_VALUE_INDEX_MAX_BYTES};
CREATE INDEX run_tags_by_key_value ON tracking.run_tags (key, value, run_key)
  WHERE octet_length(key) + octet_length(value) <= ${KEY_VALUE_INDEX_MAX_BYTES};
DROP STATISTICS tracking.params_key_value;
CREATE STATISTICS tracking.params_key_value (mcv) ON key, value, (octet_length(key) + octet_length(value))
  FROM tracking.params;
DROP STATISTICS tracking.run_tags_key_value;
CREATE STATISTICS tracking.run_tags_key_value (mcv) ON key, value, (octet_length(key) + octet_length(value))
  FROM tracking.run_tags;
ANALYZE tracking.params;
ANALYZE tracking.run_tags;
`);
  }
}

export const trackingMigrations: SqlMigration[] = [
  new TrackingEventStore1795704381000(),
  new TrackingProjections1795704381001(),
  new TrackingStreamStateVersion1796408902000(),
  new TrackingMetricsByTimestamp1796630000000(),
  new TrackingKeyValueStatistics1796640000000(),
  new TrackingEventPayloadsAsJson1796720000000(),
  new TrackingCoveringSearchIndexes1796810000000(),
];
