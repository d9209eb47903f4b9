import { eventStoreSchema, streamStateVersionSchema } from '@logbook/eventstore';
import { SqlMigration } from '@logbook/platform';
import { ArtifactsRegisteredModelNames1796533846000 } from './002_registered_model_names';

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

// Versions the registry created, waiting for their copy (a lease keeps two replicas off one), and the
// files each verified copy holds.
const registrations = `
CREATE TABLE artifacts.registrations (
  registered_model_id text NOT NULL,
  version integer NOT NULL,
  name text NOT NULL,
  source text NOT NULL,
  requested_at bigint NOT NULL,
  cause_event_id text NOT NULL,
  correlation_id text NOT NULL,
  done boolean NOT NULL DEFAULT false,
  claimed_until bigint,
  attempts integer NOT NULL DEFAULT 0,
  PRIMARY KEY (registered_model_id, version)
);
CREATE INDEX registrations_pending ON artifacts.registrations (requested_at) WHERE NOT done;
CREATE TABLE artifacts.registered_files (
  registered_model_id text NOT NULL,
  version integer NOT NULL,
  path text NOT NULL,
  size bigint NOT NULL,
  sha256 text NOT NULL,
  PRIMARY KEY (registered_model_id, version, path)
);
`;

// Each class name ends with the time its migration was written, which orders them.
export class ArtifactsEventStore1795709564000 extends SqlMigration {
  constructor() {
    super(eventStoreSchema(ARTIFACTS_SCHEMA), '001_event_store');
  }
}

export class ArtifactsProjections1795709564001 extends SqlMigration {
  constructor() {
    super(projections, '002_projections');
  }
}

export class ArtifactsModels1795709662000 extends SqlMigration {
  constructor() {
    super(models, '003_models');
  }
}

export class ArtifactsStreamStateVersion1796408902000 extends SqlMigration {
  constructor() {
    super(streamStateVersionSchema(ARTIFACTS_SCHEMA), '004_stream_state_version');
  }
}

export class ArtifactsRegistrations1796451145000 extends SqlMigration {
  constructor() {
    super(registrations, '005_registrations');
  }
}

export const artifactsMigrations: SqlMigration[] = [
  new ArtifactsEventStore1795709564000(),
  new ArtifactsProjections1795709564001(),
  new ArtifactsModels1795709662000(),
  new ArtifactsStreamStateVersion1796408902000(),
  new ArtifactsRegistrations1796451145000(),
  new ArtifactsRegisteredModelNames1796533846000(),
];
