import { SqlMigration } from '@logbook/platform';

// The current name of each registered model whose versions have copies in registry storage, by Logbook's
// id: reads of those copies are authorized on the registered model, and MLflow's grants name a registered
// model by its name. Learned from version creations and renames, the newest by event time winning, since
// the two arrive on different topics. Versions queued before this table existed give their name at queueing.
const registeredModelNames = `
CREATE TABLE artifacts.registered_model_names (
  registered_model_id text PRIMARY KEY,
  name text NOT NULL,
  named_at bigint NOT NULL
);
INSERT INTO artifacts.registered_model_names (registered_model_id, name, named_at)
SELECT DISTINCT ON (registered_model_id) registered_model_id, name, requested_at
FROM artifacts.registrations ORDER BY registered_model_id, requested_at DESC;
`;

export class ArtifactsRegisteredModelNames1796533846000 extends SqlMigration {
  constructor() {
    super(registeredModelNames);
  }
}
