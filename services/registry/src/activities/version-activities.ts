import { createHash } from 'node:crypto';
import { EventEnvelope } from '@logbook/eventstore';
import { ANONYMOUS, Principal } from '@logbook/platform';
import { Caller, COMMENT_ACTIONS, CommentAction, commentActions } from '../comments/comment.decider';
import { CommentEvent } from '../comments/comment.events';
import { ModelVersionEvent } from '../model-versions/model-version.events';
import { RegisteredModelEvent } from '../registered-models/registered-model.events';
import { Stage } from '../shared/limits';
import { describeTarget } from '../transition-requests/transition-request.decider';
import { TransitionRequestEvent } from '../transition-requests/transition-request.events';

/** Databricks' activity types of a version's activity list. */
export const ACTIVITY_TYPES = [
  'APPLIED_TRANSITION',
  'REQUESTED_TRANSITION',
  'APPROVED_REQUEST',
  'REJECTED_REQUEST',
  'CANCELLED_REQUEST',
  'SYSTEM_TRANSITION',
  'NEW_COMMENT',
] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

/** Databricks' actions a caller may take on an activity. */
export const ACTIVITY_ACTIONS = COMMENT_ACTIONS;
export type ActivityAction = CommentAction;

/** One entry of a version's activity list, as the projection keeps it. */
export interface Activity {
  activityId: string;
  registeredModelId: string;
  version: number;
  /** The log position of the event that recorded it: ties of creation time keep the log's order. */
  position: number;
  activityType: ActivityType;
  /** The name of who did it, shown as user_id. */
  userId: string;
  /** The id of who did it: what the caller is compared with to offer actions on it. */
  authorId: string;
  comment: string | null;
  systemComment: string | null;
  fromStage: Stage | null;
  toStage: Stage | null;
  time: number;
}

/** What an event does to the activity lists. */
export type ActivityChange =
  | { kind: 'recorded'; activities: Activity[] }
  | { kind: 'commentEdited'; activityId: string; comment: string; time: number }
  | { kind: 'removed'; activityId: string }
  | { kind: 'versionGone'; registeredModelId: string; version: number }
  | { kind: 'modelGone'; registeredModelId: string };

type RegistryFact = RegisteredModelEvent | ModelVersionEvent | CommentEvent | TransitionRequestEvent;

/** An id for an activity the log records no id of: the same on every replay of the event. */
const derivedId = (event: EventEnvelope, version: number) =>
  createHash('sha256').update(`${event.eventId}/${version}`).digest('hex').slice(0, 32);

/**
 * The activity-list changes an event of the registry's log makes (none for most). Pure in the event, so a
 * rebuild from the log gives the same lists. A new activity type is one more case here.
 */
