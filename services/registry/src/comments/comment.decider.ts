import { Decider } from '@logbook/eventstore';
import { CommandMetadata, MlflowError, notFound } from '@logbook/platform';
import { versionNotFound } from '../registered-models/registered-model.decider';
import { validateComment } from '../shared/limits';
import { CommentedVersion, CommentEvent } from './comment.events';

/** Who acts on a comment: the actor's id, and whether they are an admin. */
export interface Caller {
  actorId: string;
  isAdmin: boolean;
}

export interface CommentState {
  exists: boolean;
  deleted: boolean;
  authorId: string;
  comment: string;
}

/**
 * `found` is what the service looked up outside the stream: the live version a new comment names, or the
 * version an existing comment is on, under its model's current name. Null when there is none: a deleted
 * version, or model, takes its comments with it.
 */
export type CommentCommand = { metadata: CommandMetadata } & (
  | {
      type: 'CreateComment';
      data: { commentId: string; name: string; version: number; comment: string; found: CommentedVersion | null };
    }
  | { type: 'EditComment'; data: { commentId: string; comment: string; found: CommentedVersion | null } }
  | { type: 'DeleteComment'; data: { commentId: string; byAdmin: boolean; found: CommentedVersion | null } }
);

const initialState = (): CommentState => ({ exists: false, deleted: false, authorId: '', comment: '' });

export const commentNotFound = (commentId: string) => notFound(`Comment with id=${commentId} not found`);

/** Databricks' actions on a comment. */
export const COMMENT_ACTIONS = ['EDIT_COMMENT', 'DELETE_COMMENT'] as const;
export type CommentAction = (typeof COMMENT_ACTIONS)[number];

/**
 * What a caller may do with a comment: its author edits and deletes it, an admin deletes anyone's. While
 * authentication is off everyone is the same anonymous author.
 */
export function commentActions(authorId: string, caller: Caller): CommentAction[] {
  if (caller.actorId === authorId) return ['EDIT_COMMENT', 'DELETE_COMMENT'];
  return caller.isAdmin ? ['DELETE_COMMENT'] : [];
}

function requireAction(state: CommentState, caller: Caller, action: CommentAction) {
  if (!commentActions(state.authorId, caller).includes(action)) {
    const verb = action === 'EDIT_COMMENT' ? 'edit' : 'delete';
    throw new MlflowError('PERMISSION_DENIED', `Only the author of a comment may ${verb} it.`);
  }
}

/** A comment that exists, is not deleted and whose version is still there: what an edit or a delete needs. */
function requireLive(state: CommentState, commentId: string, found: CommentedVersion | null): CommentedVersion {
  if (!state.exists || state.deleted || !found) throw commentNotFound(commentId);
  return found;
}

function decide(command: CommentCommand, state: CommentState): CommentEvent[] {
  const time = command.metadata.now;
  const actor = command.metadata.actor;
  switch (command.type) {
    case 'CreateComment': {
      const { commentId, name, version, comment, found } = command.data;
      validateComment(comment);
      if (!found) throw versionNotFound(name, version);
      if (state.exists) throw new MlflowError('RESOURCE_ALREADY_EXISTS', `Comment with id=${commentId} already exists`);
      return [
        {
          type: 'CommentCreated',
          data: { ...found, commentId, comment, authorId: actor.id, userId: actor.name, time },
        },
      ];
    }
    case 'EditComment': {
      const { commentId, comment, found } = command.data;
      validateComment(comment);
      const on = requireLive(state, commentId, found);
      requireAction(state, { actorId: actor.id, isAdmin: false }, 'EDIT_COMMENT');
      if (comment === state.comment) return [];
      return [{ type: 'CommentEdited', data: { ...on, commentId, comment, time } }];
    }
    case 'DeleteComment': {
      const { commentId, byAdmin, found } = command.data;
      const on = requireLive(state, commentId, found);
      requireAction(state, { actorId: actor.id, isAdmin: byAdmin }, 'DELETE_COMMENT');
      return [{ type: 'CommentDeleted', data: { ...on, commentId, time } }];
    }
  }
}

function evolve(state: CommentState, event: CommentEvent): CommentState {
  switch (event.type) {
    case 'CommentCreated':
      return { exists: true, deleted: false, authorId: event.data.authorId, comment: event.data.comment };
    case 'CommentEdited':
      return { ...state, comment: event.data.comment };
    case 'CommentDeleted':
      return { ...state, deleted: true };
  }
}

export const commentDecider: Decider<CommentState, CommentCommand, CommentEvent> = { initialState, evolve, decide };

/** Raise with any change to the state's shape or to `evolve`: heads of another version are folded again. */
export const commentStateVersion = 1;

export const commentStream = { streamType: 'comment', decider: commentDecider, stateVersion: commentStateVersion };

export const commentStreamId = (commentId: string) => `comment-${commentId}`;
