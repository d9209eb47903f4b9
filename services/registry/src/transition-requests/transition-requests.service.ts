import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { EventEnvelope, EventStore } from '@logbook/eventstore';
import {
  CommandMetadata,
  isUniqueViolation,
  MlflowError,
  notFound,
  Principal,
  Queryable,
  systemActor,
} from '@logbook/platform';
import { GovernedTargets, UNGOVERNED } from '../governance/governed-targets';
import { PoliciesQueries } from '../governance/policies.queries';
import { Person, PolicyTarget } from '../governance/policy-evaluator';
import {
  RegisteredModelCommand,
  registeredModelStream,
  registeredModelStreamId,
} from '../registered-models/registered-model.decider';
import { RegistryAccess } from '../shared/access';
import { EVENT_STORE } from '../shared/tokens';
import {
  alreadyOpen,
  describeTarget,
  GovernanceFacts,
  TransitionRequestCommand,
  transitionRequestStream,
  transitionRequestStreamId,
} from './transition-request.decider';
import { TransitionApplied, TransitionRequestEvent } from './transition-request.events';
import { RequestAction } from './transition-request.views';
import { TransitionRequestRow, TransitionRequestsQueries, VersionFacts } from './transition-requests.queries';

/** Who acts, as requests record people: the caller's id and name (anonymous while authentication is off). */
export const personOf = (metadata: CommandMetadata): Person => ({ id: metadata.actor.id, name: metadata.actor.name });

/** A request after an approval or a rejection, and the event that recorded the decision. */
export interface Decided {
  request: TransitionRequestRow;
  decision: EventEnvelope;
}

export interface RequestedTarget {
  name: string;
  version: number;
  target: PolicyTarget;
}

/** How a closed request's state reads in a refusal. */
const ENDED_BY: Partial<Record<TransitionRequestEvent['type'], string>> = {
  RequestExpired: 'expired before it was approved',
  RequestVoided: "was voided: the version's content or evidence changed since it was requested",
};