export function activityChanges(event: EventEnvelope): ActivityChange[] {
  const actor = { userId: event.actor.name, authorId: event.actor.id };
  const at = { position: event.globalPosition, comment: null, systemComment: null };
  const fact = event as unknown as RegistryFact;
  switch (fact.type) {
    case 'ModelVersionStageTransitioned': {
      const { registeredModelId, version, stage, previousStage, archivedVersions, requestId, time } = fact.data;
      const applied: Activity = {
        ...at,
        ...actor,
        ...(requestId === undefined
          ? {}
          : { systemComment: `Applied by the approved transition request ${requestId}.` }),
        activityId: derivedId(event, version),
        registeredModelId,
        version,
        activityType: event.actor.kind === 'system' ? 'SYSTEM_TRANSITION' : 'APPLIED_TRANSITION',
        fromStage: previousStage,
        toStage: stage,
        time,
      };
      const archived = archivedVersions.map((other): Activity => ({
        ...at,
        ...actor,
        activityId: derivedId(event, other),
        registeredModelId,
        version: other,
        activityType: 'SYSTEM_TRANSITION',
        systemComment: `Archived when version ${version} was transitioned to ${stage} (archive_existing_versions).`,
        fromStage: stage,
        toStage: 'Archived',
        time,
      }));
      return [{ kind: 'recorded', activities: [applied, ...archived] }];
    }
    case 'TransitionRequested': {
      const { requestId, registeredModelId, version, target, fromStage, requester, comment, time } = fact.data;
      return [
        {
          kind: 'recorded',
          activities: [
            {
              ...at,
              activityId: requestId,
              registeredModelId,
              version,
              activityType: 'REQUESTED_TRANSITION',
              userId: requester.name,
              authorId: requester.id,
              comment,
              systemComment: target.kind === 'alias' ? `Requests ${describeTarget(target)} for this version.` : null,
              fromStage,
              toStage: target.kind === 'stage' ? target.stage : null,
              time,
            },
          ],
        },
      ];
    }
    case 'ApprovalGiven':
    case 'RequestRejected':
    case 'RequestCancelled':
    case 'RequestExpired':
    case 'RequestVoided':
      return [{ kind: 'recorded', activities: [requestDecision(event, fact)] }];
    case 'CommentCreated': {
      const { commentId, registeredModelId, version, comment, authorId, userId, time } = fact.data;
      const activity: Activity = {
        ...at,
        activityId: commentId,
        registeredModelId,
        version,
        activityType: 'NEW_COMMENT',
        userId,
        authorId,
        comment,
        fromStage: null,
        toStage: null,
        time,
      };
      return [{ kind: 'recorded', activities: [activity] }];
    }
    case 'CommentEdited':
      return [
        { kind: 'commentEdited', activityId: fact.data.commentId, comment: fact.data.comment, time: fact.data.time },
      ];
    case 'CommentDeleted':
      return [{ kind: 'removed', activityId: fact.data.commentId }];
    case 'ModelVersionDeleted':
      return [{ kind: 'versionGone', registeredModelId: fact.data.registeredModelId, version: fact.data.version }];
    case 'RegisteredModelDeleted':
      return [{ kind: 'modelGone', registeredModelId: fact.data.registeredModelId }];
    default:
      return [];
  }
}

const DECISION_TYPES = {
  ApprovalGiven: 'APPROVED_REQUEST',
  RequestRejected: 'REJECTED_REQUEST',
  RequestCancelled: 'CANCELLED_REQUEST',
  RequestExpired: 'CANCELLED_REQUEST',
  RequestVoided: 'CANCELLED_REQUEST',
} as const;

/** An approval, rejection or cancellation of a request; expiry and voiding read as the system's cancellation. */
function requestDecision(
  event: EventEnvelope,
  fact: Extract<TransitionRequestEvent, { type: keyof typeof DECISION_TYPES }>,
): Activity {
  const { registeredModelId, version, time } = fact.data;
  const systemComment =
    fact.type === 'RequestExpired'
      ? 'The request expired before its approvals arrived.'
      : fact.type === 'RequestVoided'
        ? `The request was voided: ${fact.data.reason}.`
        : null;
  return {
    activityId: event.eventId,
    registeredModelId,
    version,
    position: event.globalPosition,
    activityType: DECISION_TYPES[fact.type],
    userId: event.actor.name,
    authorId: event.actor.id,
    comment: 'comment' in fact.data ? fact.data.comment : null,
    systemComment,
    fromStage: null,
    toStage: null,
    time,
  };
}

/** The caller of a request: the anonymous actor while authentication is off. */
export const callerOf = (principal: Principal | null): Caller => ({
  actorId: principal?.actor.id ?? ANONYMOUS.id,
  isAdmin: principal?.isAdmin ?? false,
});

/** What the caller may do with an activity. */
export function availableActions(
  activity: Pick<Activity, 'activityType' | 'authorId'>,
  caller: Caller,
): ActivityAction[] {
  return activity.activityType === 'NEW_COMMENT' ? commentActions(activity.authorId, caller) : [];
}
