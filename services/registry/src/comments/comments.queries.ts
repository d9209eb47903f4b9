import { Inject, Injectable } from '@nestjs/common';
import { OwnerLookup } from '@logbook/access';
import { Database } from '@logbook/platform';
import { ACTIVITY_COLUMNS, ActivityRow, activityView } from '../activities/activities.queries';
import { DELETED_STAGE } from '../model-versions/model-versions.projection';
import { DATABASE } from '../shared/tokens';
import { Caller, commentNotFound } from './comment.decider';
import { CommentedVersion } from './comment.events';

/** Comments as the activity lists hold them. */
@Injectable()
export class CommentsQueries implements OwnerLookup {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** The version a comment is on, under its model's current name; null when there is no such comment. */
  async versionOf(commentId: string): Promise<CommentedVersion | null> {
    const { rows } = await this.db.query<{ registered_model_id: string; name: string; version: number }>(
      `SELECT a.registered_model_id, v.name, a.version FROM registry.version_activities a
       JOIN registry.model_versions v ON v.registered_model_id = a.registered_model_id AND v.version = a.version
       WHERE a.activity_id = $1 AND a.activity_type = 'NEW_COMMENT' AND v.current_stage <> '${DELETED_STAGE}'`,
      [commentId],
    );
    const [row] = rows;
    return row ? { registeredModelId: row.registered_model_id, name: row.name, version: row.version } : null;
  }

  /** The registered model a comment is on, by name: what reading it, to edit or delete the comment, is checked on. */
  async ownerOf(commentId: string): Promise<string | null> {
    return (await this.versionOf(commentId))?.name ?? null;
  }

  /** A comment in Databricks' CommentObject shape. */
  async get(commentId: string, caller: Caller) {
    const { rows } = await this.db.query<ActivityRow>(
      `SELECT ${ACTIVITY_COLUMNS} FROM registry.version_activities a
       WHERE a.activity_id = $1 AND a.activity_type = 'NEW_COMMENT'`,
      [commentId],
    );
    if (!rows[0]) throw commentNotFound(commentId);
    const { id, user_id, comment, creation_timestamp, last_updated_timestamp, ...rest } = activityView(rows[0], caller);
    return {
      id,
      user_id,
      comment,
      creation_timestamp,
      last_updated_timestamp,
      ...('available_actions' in rest ? { available_actions: rest.available_actions } : {}),
    };
  }
}
