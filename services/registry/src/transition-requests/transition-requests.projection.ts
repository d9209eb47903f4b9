import { EventEnvelope, InlineProjection } from '@logbook/eventstore';
import { Queryable } from '@logbook/platform';
import { REGISTRY_SCHEMA } from '../../migrations/001_initial';
import { TransitionRequestEvent } from './transition-request.events';

const FINAL_STATUS = {
  RequestRejected: 'REJECTED',
  RequestCancelled: 'CANCELLED',
  RequestExpired: 'EXPIRED',
  RequestVoided: 'VOIDED',
  TransitionApplied: 'APPLIED',
} as const;

const jsonOrNull = (value: unknown) => (value === null ? null : JSON.stringify(value));

async function applyRequestEvent(tx: Queryable, event: TransitionRequestEvent): Promise<void> {
  const { requestId, time } = event.data;
  switch (event.type) {
    case 'TransitionRequested': {
      const {
        registeredModelId,
        version,
        target,
        fromStage,
        requester,
        comment,
        policy,
        digest,
        evaluation,
        expiresAt,
      } = event.data;
      await tx.query(
        `INSERT INTO registry.transition_requests
           (request_id, registered_model_id, version, target_kind, target, from_stage, status, requester_id, requester_name,
            comment, policy_name, policy_version, digest, approvals, evaluation, expires_at, creation_time,
            last_updated_time)
         VALUES ($1, $2, $3, $4, $5, $6, 'PENDING', $7, $8, $9, $10, $11, $12, '[]', $13::jsonb, $14, $15, $15)`,
        [
          requestId,
          registeredModelId,
          version,
          target.kind,
          target.kind === 'stage' ? target.stage : target.alias,
          fromStage,
          requester.id,
          requester.name,
          comment,
          policy?.name ?? null,
          policy?.version ?? null,
          digest,
          jsonOrNull(evaluation),
          expiresAt,
          time,
        ],
      );
      return;
    }
    case 'ApprovalGiven': {
      const { approver, roles, comment, digest, evaluation } = event.data;
      await tx.query(
        `UPDATE registry.transition_requests
         SET approvals = approvals || $2::jsonb, evaluation = coalesce($3::jsonb, evaluation), last_updated_time = $4
         WHERE request_id = $1`,
        [requestId, JSON.stringify([{ approver, roles, comment, digest, time }]), jsonOrNull(evaluation), time],
      );
      return;
    }
    case 'TransitionApplied':
    case 'RequestVoided':
      await tx.query(
        `UPDATE registry.transition_requests
         SET status = $2, evaluation = coalesce($3::jsonb, evaluation), break_glass = $4::jsonb, last_updated_time = $5
         WHERE request_id = $1`,
        [
          requestId,
          FINAL_STATUS[event.type],
          jsonOrNull(event.data.evaluation),
          event.type === 'TransitionApplied' && event.data.breakGlass ? JSON.stringify(event.data.breakGlass) : null,
          time,
        ],
      );
      return;
    default:
      await tx.query(
        `UPDATE registry.transition_requests SET status = $2, last_updated_time = $3 WHERE request_id = $1`,
        [requestId, FINAL_STATUS[event.type], time],
      );
  }
}

/** Transition requests as their lists and lookups read them. */
export const transitionRequestsProjection: InlineProjection = {
  name: 'transition-requests',
  tables: [`${REGISTRY_SCHEMA}.transition_requests`],
  async apply(tx, events: EventEnvelope[]) {
    for (const event of events) {
      if (event.streamType === 'transition-request') {
        await applyRequestEvent(tx, event as unknown as TransitionRequestEvent);
      }
    }
  },
};
