import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { EventStore } from '@logbook/eventstore';
import { CommandMetadata } from '@logbook/platform';
import { ActivitiesQueries } from '../activities/activities.queries';
import { versionNumber } from '../model-versions/model-version.decider';
import { EVENT_STORE } from '../shared/tokens';
import { CommentCommand, commentStream, commentStreamId } from './comment.decider';
import { CommentsQueries } from './comments.queries';

/** Databricks' comments on a model version: each comment is a stream of its own. */
@Injectable()
export class CommentsService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly activities: ActivitiesQueries,
    private readonly comments: CommentsQueries,
  ) {}

  /** Comments on a live version; the new comment's id. */
  async create(name: string, version: string, comment: string, metadata: CommandMetadata): Promise<string> {
    const number = versionNumber(name, version);
    const commentId = randomUUID().replace(/-/g, '');
    const found = await this.activities.liveVersion(name, number);
    await this.execute(commentId, {
      type: 'CreateComment',
      data: { commentId, name, version: number, comment, found },
      metadata,
    });
    return commentId;
  }

  async edit(commentId: string, comment: string, metadata: CommandMetadata): Promise<void> {
    const found = await this.comments.versionOf(commentId);
    await this.execute(commentId, { type: 'EditComment', data: { commentId, comment, found }, metadata });
  }

  async delete(commentId: string, byAdmin: boolean, metadata: CommandMetadata): Promise<void> {
    const found = await this.comments.versionOf(commentId);
    await this.execute(commentId, { type: 'DeleteComment', data: { commentId, byAdmin, found }, metadata });
  }

  private async execute(commentId: string, command: CommentCommand): Promise<void> {
    await this.store.handle(commentStream, commentStreamId(commentId), command, command.metadata);
  }
}
