import { EventEnvelope, InlineProjection } from '@logbook/eventstore';
import { Queryable } from '@logbook/platform';
import { REGISTRY_SCHEMA } from '../../migrations/001_initial';
import { appliesToLike } from './policy-definition';
import { PolicyEvent } from './policy.events';

async function applyPolicyEvent(tx: Queryable, event: PolicyEvent): Promise<void> {
  switch (event.type) {
    // A version is the whole definition: created or changed, the live row becomes it and the version is kept.
    case 'PolicyCreated':
    case 'PolicyUpdated': {
      const { name, version, definition, hash, time } = event.data;
      await tx.query(
        `INSERT INTO registry.policies
           (name, version, applies_to, applies_to_like, definition, hash, creation_time, last_updated_time)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $7)
         ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, applies_to = EXCLUDED.applies_to,
           applies_to_like = EXCLUDED.applies_to_like, definition = EXCLUDED.definition, hash = EXCLUDED.hash,
           last_updated_time = EXCLUDED.last_updated_time`,
        [
          name,
          version,
          definition.applies_to,
          appliesToLike(definition.applies_to),
          JSON.stringify(definition),
          hash,
          time,
        ],
      );
      await tx.query(
        `INSERT INTO registry.policy_versions (name, version, definition, hash, creation_time, time)
         SELECT $1, $2, $3::jsonb, $4, creation_time, $5 FROM registry.policies WHERE name = $1`,
        [name, version, JSON.stringify(definition), hash, time],
      );
      return;
    }
    case 'PolicyDeleted':
      await tx.query(`DELETE FROM registry.policies WHERE name = $1`, [event.data.name]);
      return;
  }
}

/** The approval policies: the live version of each, and every version recorded (kept after a deletion). */
export const policiesProjection: InlineProjection = {
  name: 'policies',
  tables: [`${REGISTRY_SCHEMA}.policy_versions`, `${REGISTRY_SCHEMA}.policies`],
  async apply(tx, events: EventEnvelope[]) {
    for (const event of events) {
      if (event.streamType === 'policy') await applyPolicyEvent(tx, event as unknown as PolicyEvent);
    }
  },
};
