import { EventEnvelope } from '@logbook/eventstore';
import { withSnakeCaseKeys } from '../shared/field-names';
import { TransitionRequestRow } from './transition-requests.queries';

export const REQUEST_ACTIONS = [
  'APPROVE_TRANSITION_REQUEST',
  'REJECT_TRANSITION_REQUEST',
  'CANCEL_TRANSITION_REQUEST',
] as const;
export type RequestAction = (typeof REQUEST_ACTIONS)[number];

const target = (row: TransitionRequestRow) =>
  row.target_kind === 'stage' ? { to_stage: row.target } : { alias: row.target };

/**
 * A request as Databricks answers one (a REQUESTED_TRANSITION activity), with what Logbook adds: its
 * status, the policy it is held to, the approvals so far, the latest evaluation and when it expires.
 */
export function requestView(row: TransitionRequestRow, actions: RequestAction[]) {
  return {
    id: row.request_id,
    activity_type: 'REQUESTED_TRANSITION',
    from_stage: row.from_stage,
    ...target(row),
    user_id: row.requester_name,
    ...(row.comment === null ? {} : { comment: row.comment }),
    creation_timestamp: row.creation_time,
    last_updated_timestamp: row.last_updated_time,
    available_actions: actions,
    status: row.status,
    ...(row.policy_name === null ? {} : { policy: { name: row.policy_name, version: row.policy_version } }),
    approvals: row.approvals.map((approval) => ({
      user_id: approval.approver.name,
      ...(approval.comment === null ? {} : { comment: approval.comment }),
      timestamp: approval.time,
    })),
    ...(row.evaluation === null ? {} : { evaluation: withSnakeCaseKeys(row.evaluation) }),
    ...(row.break_glass === null
      ? {}
      : { break_glass: { user_id: row.break_glass.principal.name, reason: row.break_glass.reason } }),
    ...(row.expires_at === null ? {} : { expires_at: row.expires_at }),
  };
}

/** An approval or a rejection as Databricks answers it (an Activity), with the request it decided. */
export function decisionView(
  row: TransitionRequestRow,
  decision: EventEnvelope,
  activityType: 'APPROVED_REQUEST' | 'REJECTED_REQUEST',
) {
  const data = decision.data as { comment: string | null; time: number };
  return {
    activity: {
      id: decision.eventId,
      activity_type: activityType,
      from_stage: row.from_stage,
      ...target(row),
      user_id: decision.actor.name,
      ...(data.comment === null ? {} : { comment: data.comment }),
      ...(row.status === 'APPLIED' ? { system_comment: 'The policy was satisfied: the transition was applied.' } : {}),
      creation_timestamp: data.time,
      last_updated_timestamp: data.time,
    },
    request: requestView(row, []),
  };
}
