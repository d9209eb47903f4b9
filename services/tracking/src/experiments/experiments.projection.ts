import { Queryable } from '@logbook/platform';
import { EventEnvelope, InlineProjection } from '@logbook/eventstore';
import { ExperimentEvent } from './experiment.events';

async function applyOne(tx: Queryable, event: ExperimentEvent): Promise<void> {
  switch (event.type) {
    case 'ExperimentCreated': {
      const { experimentId, name, artifactLocation, tags, creationTime } = event.data;
      await tx.query(
        `INSERT INTO tracking.experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
         VALUES ($1, $2, $3, 'active', $4, $4)`,
        [experimentId, name, artifactLocation, creationTime],
      );
      if (tags.length > 0) {
        await tx.query(
          `INSERT INTO tracking.experiment_tags (experiment_id, key, value)
           SELECT $1, key, value FROM unnest($2::text[], $3::text[]) AS t(key, value)
           ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value`,
          [experimentId, tags.map((t) => t.key), tags.map((t) => t.value)],
        );
      }
      return;
    }
    case 'ExperimentRenamed':
      await tx.query(`UPDATE tracking.experiments SET name = $2, last_update_time = $3 WHERE experiment_id = $1`, [
        event.data.experimentId,
        event.data.name,
        event.data.time,
      ]);
      return;
    case 'ExperimentDeleted':
    case 'ExperimentRestored':
      await tx.query(
        `UPDATE tracking.experiments SET lifecycle_stage = $2, last_update_time = $3 WHERE experiment_id = $1`,
        [event.data.experimentId, event.type === 'ExperimentDeleted' ? 'deleted' : 'active', event.data.time],
      );
      return;
    case 'ExperimentTagSet':
      await tx.query(
        `INSERT INTO tracking.experiment_tags (experiment_id, key, value) VALUES ($1, $2, $3)
         ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value`,
        [event.data.experimentId, event.data.key, event.data.value],
      );
      return;
    case 'ExperimentTagDeleted':
      await tx.query(`DELETE FROM tracking.experiment_tags WHERE experiment_id = $1 AND key = $2`, [
        event.data.experimentId,
        event.data.key,
      ]);
      return;
  }
}

export const experimentsProjection: InlineProjection = {
  name: 'experiments',
  tables: ['tracking.experiment_tags', 'tracking.experiments'],
  async apply(tx, events: EventEnvelope[]) {
    for (const event of events) {
      if (event.streamType === 'experiment') await applyOne(tx, event as unknown as ExperimentEvent);
    }
  },
};
