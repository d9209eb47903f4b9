import { DomainEvent } from '@logbook/eventstore';

/** The version a comment is on: its model's id, the model's name when it happened, and the version number. */
export interface CommentedVersion {
  registeredModelId: string;
  name: string;
  version: number;
}

export type CommentCreated = DomainEvent<
  'CommentCreated',
  CommentedVersion & {
    commentId: string;
    comment: string;
    /** Who wrote it: the actor's id, which alone may edit it. */
    authorId: string;
    /** The author's name, shown as the comment's user_id. */
    userId: string;
    time: number;
  }
>;
export type CommentEdited = DomainEvent<
  'CommentEdited',
  CommentedVersion & { commentId: string; comment: string; time: number }
>;
export type CommentDeleted = DomainEvent<'CommentDeleted', CommentedVersion & { commentId: string; time: number }>;

export type CommentEvent = CommentCreated | CommentEdited | CommentDeleted;
