import { eventStoreSchema, streamStateVersionSchema } from '@logbook/eventstore';
import { auditBreakGlassSchema, auditExportSchema, auditLogSchema } from '@logbook/audit';
import { SqlMigration } from '@logbook/platform';

export const REGISTRY_SCHEMA = 'registry';

const projections = `
CREATE TABLE registry.registered_models (
  registered_model_id text PRIMARY KEY,
  name text NOT NULL UNIQUE,
  description text,
  creation_time bigint NOT NULL,
  last_updated_time bigint NOT NULL
);
CREATE TABLE registry.registered_model_tags (
  registered_model_id text NOT NULL REFERENCES registry.registered_models ON DELETE CASCADE,
  key text NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (registered_model_id, key)
);
CREATE INDEX registered_model_tags_by_key ON registry.registered_model_tags (key, value);
CREATE TABLE registry.registered_model_aliases (
  registered_model_id text NOT NULL REFERENCES registry.registered_models ON DELETE CASCADE,
  alias text NOT NULL,
  version integer NOT NULL,
  PRIMARY KEY (registered_model_id, alias)
);
CREATE TABLE registry.model_versions (
  registered_model_id text NOT NULL REFERENCES registry.registered_models ON DELETE CASCADE,
  version integer NOT NULL,
  name text NOT NULL,
  creation_time bigint NOT NULL,
  last_updated_time bigint NOT NULL,
  description text,
  source text NOT NULL,
  storage_location text,
  run_id text,
  run_link text,
  model_id text,
  status text NOT NULL,
  status_message text,
  digest text,
  current_stage text NOT NULL,
  PRIMARY KEY (registered_model_id, version)
);
CREATE INDEX model_versions_by_name ON registry.model_versions (name, version);
CREATE INDEX model_versions_by_run ON registry.model_versions (run_id);
CREATE INDEX model_versions_by_update ON registry.model_versions (last_updated_time DESC, name, version DESC);
CREATE TABLE registry.model_version_tags (
  registered_model_id text NOT NULL,
  version integer NOT NULL,
  key text NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (registered_model_id, version, key),
  FOREIGN KEY (registered_model_id, version) REFERENCES registry.model_versions ON DELETE CASCADE
);
CREATE INDEX model_version_tags_by_key ON registry.model_version_tags (key, value);
`;

// What the registry learned of runs and logged models from tracking's events: a version's lineage.
const lineage = `
CREATE TABLE registry.lineage_runs (
  run_id text PRIMARY KEY,
  experiment_id text NOT NULL,
  run_name text NOT NULL,
  user_id text NOT NULL,
  status text NOT NULL,
  start_time bigint NOT NULL,
  end_time bigint,
  lifecycle_stage text NOT NULL DEFAULT 'active'
);
CREATE TABLE registry.lineage_run_params (
  run_id text NOT NULL REFERENCES registry.lineage_runs ON DELETE CASCADE,
  key text NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (run_id, key)
);
CREATE TABLE registry.lineage_run_metrics (
  run_id text NOT NULL REFERENCES registry.lineage_runs ON DELETE CASCADE,
  key text NOT NULL,
  value double precision NOT NULL,
  timestamp bigint NOT NULL,
  step bigint NOT NULL,
  PRIMARY KEY (run_id, key)
);
CREATE TABLE registry.lineage_run_datasets (
  run_id text NOT NULL REFERENCES registry.lineage_runs ON DELETE CASCADE,
  name text NOT NULL,
  digest text NOT NULL,
  source_type text NOT NULL,
  source text NOT NULL,
  context text,
  PRIMARY KEY (run_id, name, digest)
);
CREATE TABLE registry.lineage_logged_models (
  model_id text PRIMARY KEY,
  experiment_id text NOT NULL,
  name text NOT NULL,
  source_run_id text,
  artifact_location text NOT NULL,
  deleted boolean NOT NULL DEFAULT false
);
`;

