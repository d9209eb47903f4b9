import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainEvent, EventEnvelope } from '@logbook/eventstore';
import { Actor, systemActor } from '@logbook/platform';
import { activityChanges, availableActions } from './version-activities';

const ada: Actor = { id: '7', kind: 'user', name: 'ada', authMethod: 'basic' };
const key = { registeredModelId: 'rm1', name: 'fraud' };

function envelope(event: DomainEvent, actor: Actor = ada, globalPosition = 42): EventEnvelope {
  return {
    eventId: '00000000-0000-4000-8000-000000000001',
    type: event.type,
    schemaVersion: 1,
    streamId: 'registered-model-rm1',
    streamType: 'registered-model',
    streamPosition: 1,
    globalPosition,
    occurredAt: new Date(1000).toISOString(),
    producer: 'registry',
    actor,
    correlationId: 'req-1',
    causationId: null,
    data: event.data,
  };
}

const transitioned = (archivedVersions: number[]) =>
  envelope({
    type: 'ModelVersionStageTransitioned',
    data: { ...key, version: 3, stage: 'Production', previousStage: 'Staging', archivedVersions, time: 1000 },
  });

describe("a version's activities, from the registry's events", () => {
  it("records a user's transition as APPLIED_TRANSITION, from and to its stages", () => {
    const [change] = activityChanges(transitioned([]));
    assert.equal(change.kind, 'recorded');
    assert.deepEqual(change.kind === 'recorded' && change.activities.map(({ activityId: _id, ...rest }) => rest), [
      {
        position: 42,
        comment: null,
        systemComment: null,
        userId: 'ada',
        authorId: '7',
        registeredModelId: 'rm1',
        version: 3,
        activityType: 'APPLIED_TRANSITION',
        fromStage: 'Staging',
        toStage: 'Production',
        time: 1000,
      },
    ]);
  });

  it('records the versions archive_existing_versions moved as SYSTEM_TRANSITION, saying why', () => {
    const [change] = activityChanges(transitioned([1, 2]));
    assert.ok(change.kind === 'recorded');
    const archived = change.activities.filter((activity) => activity.version !== 3);
    assert.deepEqual(
      archived.map((a) => [a.version, a.activityType, a.fromStage, a.toStage, a.systemComment]),
      [1, 2].map((version) => [
        version,
        'SYSTEM_TRANSITION',
        'Production',
        'Archived',
        'Archived when version 3 was transitioned to Production (archive_existing_versions).',
      ]),
    );
    const ids = change.activities.map((a) => a.activityId);
    assert.equal(new Set(ids).size, 3, 'each activity has its own id');
    assert.deepEqual(
      (activityChanges(transitioned([1, 2]))[0] as typeof change).activities.map((a) => a.activityId),
      ids,
      'the same on every replay',
    );
  });

  it('records a transition the system applied as SYSTEM_TRANSITION', () => {
    const event = { ...transitioned([]), actor: systemActor('registry') };
    const [change] = activityChanges(event);
    assert.ok(change.kind === 'recorded');
    assert.equal(change.activities[0].activityType, 'SYSTEM_TRANSITION');
  });

  it('follows a comment: created, edited, deleted', () => {
    const comment = { ...key, version: 3, commentId: 'c1' };
    const [created] = activityChanges(
      envelope({ type: 'CommentCreated', data: { ...comment, comment: 'hi', authorId: '7', userId: 'ada', time: 5 } }),
    );
    assert.ok(created.kind === 'recorded');
    assert.deepEqual(
      created.activities.map((a) => [a.activityId, a.activityType, a.userId, a.comment, a.version]),
      [['c1', 'NEW_COMMENT', 'ada', 'hi', 3]],
    );
    assert.deepEqual(
      activityChanges(envelope({ type: 'CommentEdited', data: { ...comment, comment: 'ho', time: 6 } })),
      [{ kind: 'commentEdited', activityId: 'c1', comment: 'ho', time: 6 }],
    );
    assert.deepEqual(activityChanges(envelope({ type: 'CommentDeleted', data: { ...comment, time: 7 } })), [
      { kind: 'removed', activityId: 'c1' },
    ]);
  });

  it("drops a deleted version's activities, and a deleted model's; other events change nothing", () => {
    assert.deepEqual(
      activityChanges(envelope({ type: 'ModelVersionDeleted', data: { ...key, version: 3, time: 1 } })),
      [{ kind: 'versionGone', registeredModelId: 'rm1', version: 3 }],
    );
    assert.deepEqual(activityChanges(envelope({ type: 'RegisteredModelDeleted', data: { ...key, time: 1 } })), [
      { kind: 'modelGone', registeredModelId: 'rm1' },
    ]);
    assert.deepEqual(
      activityChanges(envelope({ type: 'RegisteredModelRenamed', data: { ...key, previousName: 'x', time: 1 } })),
      [],
    );
  });

  it("offers EDIT_COMMENT and DELETE_COMMENT on the caller's own comments, DELETE_COMMENT to admins, nothing on transitions", () => {
    const comment = { activityType: 'NEW_COMMENT' as const, authorId: '7' };
    assert.deepEqual(availableActions(comment, { actorId: '7', isAdmin: false }), ['EDIT_COMMENT', 'DELETE_COMMENT']);
    assert.deepEqual(availableActions(comment, { actorId: '8', isAdmin: false }), []);
    assert.deepEqual(availableActions(comment, { actorId: '8', isAdmin: true }), ['DELETE_COMMENT']);
    assert.deepEqual(
      availableActions({ activityType: 'APPLIED_TRANSITION', authorId: '7' }, { actorId: '7', isAdmin: true }),
      [],
    );
  });
});
