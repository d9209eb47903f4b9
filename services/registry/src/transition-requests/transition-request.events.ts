import { DomainEvent } from '@logbook/eventstore';
import { Person, PolicyDecision, PolicyTarget } from '../governance/policy-evaluator';
import { Stage } from '../shared/limits';

/** The version a request is about, by the model's id, its name at the time, and the version number. */
export interface RequestedVersion {
  requestId: string;
  registeredModelId: string;
  name: string;
  version: number;
}

/** The policy a request is held to: its version is pinned when the request is made. */
export interface PolicyRef {
  name: string;
  version: number;
}

export type TransitionRequested = DomainEvent<
  'TransitionRequested',
  RequestedVersion & {
    target: PolicyTarget;
    /** The version's stage when the request was made. */
    fromStage: Stage;
    requester: Person;
    comment: string | null;
    /** What approvals bind to: the version's content digest with the evidence the policy reads. */
    digest: string;
    /** None when no policy governs the target: one approval applies it, as in Databricks. */
    policy: PolicyRef | null;
    evaluation: PolicyDecision | null;
    expiresAt: number | null;
    time: number;
  }
>;

export type ApprovalGiven = DomainEvent<
  'ApprovalGiven',
  RequestedVersion & {
    approver: Person;
    roles: string[];
    comment: string | null;
    digest: string;
    /** The policy's verdict with this approval counted; null without a policy. */
    evaluation: PolicyDecision | null;
    time: number;
  }
>;

export type RequestRejected = DomainEvent<
  'RequestRejected',
  RequestedVersion & { rejectedBy: Person; comment: string | null; time: number }
>;

export type RequestCancelled = DomainEvent<
  'RequestCancelled',
  RequestedVersion & { cancelledBy: Person; comment: string | null; time: number }
>;

export type RequestExpired = DomainEvent<'RequestExpired', RequestedVersion & { expiresAt: number; time: number }>;

/** The version's content or evidence changed after the request: its approvals no longer count. */
export type RequestVoided = DomainEvent<
  'RequestVoided',
  RequestedVersion & { reason: string; digest: string; evaluation: PolicyDecision | null; time: number }
>;

/** The system moved the version (or the alias) because the policy allowed it: the evaluation says why. */
export type TransitionApplied = DomainEvent<
  'TransitionApplied',
  RequestedVersion & {
    target: PolicyTarget;
    archiveExistingVersions: boolean;
    evaluation: PolicyDecision | null;
    breakGlass: { principal: Person; reason: string } | null;
    time: number;
  }
>;

export type TransitionRequestEvent =
  | TransitionRequested
  | ApprovalGiven
  | RequestRejected
  | RequestCancelled
  | RequestExpired
  | RequestVoided
  | TransitionApplied;
