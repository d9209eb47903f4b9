import { eventStoreSchema, streamStateVersionSchema } from '@logbook/eventstore';
import { Migration } from '@logbook/platform';

export const ARTIFACTS_SCHEMA = 'artifacts';

const projections = `
CREATE TABLE artifacts.owners (
  root text PRIMARY KEY,
  kind text NOT NULL,
  owner_id text NOT NULL UNIQUE,
  experiment_id text NOT NULL,
  lifecycle_stage text NOT NULL,
  experiment_lifecycle_stage text NOT NULL DEFAULT 'active'
);
CREATE INDEX owners_by_experiment ON artifacts.owners (experiment_id);
CREATE TABLE artifacts.objects (
  path text PRIMARY KEY,
  root text NOT NULL,
  size bigint NOT NULL,
  sha256 text NOT NULL,
  content_type text,
  stored_at bigint NOT NULL
);
CREATE INDEX objects_by_root ON artifacts.objects (root);
`;

const models = `
CREATE TABLE artifacts.models (
  model_path text PRIMARY KEY,
  root text NOT NULL,
  run_id text,
  model_id text,
  summary jsonb NOT NULL,
  described_at bigint NOT NULL
);
`;

export const artifactsMigrations: Migration[] = [
  { id: '001_event_store', sql: eventStoreSchema(ARTIFACTS_SCHEMA) },
  { id: '002_projections', sql: projections },
  { id: '003_models', sql: models },
  { id: '004_stream_state_version', sql: streamStateVersionSchema(ARTIFACTS_SCHEMA) },
];
