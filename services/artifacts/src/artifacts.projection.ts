import { EventEnvelope, InlineProjection } from '@logbook/eventstore';
import { ArtifactEvent } from './artifact.events';

/** The index of stored artifacts with their digests, and of the models among them. */
export const artifactsProjection: InlineProjection = {
  name: 'objects',
  tables: ['artifacts.models', 'artifacts.objects'],
  async apply(tx, events: EventEnvelope[]) {
    for (const envelope of events) {
      const event = envelope as unknown as ArtifactEvent;
      if (event.type === 'ArtifactStored') {
        const d = event.data;
        await tx.query(
          `INSERT INTO artifacts.objects (path, root, size, sha256, content_type, stored_at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (path) DO UPDATE SET size = excluded.size, sha256 = excluded.sha256,
             content_type = excluded.content_type, stored_at = excluded.stored_at`,
          [d.path, d.root, d.size, d.sha256, d.contentType, d.time],
        );
      } else if (event.type === 'ModelDescribed') {
        const d = event.data;
        await tx.query(
          `INSERT INTO artifacts.models (model_path, root, run_id, model_id, summary, described_at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (model_path) DO UPDATE SET summary = excluded.summary, described_at = excluded.described_at`,
          [d.modelPath, d.root, d.runId, d.modelId, JSON.stringify(d.summary), d.time],
        );
      } else if (event.type === 'ArtifactDeleted') {
        await tx.query(`DELETE FROM artifacts.objects WHERE path = $1`, [event.data.path]);
        await tx.query(`DELETE FROM artifacts.models WHERE model_path || '/MLmodel' = $1`, [event.data.path]);
      }
    }
  },
};