@Injectable()
export class TransitionRequestsService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly queries: TransitionRequestsQueries,
    private readonly governed: GovernedTargets,
    private readonly policies: PoliciesQueries,
    private readonly access: RegistryAccess,
  ) {}

  /**
   * Opens a request (applied at once for a break-glass principal); answers its id. Each change runs in a
   * transaction of its own, or in `within`, the caller's, which then commits or rolls it back (a consumer's
   * inbox transaction).
   */
  async create(
    requested: RequestedTarget & { comment: string | null; breakGlassReason: string | null },
    metadata: CommandMetadata,
    within?: Queryable,
  ): Promise<string> {
    const version = await this.queries.versionFacts(requested.name, requested.version);
    const governed = await this.governed.forModel(requested.name);
    const { target } = requested;
    const ref = target.kind === 'stage' ? governed.stages[target.stage] : governed.aliases[target.alias];
    const facts = await this.facts(version, ref ?? null);
    const open = await this.queries.open(version.registeredModelId, version.version, target);
    // An open request past its time, not swept yet, is closed first rather than blocking the new one.
    const overdue = open !== null && open.expires_at !== null && open.expires_at <= metadata.now;
    const requestId = randomUUID().replace(/-/g, '');
    await this.write(within, async (tx) => {
      if (overdue) {
        await this.store.handleIn(
          tx,
          transitionRequestStream,
          transitionRequestStreamId(open.request_id),
          { type: 'ExpireRequest', data: {}, metadata },
          metadata,
        );
      }
      const events = await this.store.handleIn(
        tx,
        transitionRequestStream,
        transitionRequestStreamId(requestId),
        {
          type: 'RequestTransition',
          data: {
            requestId,
            registeredModelId: version.registeredModelId,
            name: version.name,
            version: version.version,
            target,
            fromStage: version.currentStage,
            requester: personOf(metadata),
            comment: requested.comment,
            facts,
            openRequestBy: open === null || overdue ? null : open.requester_name,
            breakGlassReason: requested.breakGlassReason,
          },
          metadata,
        },
        metadata,
      );
      await this.applyApproved(tx, events, metadata);
    }).catch((error: unknown) => {
      // Another request for the same target was opened between the look-up and the write.
      if (isUniqueViolation(error)) throw alreadyOpen(requested);
      throw error;
    });
    return requestId;
  }

  /** Approves the open request for the target; the last approval a policy needs applies the transition. */
  async approve(
    requested: RequestedTarget & { comment: string | null; archiveExistingVersions: boolean },
    principal: Principal | null,
    metadata: CommandMetadata,
    within?: Queryable,
  ): Promise<Decided> {
    const { request, version } = await this.openRequest(requested);
    const facts = await this.facts(version, pinnedPolicy(request));
    if (facts.policy === null) await this.requireTransitionPermission(principal, requested.name);
    const roles = await this.access.rolesOf(principal);
    const events = await this.onRequest(request.request_id, metadata, within, {
      type: 'ApproveRequest',
      data: {
        approver: personOf(metadata),
        roles,
        comment: requested.comment,
        archiveExistingVersions: requested.archiveExistingVersions,
        facts,
      },
    });
    this.refuseIfEnded(events, request);
    return this.decided(request.request_id, events, 'ApprovalGiven', within);
  }

  async reject(
    requested: RequestedTarget & { comment: string | null },
    principal: Principal | null,
    metadata: CommandMetadata,
    within?: Queryable,
  ): Promise<Decided> {
    const { request } = await this.openRequest(requested);
    if (request.policy_name === null) await this.requireTransitionPermission(principal, requested.name);
    else await this.requirePolicyRole(principal, request, metadata);
    const events = await this.onRequest(request.request_id, metadata, within, {
      type: 'RejectRequest',
      data: { rejectedBy: personOf(metadata), comment: requested.comment },
    });
    return this.decided(request.request_id, events, 'RequestRejected', within);
  }

  /** Databricks names the request to cancel by its creator's user name. */
  async cancel(
    requested: RequestedTarget & { creator: string; comment: string | null },
    metadata: CommandMetadata,
    within?: Queryable,
  ): Promise<string> {
    const { request } = await this.openRequest(requested);
    if (request.requester_name !== requested.creator) throw this.noOpenRequest(requested, requested.creator);
    await this.onRequest(request.request_id, metadata, within, {
      type: 'CancelRequest',
      data: { cancelledBy: personOf(metadata), comment: requested.comment },
    });
    return request.request_id;
  }

  /** Expires the open requests whose time is up; answers how many. */
  async expireDue(metadata: CommandMetadata, batch = 100): Promise<number> {
    const due = await this.queries.due(metadata.now, batch);
    for (const requestId of due) {
      await this.onRequest(requestId, metadata, undefined, { type: 'ExpireRequest', data: {} });
    }
    return due.length;
  }

  /** The open requests of a version, each with what the caller may do with it. */
  async openOfVersion(
    name: string,
    version: number,
    principal: Principal | null,
    metadata: CommandMetadata,
  ): Promise<Array<{ request: TransitionRequestRow; actions: RequestAction[] }>> {
    const facts = await this.queries.versionFacts(name, version);
    const requests = await this.queries.openOfVersion(facts.registeredModelId, facts.version);
    if (requests.length === 0) return [];
    const [roles, mayTransition] = await Promise.all([
      this.access.rolesOf(principal),
      this.access.mayUpdateVersions(principal, name),
    ]);
    return Promise.all(
      requests.map(async (request) => {
        const own = request.requester_id === metadata.actor.id;
        const mayDecide =
          request.policy_name === null
            ? mayTransition
            : !own && (await this.approverRoles(request)).some((role) => roles.includes(role));
        const actions: RequestAction[] = [
          ...(mayDecide ? (['APPROVE_TRANSITION_REQUEST', 'REJECT_TRANSITION_REQUEST'] as const) : []),
          ...(own ? (['CANCEL_TRANSITION_REQUEST'] as const) : []),
        ];
        return { request, actions };
      }),
    );
  }

  /** The roles and groups the request's pinned policy takes approvals from. */
  private async approverRoles(request: TransitionRequestRow): Promise<string[]> {
    const definition = await this.policies.get(request.policy_name as string, request.policy_version as number);
    return [...new Set(definition.approvals.flatMap((requirement) => requirement.from))];
  }

  private async openRequest(requested: RequestedTarget) {
    const version = await this.queries.versionFacts(requested.name, requested.version);
    const request = await this.queries.open(version.registeredModelId, version.version, requested.target);
    if (!request) throw this.noOpenRequest(requested);
    return { request, version };
  }

  private noOpenRequest(requested: RequestedTarget, creator?: string): MlflowError {
    return notFound(
      `No open transition request of ${requested.name} version ${requested.version} to ${describeTarget(requested.target)}${creator === undefined ? '' : ` by ${creator}`}.`,
    );
  }

  private async decided(
    requestId: string,
    events: EventEnvelope[],
    type: TransitionRequestEvent['type'],
    within?: Queryable,
  ): Promise<Decided> {
    const request = (await this.queries.byId(requestId, within)) as TransitionRequestRow;
    return { request, decision: events.find((event) => event.type === type) as EventEnvelope };
  }

  /** The request's policy at the version it was pinned to when the request was made, and the version now. */
  private async facts(version: VersionFacts, ref: { name: string; version: number } | null): Promise<GovernanceFacts> {
    if (!ref) return { policy: null, evidence: version.evidence };
    return {
      policy: { version: ref.version, definition: await this.policies.get(ref.name, ref.version) },
      evidence: version.evidence,
    };
  }

  /** Where no policy governs, approving or rejecting takes what a direct transition takes (Databricks). */
  private async requireTransitionPermission(principal: Principal | null, name: string): Promise<void> {
    if (!(await this.access.mayUpdateVersions(principal, name))) {
      throw new MlflowError('PERMISSION_DENIED', 'Permission denied');
    }
  }

  private async requirePolicyRole(
    principal: Principal | null,
    request: TransitionRequestRow,
    metadata: CommandMetadata,
  ) {
    const definition = await this.policies.get(request.policy_name as string, request.policy_version as number);
    const named = definition.approvals.flatMap((requirement) => requirement.from);
    const roles = await this.access.rolesOf(principal);
    if (metadata.actor.id !== request.requester_id && !roles.some((role) => named.includes(role))) {
      throw new MlflowError(
        'PERMISSION_DENIED',
        `${metadata.actor.name} holds none of the roles or groups policy '${definition.name}' takes approvals from (${[...new Set(named)].join(', ')}).`,
      );
    }
  }

  private async onRequest(
    requestId: string,
    metadata: CommandMetadata,
    within: Queryable | undefined,
    command: Omit<TransitionRequestCommand, 'metadata'>,
  ): Promise<EventEnvelope[]> {
    return this.write(within, async (tx) => {
      const events = await this.store.handleIn(
        tx,
        transitionRequestStream,
        transitionRequestStreamId(requestId),
        { ...command, metadata } as TransitionRequestCommand,
        metadata,
      );
      await this.applyApproved(tx, events, metadata);
      return events;
    });
  }

  private write<T>(within: Queryable | undefined, work: (tx: Queryable) => Promise<T>): Promise<T> {
    return within ? work(within) : this.store.transaction(work);
  }

  /** A request the policy allowed moves the version or alias, by the system, in the request's own transaction. */
  private async applyApproved(tx: Queryable, events: EventEnvelope[], metadata: CommandMetadata): Promise<void> {
    const applied = events.find((event) => event.type === 'TransitionApplied');
    if (!applied) return;
    const { requestId, registeredModelId, name, version, target, archiveExistingVersions } = (
      applied as unknown as TransitionApplied
    ).data;
    const systemMetadata: CommandMetadata = {
      ...metadata,
      actor: systemActor('registry'),
      causationId: applied.eventId,
    };
    const common = { name, version: String(version), governed: UNGOVERNED, appliedRequest: requestId };
    const command: RegisteredModelCommand =
      target.kind === 'stage'
        ? {
            type: 'TransitionModelVersionStage',
            data: { ...common, stage: target.stage, archiveExistingVersions },
            metadata: systemMetadata,
          }
        : { type: 'SetRegisteredModelAlias', data: { ...common, alias: target.alias }, metadata: systemMetadata };
    await this.store.handleIn(
      tx,
      registeredModelStream,
      registeredModelStreamId(registeredModelId),
      command,
      systemMetadata,
    );
  }

  /** An approval that found the request past its time or its content changed closed it: say so. */
  private refuseIfEnded(events: EventEnvelope[], request: TransitionRequestRow): void {
    const ended = events.map((event) => ENDED_BY[event.type as TransitionRequestEvent['type']]).find(Boolean);
    if (ended) {
      throw new MlflowError(
        'INVALID_STATE',
        `The transition request of ${request.name} version ${request.version} to ${request.target_kind} '${request.target}' ${ended}; request it again.`,
      );
    }
  }
}

const pinnedPolicy = (request: TransitionRequestRow) =>
  request.policy_name === null ? null : { name: request.policy_name, version: request.policy_version as number };