// A model's history and state as of a time read its events across its own stream and its versions' streams,
// all of which name it; a name is resolved to the model that last took it. Hash: a name may be long.
const history = `
CREATE INDEX events_by_registered_model ON registry.events ((data->>'registeredModelId'), global_position);
CREATE INDEX events_by_model_name ON registry.events USING hash ((data->>'name'))
  WHERE type IN ('RegisteredModelCreated', 'RegisteredModelRenamed');
`;

// Each version's activity list (Databricks' get-activities): comments and transitions, oldest first. Keyed by
// the model's id, so it follows a rename.
const versionActivities = `
CREATE TABLE registry.version_activities (
  activity_id text PRIMARY KEY,
  registered_model_id text NOT NULL,
  version integer NOT NULL,
  position bigint NOT NULL,
  activity_type text NOT NULL,
  user_id text NOT NULL,
  author_id text NOT NULL,
  comment text,
  system_comment text,
  from_stage text,
  to_stage text,
  creation_time bigint NOT NULL,
  last_updated_time bigint NOT NULL
);
CREATE INDEX version_activities_by_version ON registry.version_activities
  (registered_model_id, version, creation_time, position);
`;

// Approval policies: the live version of each, and every version ever recorded (requests name the one they met).
const policies = `
CREATE TABLE registry.policies (
  name text PRIMARY KEY,
  version integer NOT NULL,
  applies_to text NOT NULL,
  applies_to_like text NOT NULL,
  definition jsonb NOT NULL,
  hash text NOT NULL,
  creation_time bigint NOT NULL,
  last_updated_time bigint NOT NULL
);
CREATE TABLE registry.policy_versions (
  name text NOT NULL,
  version integer NOT NULL,
  definition jsonb NOT NULL,
  hash text NOT NULL,
  creation_time bigint NOT NULL,
  time bigint NOT NULL,
  PRIMARY KEY (name, version)
);
`;

// Each class name ends with the time its migration was written, which orders them.
export class RegistryEventStore1796447390000 extends SqlMigration {
  constructor() {
    super(eventStoreSchema(REGISTRY_SCHEMA), '001_event_store');
  }
}

export class RegistryProjections1796447390001 extends SqlMigration {
  constructor() {
    super(projections, '002_projections');
  }
}

export class RegistryStreamStateVersion1796447390002 extends SqlMigration {
  constructor() {
    super(streamStateVersionSchema(REGISTRY_SCHEMA), '003_stream_state_version');
  }
}

export class RegistryLineage1796451273000 extends SqlMigration {
  constructor() {
    super(lineage, '004_lineage');
  }
}

export class RegistryHistory1796459290000 extends SqlMigration {
  constructor() {
    super(history, '005_history');
  }
}

export class RegistryAudit1796500000000 extends SqlMigration {
  constructor() {
    super(auditLogSchema(REGISTRY_SCHEMA), '006_audit');
  }
}

export class RegistryPolicies1796500000100 extends SqlMigration {
  constructor() {
    super(policies, '007_policies');
  }
}

export class RegistryVersionActivities1796500000200 extends SqlMigration {
  constructor() {
    super(versionActivities, '008_version_activities');
  }
}

// Transition requests: one row per request, and at most one open request per version and target.
const transitionRequests = `
CREATE TABLE registry.transition_requests (
  request_id text PRIMARY KEY,
  registered_model_id text NOT NULL,
  version integer NOT NULL,
  target_kind text NOT NULL,
  target text NOT NULL,
  from_stage text NOT NULL,
  status text NOT NULL,
  requester_id text NOT NULL,
  requester_name text NOT NULL,
  comment text,
  policy_name text,
  policy_version integer,
  digest text NOT NULL,
  approvals jsonb NOT NULL,
  evaluation jsonb,
  break_glass jsonb,
  expires_at bigint,
  creation_time bigint NOT NULL,
  last_updated_time bigint NOT NULL
);
CREATE UNIQUE INDEX transition_requests_open
  ON registry.transition_requests (registered_model_id, version, target_kind, target) WHERE status = 'PENDING';
CREATE INDEX transition_requests_of_version ON registry.transition_requests (registered_model_id, version, creation_time);
CREATE INDEX transition_requests_expiring ON registry.transition_requests (expires_at) WHERE status = 'PENDING';
`;

