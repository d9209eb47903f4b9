import { createHash } from 'node:crypto';
import { Decider } from '@logbook/eventstore';
import { CommandMetadata, invalidParameter, MlflowError, notFound } from '@logbook/platform';
import { PolicyDefinition } from '../governance/policy-definition';
import {
  ApprovalFact,
  EvidenceFacts,
  evaluatePolicy,
  Person,
  PolicyDecision,
  PolicyTarget,
} from '../governance/policy-evaluator';
import { Stage } from '../shared/limits';
import { PolicyRef, RequestedVersion, TransitionRequestEvent } from './transition-request.events';

export const REQUEST_STATUSES = ['PENDING', 'APPLIED', 'REJECTED', 'CANCELLED', 'EXPIRED', 'VOIDED'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export interface TransitionRequestState {
  exists: boolean;
  status: RequestStatus;
  address: RequestedVersion;
  target: PolicyTarget;
  requester: Person;
  requestedAt: number;
  digest: string;
  policy: PolicyRef | null;
  approvals: ApprovalFact[];
  expiresAt: number | null;
}

/** What the service looked up for a decision: the policy the request is held to, and the version as it is now. */
export interface GovernanceFacts {
  policy: { version: number; definition: PolicyDefinition } | null;
  evidence: EvidenceFacts;
}

export type TransitionRequestCommand = { metadata: CommandMetadata } & (
  | {
      type: 'RequestTransition';
      data: RequestedVersion & {
        target: PolicyTarget;
        fromStage: Stage;
        requester: Person;
        comment: string | null;
        facts: GovernanceFacts;
        /** Who already has a request for the same version and target open, if anyone. */
        openRequestBy: string | null;
        /** A break-glass principal applying at once, with the reason they must give. */
        breakGlassReason: string | null;
      };
    }
  | {
      type: 'ApproveRequest';
      data: {
        approver: Person;
        roles: string[];
        comment: string | null;
        archiveExistingVersions: boolean;
        facts: GovernanceFacts;
      };
    }
  | { type: 'RejectRequest'; data: { rejectedBy: Person; comment: string | null } }
  | { type: 'CancelRequest'; data: { cancelledBy: Person; comment: string | null } }
  | { type: 'ExpireRequest'; data: Record<string, never> }
);

const initialState = (): TransitionRequestState => ({
  exists: false,
  status: 'PENDING',
  address: { requestId: '', registeredModelId: '', name: '', version: 0 },
  target: { kind: 'stage', stage: 'Staging' },
  requester: { id: '', name: '' },
  requestedAt: 0,
  digest: '',
  policy: null,
  approvals: [],
  expiresAt: null,
});

export const describeTarget = (target: PolicyTarget) =>
  target.kind === 'stage' ? `stage '${target.stage}'` : `alias '${target.alias}'`;

/**
 * What approvals bind to: the version's registered content with the evidence its policy reads. A new
 * content digest (a registration completed after the request) or changed evidence gives another value.
 */
export function boundDigest(facts: GovernanceFacts): string {
  const evidence = facts.policy?.definition.evidence;
  const bound = {
    content: facts.evidence.digest,
    tags: Object.keys(evidence?.tags ?? {})
      .sort()
      .map((key) => [key, facts.evidence.tags[key] ?? null]),
    metrics: [...new Set((evidence?.metrics ?? []).map((threshold) => threshold.key))]
      .sort()
      .map((key) => [key, facts.evidence.metrics[key] ?? null]),
  };
  return `sha256:${createHash('sha256').update(JSON.stringify(bound)).digest('hex')}`;
}

function evaluate(
  state: Pick<TransitionRequestState, 'requester' | 'requestedAt' | 'target' | 'digest' | 'approvals'>,
  facts: GovernanceFacts & { policy: NonNullable<GovernanceFacts['policy']> },
  now: number,
  breakGlass?: { principal: string; reason: string },
): PolicyDecision {
  return evaluatePolicy({
    policy: facts.policy,
    request: { requester: state.requester, requestedAt: state.requestedAt, target: state.target, digest: state.digest },
    approvals: state.approvals,
    evidence: { ...facts.evidence, digest: boundDigest(facts) },
    now,
    ...(breakGlass ? { breakGlass } : {}),
  });
}

const hasPolicy = (
  facts: GovernanceFacts,
): facts is GovernanceFacts & { policy: NonNullable<GovernanceFacts['policy']> } => facts.policy !== null;

export const alreadyOpen = (requested: { name: string; version: number; target: PolicyTarget }, requestedBy?: string) =>
  new MlflowError(
    'RESOURCE_ALREADY_EXISTS',
    `A transition request of ${requested.name} version ${requested.version} to ${describeTarget(requested.target)} is already open${requestedBy === undefined ? '' : ` (requested by ${requestedBy})`}: approve, reject or cancel it first.`,
  );

export const requestNotFound = (requestId: string) => notFound(`Transition request with id=${requestId} not found`);

function requirePending(state: TransitionRequestState, requestId: string): void {
  if (!state.exists) throw requestNotFound(requestId);
  if (state.status !== 'PENDING') {
    throw new MlflowError(
      'INVALID_STATE',
      `The transition request of ${state.address.name} version ${state.address.version} to ${describeTarget(state.target)} is ${state.status.toLowerCase()}: it can no longer change.`,
    );
  }
}

function decide(command: TransitionRequestCommand, state: TransitionRequestState): TransitionRequestEvent[] {
  const time = command.metadata.now;
  const address = state.address;
  switch (command.type) {
    case 'RequestTransition': {
      const { target, fromStage, requester, comment, facts, openRequestBy, breakGlassReason, ...requested } =
        command.data;
      if (state.exists) throw invalidParameter(`Transition request ${requested.requestId} already exists.`);
      if (openRequestBy !== null) throw alreadyOpen({ ...requested, target }, openRequestBy);
      const digest = boundDigest(facts);
      const requestedEvent = (policy: PolicyRef | null, evaluation: PolicyDecision | null): TransitionRequestEvent => ({
        type: 'TransitionRequested',
        data: {
          ...requested,
          target,
          fromStage,
          requester,
          comment,
          digest,
          policy,
          evaluation,
          expiresAt: evaluation?.expiresAt ?? null,
          time,
        },
      });
      if (!hasPolicy(facts)) {
        if (breakGlassReason !== null) {
          throw invalidParameter(
            `Break-glass applies to governed targets only; ${describeTarget(target)} is not governed.`,
          );
        }
        return [requestedEvent(null, null)];
      }
      const policy = { name: facts.policy.definition.name, version: facts.policy.version };
      const claim = breakGlassReason === null ? undefined : { principal: requester.name, reason: breakGlassReason };
      const evaluation = evaluate({ requester, requestedAt: time, target, digest, approvals: [] }, facts, time, claim);
      if (evaluation.evidenceFailures.length > 0) {
        throw new MlflowError(
          'INVALID_STATE',
          `${requested.name} version ${requested.version} lacks the evidence policy '${policy.name}' requires: ${evaluation.evidenceFailures.join('; ')}.`,
        );
      }
      if (claim && !evaluation.breakGlass) {
        throw new MlflowError('PERMISSION_DENIED', `${evaluation.reasons.join('; ')}.`);
      }
      if (!claim) return [requestedEvent(policy, evaluation)];
      return [
        requestedEvent(policy, evaluation),
        {
          type: 'TransitionApplied',
          data: {
            ...requested,
            target,
            archiveExistingVersions: false,
            evaluation,
            breakGlass: { principal: requester, reason: claim.reason.trim() },
            time,
          },
        },
      ];
    }
    case 'ApproveRequest': {
      requirePending(state, address.requestId);
      const { approver, roles, comment, archiveExistingVersions, facts } = command.data;
      if (state.expiresAt !== null && time >= state.expiresAt) {
        return [{ type: 'RequestExpired', data: { ...address, expiresAt: state.expiresAt, time } }];
      }
      const digest = boundDigest(facts);
      const applied = (evaluation: PolicyDecision | null): TransitionRequestEvent => ({
        type: 'TransitionApplied',
        data: { ...address, target: state.target, archiveExistingVersions, evaluation, breakGlass: null, time },
      });
      const approval = (evaluation: PolicyDecision | null): TransitionRequestEvent => ({
        type: 'ApprovalGiven',
        data: { ...address, approver, roles, comment, digest, evaluation, time },
      });
      if (!hasPolicy(facts)) return [approval(null), applied(null)];
      const policyName = facts.policy.definition.name;
      if (approver.id === state.requester.id) {
        throw new MlflowError(
          'PERMISSION_DENIED',
          `${approver.name} requested this transition and cannot approve it: policy '${policyName}' never counts the requester as an approver.`,
        );
      }
      if (state.approvals.some((given) => given.approver.id === approver.id)) {
        throw new MlflowError('RESOURCE_ALREADY_EXISTS', `${approver.name} already approved this transition request.`);
      }
      const named = [...new Set(facts.policy.definition.approvals.flatMap((requirement) => requirement.from))];
      if (!roles.some((role) => named.includes(role))) {
        throw new MlflowError(
          'PERMISSION_DENIED',
          `${approver.name} holds none of the roles or groups policy '${policyName}' takes approvals from (${named.join(', ')}).`,
        );
      }
      const evaluation = evaluate(
        { ...state, approvals: [...state.approvals, { approver, roles, at: time, digest }] },
        facts,
        time,
      );
      if (evaluation.outcome === 'void') {
        return [
          {
            type: 'RequestVoided',
            data: { ...address, reason: evaluation.reasons.join('; '), digest, evaluation, time },
          },
        ];
      }
      return evaluation.outcome === 'approved' ? [approval(evaluation), applied(evaluation)] : [approval(evaluation)];
    }
    case 'RejectRequest':
      requirePending(state, address.requestId);
      return [{ type: 'RequestRejected', data: { ...address, ...command.data, time } }];
    case 'CancelRequest': {
      requirePending(state, address.requestId);
      const { cancelledBy } = command.data;
      if (cancelledBy.id !== state.requester.id) {
        throw new MlflowError(
          'PERMISSION_DENIED',
          `Only ${state.requester.name}, who made the transition request, can cancel it.`,
        );
      }
      return [{ type: 'RequestCancelled', data: { ...address, ...command.data, time } }];
    }
    case 'ExpireRequest':
      if (!state.exists || state.status !== 'PENDING' || state.expiresAt === null || time < state.expiresAt) return [];
      return [{ type: 'RequestExpired', data: { ...address, expiresAt: state.expiresAt, time } }];
  }
}

const FINAL_STATUS: Partial<Record<TransitionRequestEvent['type'], RequestStatus>> = {
  RequestRejected: 'REJECTED',
  RequestCancelled: 'CANCELLED',
  RequestExpired: 'EXPIRED',
  RequestVoided: 'VOIDED',
  TransitionApplied: 'APPLIED',
};

function evolve(state: TransitionRequestState, event: TransitionRequestEvent): TransitionRequestState {
  switch (event.type) {
    case 'TransitionRequested': {
      const { requestId, registeredModelId, name, version } = event.data;
      return {
        exists: true,
        status: 'PENDING',
        address: { requestId, registeredModelId, name, version },
        target: event.data.target,
        requester: event.data.requester,
        requestedAt: event.data.time,
        digest: event.data.digest,
        policy: event.data.policy,
        approvals: [],
        expiresAt: event.data.expiresAt,
      };
    }
    case 'ApprovalGiven': {
      const { approver, roles, time: at, digest } = event.data;
      return { ...state, approvals: [...state.approvals, { approver, roles, at, digest }] };
    }
    default:
      return { ...state, status: FINAL_STATUS[event.type] ?? state.status };
  }
}

export const transitionRequestDecider: Decider<
  TransitionRequestState,
  TransitionRequestCommand,
  TransitionRequestEvent
> = { initialState, evolve, decide };

export const transitionRequestStream = {
  streamType: 'transition-request',
  decider: transitionRequestDecider,
  stateVersion: 1,
};

export const transitionRequestStreamId = (requestId: string) => `transition-request-${requestId}`;
