import { Queryable } from '../../../libs/platform/src/database';
import { EventEnvelope } from '../../../libs/eventstore/src/envelope';
import { ConsumerDefinition } from '../../../libs/messaging/src/consumer';
import { eventTopic } from '../../../libs/messaging/src/topics';
import { ARTIFACTS_SCHEMA } from '../migrations/001_initial';

const PROXIED_SCHEME = 'mlflow-artifacts:';

/** `mlflow-artifacts:/1/abc/artifacts` → `1/abc/artifacts`; other schemes are not stored by this service. */
export function proxiedRoot(artifactUri: string): string | undefined {
  if (!artifactUri.startsWith(PROXIED_SCHEME)) return undefined;
  return artifactUri.slice(PROXIED_SCHEME.length).replace(/^\/+/, '').replace(/\/+$/, '');
}

type TrackingEvent =
  | { type: 'RunCreated'; data: { runId: string; experimentId: string; artifactUri: string } }
  | { type: 'RunDeleted' | 'RunRestored'; data: { runId: string } }
  | { type: 'LoggedModelCreated'; data: { modelId: string; experimentId: string; artifactUri: string } }
  | { type: 'LoggedModelDeleted'; data: { modelId: string } }
  | { type: 'ExperimentDeleted' | 'ExperimentRestored'; data: { experimentId: string } };

async function addOwner(
  tx: Queryable,
  kind: 'run' | 'logged-model',
  ownerId: string,
  experimentId: string,
  uri: string,
) {
  const root = proxiedRoot(uri);
  if (root === undefined) return;
  await tx.query(
    `INSERT INTO artifacts.owners (root, kind, owner_id, experiment_id, lifecycle_stage) VALUES ($1, $2, $3, $4, 'active')
     ON CONFLICT (root) DO NOTHING`,
    [root, kind, ownerId, experimentId],
  );
}

async function apply(tx: Queryable, envelope: EventEnvelope): Promise<void> {
  const event = envelope as unknown as TrackingEvent;
  switch (event.type) {
    case 'RunCreated':
      return addOwner(tx, 'run', event.data.runId, event.data.experimentId, event.data.artifactUri);
    case 'LoggedModelCreated':
      return addOwner(tx, 'logged-model', event.data.modelId, event.data.experimentId, event.data.artifactUri);
    case 'RunDeleted':
    case 'RunRestored':
      await tx.query(`UPDATE artifacts.owners SET lifecycle_stage = $2 WHERE owner_id = $1`, [
        event.data.runId,
        event.type === 'RunDeleted' ? 'deleted' : 'active',
      ]);
      return;
    case 'LoggedModelDeleted':
      await tx.query(`UPDATE artifacts.owners SET lifecycle_stage = 'deleted' WHERE owner_id = $1`, [
        event.data.modelId,
      ]);
      return;
    case 'ExperimentDeleted':
    case 'ExperimentRestored':
      await tx.query(`UPDATE artifacts.owners SET experiment_lifecycle_stage = $2 WHERE experiment_id = $1`, [
        event.data.experimentId,
        event.type === 'ExperimentDeleted' ? 'deleted' : 'active',
      ]);
      return;
  }
}

/** Which runs and logged models exist and whether they are deleted, learned from tracking's events. */
export const trackingEventsConsumer: ConsumerDefinition = {
  name: 'artifacts.tracking-events',
  schema: ARTIFACTS_SCHEMA,
  handle: apply,
};

export const TRACKING_TOPICS = ['run', 'experiment', 'logged-model'].map((streamType) =>
  eventTopic('tracking', streamType),
);