export class RegistryTransitionRequests1796500000300 extends SqlMigration {
  constructor() {
    super(transitionRequests, '009_transition_requests');
  }
}

// Audit rows carry policy decisions: break-glass uses indexed; and where the trail's export to Kafka stands.
export class RegistryAuditDecisions1796500000400 extends SqlMigration {
  constructor() {
    super(auditBreakGlassSchema(REGISTRY_SCHEMA) + auditExportSchema(REGISTRY_SCHEMA), '010_audit_decisions');
  }
}

// Webhooks (projection of their streams) and their delivery ledger (written by the delivery subscription).
const webhooks = `
CREATE TABLE registry.webhooks (
  webhook_id text PRIMARY KEY,
  flavor text NOT NULL,
  name text,
  description text,
  url text NOT NULL,
  events jsonb NOT NULL,
  model_name text,
  status text NOT NULL,
  secrets jsonb NOT NULL,
  authorization_header text,
  enable_ssl_verification boolean NOT NULL,
  paused_reason text,
  paused_at bigint,
  creator_id text,
  creation_timestamp bigint NOT NULL,
  last_updated_timestamp bigint NOT NULL
);
CREATE INDEX webhooks_by_creation ON registry.webhooks (flavor, creation_timestamp DESC, webhook_id);
CREATE TABLE registry.webhook_subscribers (
  webhook_id text PRIMARY KEY,
  flavor text NOT NULL,
  events jsonb NOT NULL,
  model_name text,
  receiving boolean NOT NULL
);
CREATE TABLE registry.webhook_prompt_models (
  registered_model_id text PRIMARY KEY
);
CREATE TABLE registry.webhook_deliveries (
  sequence bigserial PRIMARY KEY,
  delivery_id uuid NOT NULL UNIQUE,
  webhook_id text NOT NULL,
  event_id uuid NOT NULL,
  event_key text NOT NULL,
  occurrence_key text NOT NULL,
  body text NOT NULL,
  status text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at bigint NOT NULL,
  requeued_at bigint,
  attempts_before_requeue integer NOT NULL DEFAULT 0,
  occurred_at bigint NOT NULL,
  created_at bigint NOT NULL,
  last_attempt_at bigint,
  completed_at bigint,
  last_status_code integer,
  last_error text,
  last_latency_ms integer,
  last_response_excerpt text,
  UNIQUE (webhook_id, event_id, occurrence_key)
);
CREATE INDEX webhook_deliveries_due ON registry.webhook_deliveries (webhook_id, sequence) WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_of_webhook ON registry.webhook_deliveries (webhook_id, created_at DESC, sequence DESC);
CREATE TABLE registry.webhook_delivery_attempts (
  delivery_id uuid NOT NULL REFERENCES registry.webhook_deliveries (delivery_id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  trigger text NOT NULL,
  started_at bigint NOT NULL,
  latency_ms integer NOT NULL,
  status_code integer,
  outcome text NOT NULL,
  error text,
  response_excerpt text,
  PRIMARY KEY (delivery_id, attempt)
);
`;

export class RegistryWebhooks1796500000500 extends SqlMigration {
  constructor() {
    super(webhooks, '011_webhooks');
  }
}

export const registryMigrations: SqlMigration[] = [
  new RegistryEventStore1796447390000(),
  new RegistryProjections1796447390001(),
  new RegistryStreamStateVersion1796447390002(),
  new RegistryLineage1796451273000(),
  new RegistryHistory1796459290000(),
  new RegistryAudit1796500000000(),
  new RegistryPolicies1796500000100(),
  new RegistryVersionActivities1796500000200(),
  new RegistryTransitionRequests1796500000300(),
  new RegistryAuditDecisions1796500000400(),
  new RegistryWebhooks1796500000500(),
];
