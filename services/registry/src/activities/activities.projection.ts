import { EventEnvelope, InlineProjection } from '@logbook/eventstore';
import { Queryable } from '@logbook/platform';
import { REGISTRY_SCHEMA } from '../../migrations/001_initial';
import { Activity, ActivityChange, activityChanges } from './version-activities';

const TABLE = `${REGISTRY_SCHEMA}.version_activities`;

async function record(tx: Queryable, activities: Activity[]): Promise<void> {
  const column = <K extends keyof Activity>(key: K) => activities.map((activity) => activity[key]);
  await tx.query(
    `INSERT INTO ${TABLE} (activity_id, registered_model_id, version, position, activity_type, user_id, author_id,
       comment, system_comment, from_stage, to_stage, creation_time, last_updated_time)
     SELECT a.*, a.creation_time FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::text[], $6::text[],
       $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[])
       AS a(activity_id, registered_model_id, version, position, activity_type, user_id, author_id, comment,
         system_comment, from_stage, to_stage, creation_time)`,
    [
      column('activityId'),
      column('registeredModelId'),
      column('version'),
      column('position'),
      column('activityType'),
      column('userId'),
      column('authorId'),
      column('comment'),
      column('systemComment'),
      column('fromStage'),
      column('toStage'),
      column('time'),
    ],
  );
}

async function apply(tx: Queryable, change: ActivityChange): Promise<void> {
  switch (change.kind) {
    case 'recorded':
      return record(tx, change.activities);
    case 'commentEdited':
      await tx.query(`UPDATE ${TABLE} SET comment = $2, last_updated_time = $3 WHERE activity_id = $1`, [
        change.activityId,
        change.comment,
        change.time,
      ]);
      return;
    case 'removed':
      await tx.query(`DELETE FROM ${TABLE} WHERE activity_id = $1`, [change.activityId]);
      return;
    case 'versionGone':
      await tx.query(`DELETE FROM ${TABLE} WHERE registered_model_id = $1 AND version = $2`, [
        change.registeredModelId,
        change.version,
      ]);
      return;
    case 'modelGone':
      await tx.query(`DELETE FROM ${TABLE} WHERE registered_model_id = $1`, [change.registeredModelId]);
      return;
  }
}

/** Each version's activity list (Databricks' get-activities), kept from the registry's log. */
export const activitiesProjection: InlineProjection = {
  name: 'activities',
  tables: [TABLE],
  async apply(tx, events: EventEnvelope[]) {
    for (const event of events) {
      for (const change of activityChanges(event)) await apply(tx, change);
    }
  },
};
