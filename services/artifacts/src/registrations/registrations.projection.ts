import { EventEnvelope, InlineProjection } from '@logbook/eventstore';
import { RegistrationEvent } from './registration.events';

/** The files of each verified model version, with their sizes and digests. */
export const registrationsProjection: InlineProjection = {
  name: 'registered-files',
  tables: ['artifacts.registered_files'],
  async apply(tx, events: EventEnvelope[]) {
    for (const envelope of events) {
      const event = envelope as unknown as RegistrationEvent;
      if (event.type !== 'ModelVersionVerified') continue;
      const { registeredModelId, version, files } = event.data;
      await tx.query(
        `INSERT INTO artifacts.registered_files (registered_model_id, version, path, size, sha256)
         SELECT $1, $2, path, size, sha256 FROM unnest($3::text[], $4::bigint[], $5::text[]) AS f(path, size, sha256)
         ON CONFLICT DO NOTHING`,
        [registeredModelId, version, files.map((f) => f.path), files.map((f) => f.size), files.map((f) => f.sha256)],
      );
    }
  },
};
