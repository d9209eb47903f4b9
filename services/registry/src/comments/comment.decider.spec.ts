import { describe, it } from 'node:test';
import { CommandMetadata } from '@logbook/platform';
import { spec } from '@logbook/testing';
import { LIMITS } from '../shared/limits';
import { CommentCommand, commentDecider } from './comment.decider';
import { CommentEvent } from './comment.events';

const now = 1_700_000_000_000;
const as = (id: string): CommandMetadata => ({
  now,
  actor: { id, kind: 'user', name: `user-${id}`, authMethod: 'basic' },
  requestId: 'req-1',
});
const commentId = 'c0ffee';
const version = { registeredModelId: 'rm1', name: 'fraud', version: 3 };
const renamed = { ...version, name: 'fraud-v2' };
const given = spec(commentDecider).given;

const created: CommentEvent = {
  type: 'CommentCreated',
  data: { ...version, commentId, comment: 'looks good', authorId: '7', userId: 'user-7', time: now - 100 },
};
const deleted: CommentEvent = { type: 'CommentDeleted', data: { ...version, commentId, time: now - 10 } };

const create = (comment: string, found: typeof version | null = version, by = '7'): CommentCommand => ({
  type: 'CreateComment',
  data: { commentId, name: 'fraud', version: 3, comment, found },
  metadata: as(by),
});
const edit = (comment: string, by: string, found: typeof version | null = version): CommentCommand => ({
  type: 'EditComment',
  data: { commentId, comment, found },
  metadata: as(by),
});
const remove = (by: string, byAdmin = false, found: typeof version | null = version): CommentCommand => ({
  type: 'DeleteComment',
  data: { commentId, byAdmin, found },
  metadata: as(by),
});

describe('comment decider', () => {
  describe('CreateComment', () => {
    it('records the comment on the version, with its author', () =>
      given([])
        .when(create('looks good'))
        .then([{ ...created, data: { ...created.data, time: now } }]));

    it('refuses a version that does not exist, in MLflow words', () =>
      given([])
        .when(create('hi', null))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'Model Version (name=fraud, version=3) not found'));

    it('refuses a blank comment and one longer than the limit', () => {
      given([]).when(create(' \n\t ')).thenThrows('INVALID_PARAMETER_VALUE', 'A comment cannot be blank.');
      given([])
        .when(create('x'.repeat(LIMITS.comment + 1)))
        .thenThrows('INVALID_PARAMETER_VALUE', `'comment' exceeds the maximum length of ${LIMITS.comment} characters`);
    });

    it('counts characters as Python does: an emoji is one', () =>
      given([])
        .when(create('😀'.repeat(LIMITS.comment)))
        .then([{ ...created, data: { ...created.data, comment: '😀'.repeat(LIMITS.comment), time: now } }]));
  });

  describe('EditComment', () => {
    it("changes the author's comment, under the model's current name", () =>
      given([created])
        .when(edit('looks great', '7', renamed))
        .then([{ type: 'CommentEdited', data: { ...renamed, commentId, comment: 'looks great', time: now } }]));

    it('changes nothing when the text is the same', () => given([created]).when(edit('looks good', '7')).thenNothing());

    it('refuses anyone but the author, admins included', () =>
      given([created])
        .when(edit('mine now', '8'))
        .thenThrows('PERMISSION_DENIED', 'Only the author of a comment may edit it.'));

    it('refuses a blank text before anything else', () =>
      given([created]).when(edit('  ', '8')).thenThrows('INVALID_PARAMETER_VALUE', 'A comment cannot be blank.'));

    it('answers 404 for a comment that does not exist, was deleted, or whose version is gone', () => {
      given([]).when(edit('x', '7')).thenThrows('RESOURCE_DOES_NOT_EXIST', `Comment with id=${commentId} not found`);
      given([created, deleted]).when(edit('x', '7')).thenThrows('RESOURCE_DOES_NOT_EXIST');
      given([created])
        .when(edit('x', '7', null))
        .thenThrows('RESOURCE_DOES_NOT_EXIST');
    });
  });

  describe('DeleteComment', () => {
    it('deletes the comment for its author', () =>
      given([created])
        .when(remove('7'))
        .then([{ type: 'CommentDeleted', data: { ...version, commentId, time: now } }]));

    it("deletes another user's comment for an admin only", () => {
      given([created]).when(remove('8')).thenThrows('PERMISSION_DENIED', 'Only the author of a comment may delete it.');
      given([created])
        .when(remove('8', true))
        .then([{ type: 'CommentDeleted', data: { ...version, commentId, time: now } }]);
    });

    it('answers 404 once it is deleted, or its version is gone', () => {
      given([created, deleted]).when(remove('7')).thenThrows('RESOURCE_DOES_NOT_EXIST');
      given([created])
        .when(remove('7', true, null))
        .thenThrows('RESOURCE_DOES_NOT_EXIST');
    });
  });
});
