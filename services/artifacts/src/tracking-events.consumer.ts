import { isStoreRoot, proxiedRoot } from '@logbook/artifact-paths';
import {
  ContractEvent,
  ExperimentDeletedV1,
  ExperimentRestoredV1,
  LoggedModelCreatedV1,
  LoggedModelDeletedV1,
  RunCreatedV1,
  RunDeletedV1,
  RunPurgedV1,
  RunRestoredV1,
  TRACKING_EXPERIMENT_TOPIC,
  TRACKING_LOGGED_MODEL_TOPIC,
  TRACKING_RUN_TOPIC,
} from '@logbook/contracts';
import { Queryable, Logger, systemActor } from '@logbook/platform';
import { EventEnvelope, EventStore } from '@logbook/eventstore';
import { ConsumerDefinition, consumes } from '@logbook/messaging';
import { ARTIFACTS_SCHEMA } from '../migrations/001_initial';
import { artifactStream, artifactStreamId } from './artifact.decider';
import { inRegistryStorage } from './registrations/registration-source';
import { ArtifactStorage } from './storage/artifact-storage';

/** The tracking events this consumer acts on; their payloads are checked against these contracts first. */
const HANDLED = [
  RunCreatedV1,
  RunDeletedV1,
  RunRestoredV1,
  RunPurgedV1,
  LoggedModelCreatedV1,
  LoggedModelDeletedV1,
  ExperimentDeletedV1,
  ExperimentRestoredV1,
];
type TrackingEvent = ContractEvent<(typeof HANDLED)[number]>;

async function addOwner(
  tx: Queryable,
  kind: 'run' | 'logged-model',
  ownerId: string,
  experimentId: string,
  uri: string,
) {
  const proxied = proxiedRoot(uri);
  if (proxied === undefined) return;
  // A location refused by the gatekeeper (stored before locations were checked), or one inside registry
  // storage (which no run may write or purge), is kept as it is, so the owner is known, but it matches
  // no artifact path and isStoreRoot tells it apart.
  const root = 'root' in proxied && !inRegistryStorage(proxied.root) ? proxied.root : uri;
  await tx.query(
    `INSERT INTO artifacts.owners (root, kind, owner_id, experiment_id, lifecycle_stage) VALUES ($1, $2, $3, $4, 'active')
     ON CONFLICT (root) DO NOTHING`,
    [root, kind, ownerId, experimentId],
  );
}

/**
 * A purged run's artifacts are removed from the store (idempotent, so a redelivery repeats it
 * harmlessly) and recorded as deleted in the same transaction as the consumer's inbox entry.
 */
async function purgeArtifacts(tx: Queryable, envelope: EventEnvelope, runId: string, deps: ConsumerDeps) {
  const { rows } = await tx.query<{ root: string }>(`SELECT root FROM artifacts.owners WHERE owner_id = $1`, [runId]);
  if (rows.length === 0) return;
  const root = rows[0].root;
  if (!isStoreRoot(root)) {
    deps.logger.warn({ runId, location: root }, 'purged run has an invalid artifact location: nothing deleted');
    await tx.query(`UPDATE artifacts.owners SET lifecycle_stage = 'purged' WHERE root = $1`, [root]);
    return;
  }
  await deps.storage.delete(root);
  const { rows: stored } = await tx.query<{ path: string }>(`SELECT path FROM artifacts.objects WHERE root = $1`, [
    root,
  ]);
  const metadata = {
    now: Date.now(),
    actor: systemActor('artifacts'),
    requestId: envelope.correlationId,
    causationId: envelope.eventId,
  };
  await deps.store.handleIn(
    tx,
    artifactStream,
    artifactStreamId(root),
    { type: 'RecordArtifactsDeleted', data: { root, paths: stored.map((r) => r.path) }, metadata },
    metadata,
  );
  await tx.query(`UPDATE artifacts.owners SET lifecycle_stage = 'purged' WHERE root = $1`, [root]);
}

interface ConsumerDeps {
  store: EventStore;
  storage: ArtifactStorage;
  logger: Logger;
  /** After each handled event committed (see ConsumerDefinition.onHandled). */
  onHandled?: ConsumerDefinition['onHandled'];
}

function handler(deps: ConsumerDeps) {
  return async (tx: Queryable, envelope: EventEnvelope): Promise<void> => {
    const event = envelope as unknown as TrackingEvent;
    switch (event.type) {
      case 'RunCreated':
        return addOwner(tx, 'run', event.data.runId, event.data.experimentId, event.data.artifactUri);
      case 'LoggedModelCreated':
        return addOwner(tx, 'logged-model', event.data.modelId, event.data.experimentId, event.data.artifactUri);
      case 'RunDeleted':
      case 'RunRestored':
        await tx.query(
          `UPDATE artifacts.owners SET lifecycle_stage = $2 WHERE owner_id = $1 AND lifecycle_stage <> 'purged'`,
          [event.data.runId, event.type === 'RunDeleted' ? 'deleted' : 'active'],
        );
        return;
      case 'RunPurged':
        return purgeArtifacts(tx, envelope, event.data.runId, deps);
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
  };
}

export const TRACKING_EVENTS_CONSUMER = 'artifacts.tracking-events';

/** Which runs and logged models exist, are deleted or purged, learned from tracking's events. */
export function trackingEventsConsumer(deps: ConsumerDeps): ConsumerDefinition {
  return {
    name: TRACKING_EVENTS_CONSUMER,
    schema: ARTIFACTS_SCHEMA,
    handle: handler(deps),
    // A purge's deletion from the store is its one effect outside the transaction, and an idempotent one:
    // a batch rolled back after it deletes again when its events are retried, as a redelivery after a
    // crash between the deletion and the commit does.
    batchable: true,
    ...consumes(HANDLED),
    onHandled: deps.onHandled,
  };
}

export const TRACKING_TOPICS = [TRACKING_RUN_TOPIC, TRACKING_EXPERIMENT_TOPIC, TRACKING_LOGGED_MODEL_TOPIC].map(
  (topic) => topic.name,
);
