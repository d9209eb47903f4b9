import { EventEnvelope } from '../../../libs/eventstore/src/envelope';
import { InlineProjection } from '../../../libs/eventstore/src/projection';
import { ArtifactEvent } from './artifact.events';

/** The index of stored artifacts with their digests: what a later verification or purge works from. */
export const artifactsProjection: InlineProjection = {
  name: 'objects',
  tables: ['artifacts.objects'],
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
      } else if (event.type === 'ArtifactDeleted') {
        await tx.query(`DELETE FROM artifacts.objects WHERE path = $1`, [event.data.path]);
      }
    }
  },
};
