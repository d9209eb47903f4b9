import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@logbook/platform';
import { Caller } from '../comments/comment.decider';
import { CommentedVersion } from '../comments/comment.events';
import { DELETED_STAGE } from '../model-versions/model-versions.projection';
import { versionNotFound } from '../registered-models/registered-model.decider';
import { DATABASE } from '../shared/tokens';
import { ActivityType, availableActions } from './version-activities';

export interface ActivityRow {
  activity_id: string;
  activity_type: ActivityType;
  user_id: string;
  author_id: string;
  comment: string | null;
  system_comment: string | null;
  from_stage: string | null;
  to_stage: string | null;
  creation_time: string;
  last_updated_time: string;
}

export const ACTIVITY_COLUMNS = `a.activity_id, a.activity_type, a.user_id, a.author_id, a.comment, a.system_comment, a.from_stage,
  a.to_stage, a.creation_time, a.last_updated_time`;

/** An activity in Databricks' shape; fields without a value, and an empty list of actions, are left out. */
export function activityView(row: ActivityRow, caller: Caller) {
  const actions = availableActions({ activityType: row.activity_type, authorId: row.author_id }, caller);
  return {
    id: row.activity_id,
    activity_type: row.activity_type,
    user_id: row.user_id,
    ...(row.comment !== null ? { comment: row.comment } : {}),
    ...(row.system_comment !== null ? { system_comment: row.system_comment } : {}),
    ...(row.from_stage !== null ? { from_stage: row.from_stage } : {}),
    ...(row.to_stage !== null ? { to_stage: row.to_stage } : {}),
    creation_timestamp: Number(row.creation_time),
    last_updated_timestamp: Number(row.last_updated_time),
    ...(actions.length > 0 ? { available_actions: actions } : {}),
  };
}

@Injectable()
export class ActivitiesQueries {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** A live version by its model's current name, or null. */
  async liveVersion(name: string, version: number): Promise<CommentedVersion | null> {
    const { rows } = await this.db.query<{ registered_model_id: string }>(
      `SELECT registered_model_id FROM registry.model_versions
       WHERE name = $1 AND version = $2::bigint AND current_stage <> '${DELETED_STAGE}'`,
      [name, version],
    );
    return rows[0] ? { registeredModelId: rows[0].registered_model_id, name, version } : null;
  }

  /** A live version's activities, oldest first, with what the caller may do with each. */
  async ofVersion(name: string, version: number, caller: Caller) {
    const found = await this.liveVersion(name, version);
    if (!found) throw versionNotFound(name, version);
    const { rows } = await this.db.query<ActivityRow>(
      `SELECT ${ACTIVITY_COLUMNS} FROM registry.version_activities a WHERE a.registered_model_id = $1 AND a.version = $2
       ORDER BY a.creation_time, a.position`,
      [found.registeredModelId, version],
    );
    return rows.map((row) => activityView(row, caller));
  }
}
