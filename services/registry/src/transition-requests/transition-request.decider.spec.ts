import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fold } from '@logbook/eventstore';
import { CommandMetadata } from '@logbook/platform';
import { spec } from '@logbook/testing';
import { parsePolicyDefinition } from '../governance/policy-definition';
import { EvidenceFacts, Person } from '../governance/policy-evaluator';
import {
  boundDigest,
  GovernanceFacts,
  TransitionRequestCommand,
  transitionRequestDecider,
} from './transition-request.decider';
import { TransitionRequestEvent } from './transition-request.events';

const HOUR = 3_600_000;
const REQUESTED_AT = Date.UTC(2026, 11, 1, 9);
const address = { requestId: 'req-7', registeredModelId: 'rm1', name: 'fraud-scorer', version: 3 };
const person = (name: string): Person => ({ id: `id-${name}`, name });
const carol = person('carol');
const production = { kind: 'stage', stage: 'Production' } as const;

const policy = parsePolicyDefinition({
  name: 'fraud-production',
  applies_to: 'fraud-*',
  targets: { stages: ['Production'] },
  approvals: [
    { count: 1, from: ['risk'] },
    { count: 1, from: ['model-owners'] },
  ],
  evidence: { tags: { validation: 'passed' }, metrics: [{ key: 'auc', op: '>=', value: 0.8 }], ready: true },
  expires_after: '72h',
  break_glass: { principals: ['oncall'] },
});
const READY: EvidenceFacts = {
  tags: { validation: 'passed' },
  metrics: { auc: 0.91 },
  status: 'READY',
  digest: 'sha256:v3',
};
const governed = (evidence: Partial<EvidenceFacts> = {}): GovernanceFacts => ({
  policy: { version: 2, definition: policy },
  evidence: { ...READY, ...evidence },
});
const ungoverned: GovernanceFacts = { policy: null, evidence: READY };

const at = (offset: number): CommandMetadata => ({
  now: REQUESTED_AT + offset,
  actor: { id: 'x', kind: 'user', name: 'x', authMethod: 'basic' },
  requestId: 'http-1',
});
const command = (data: TransitionRequestCommand, offset = HOUR) =>
  ({ ...data, metadata: at(offset) }) as TransitionRequestCommand;
const request = (
  facts: GovernanceFacts,
  overrides: { openRequestBy?: string; breakGlassReason?: string; requester?: Person } = {},
) =>
  command(
    {
      type: 'RequestTransition',
      data: {
        ...address,
        target: production,
        fromStage: 'Staging',
        requester: overrides.requester ?? carol,
        comment: 'ready for prod',
        facts,
        openRequestBy: overrides.openRequestBy ?? null,
        breakGlassReason: overrides.breakGlassReason ?? null,
      },
    } as TransitionRequestCommand,
    0,
  );
const approve = (name: string, roles: string[], facts: GovernanceFacts = governed(), offset = HOUR) =>
  command(
    {
      type: 'ApproveRequest',
      data: { approver: person(name), roles, comment: null, archiveExistingVersions: true, facts },
    } as TransitionRequestCommand,
    offset,
  );

const decide = (history: TransitionRequestEvent[], next: TransitionRequestCommand) =>
  transitionRequestDecider.decide(next, fold(transitionRequestDecider, history));
/** The history after each command in turn. */
const play = (...commands: TransitionRequestCommand[]) =>
  commands.reduce<TransitionRequestEvent[]>((history, next) => [...history, ...decide(history, next)], []);
const types = (events: TransitionRequestEvent[]) => events.map((event) => event.type);
const given = spec(transitionRequestDecider).given;

describe('transition request decider', () => {
  describe('requesting', () => {
    it('records the request with the pinned policy, its first evaluation, the bound digest and the expiry', () => {
      const [requested] = decide([], request(governed()));
      assert.equal(requested.type, 'TransitionRequested');
      if (requested.type !== 'TransitionRequested') return;
      assert.deepEqual(requested.data.policy, { name: 'fraud-production', version: 2 });
      assert.equal(requested.data.evaluation?.outcome, 'pending');
      assert.equal(requested.data.digest, boundDigest(governed()));
      assert.equal(requested.data.expiresAt, REQUESTED_AT + 72 * HOUR);
    });

    it('refuses a version that lacks the evidence, naming what is missing', () => {
      given([])
        .when(request(governed({ tags: {} })))
        .thenThrows('INVALID_STATE', 'version tag validation is missing');
      given([])
        .when(request(governed({ metrics: { auc: 0.7 } })))
        .thenThrows('INVALID_STATE', 'metric auc');
      given([])
        .when(request(governed({ status: 'PENDING_REGISTRATION' })))
        .thenThrows('INVALID_STATE', 'READY');
    });

    it('refuses a second open request for the same version and target', () =>
      given([])
        .when(request(governed(), { openRequestBy: 'dave' }))
        .thenThrows('RESOURCE_ALREADY_EXISTS', 'requested by dave'));

    it('applies at once for a break-glass principal with a reason, flagged', () => {
      const events = decide(
        [],
        request(governed(), { requester: person('oncall'), breakGlassReason: 'outage INC-42' }),
      );
      assert.deepEqual(types(events), ['TransitionRequested', 'TransitionApplied']);
      const applied = events[1];
      if (applied.type !== 'TransitionApplied') return;
      assert.deepEqual(applied.data.breakGlass, { principal: person('oncall'), reason: 'outage INC-42' });
      assert.equal(applied.data.evaluation?.breakGlass, true);
    });

    it('refuses break-glass to anyone not named, to a blank reason, and on ungoverned targets', () => {
      given([])
        .when(request(governed(), { breakGlassReason: 'hurry' }))
        .thenThrows('PERMISSION_DENIED', 'not a break-glass principal');
      given([])
        .when(request(governed(), { requester: person('oncall'), breakGlassReason: '  ' }))
        .thenThrows('PERMISSION_DENIED', 'gave no reason');
      given([])
        .when(request(ungoverned, { breakGlassReason: 'hurry' }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'governed targets only');
    });
  });

  describe('approving under a policy', () => {
    const requested = play(request(governed()));

    it('applies when the last requirement is met, with the evaluation that allowed it', () => {
      const history = play(request(governed()), approve('alice', ['risk']));
      assert.deepEqual(types(history), ['TransitionRequested', 'ApprovalGiven']);
      const events = decide(history, approve('dave', ['model-owners']));
      assert.deepEqual(types(events), ['ApprovalGiven', 'TransitionApplied']);
      const applied = events[1];
      if (applied.type !== 'TransitionApplied') return;
      assert.equal(applied.data.evaluation?.outcome, 'approved');
      assert.equal(applied.data.archiveExistingVersions, true);
      assert.deepEqual(
        applied.data.evaluation?.requirements.map((r) => r.approvers.map((a) => a.name)),
        [['alice'], ['dave']],
      );
    });

    it('keeps waiting while a requirement is unmet: two from one role do not make one from each', () =>
      assert.deepEqual(types(play(request(governed()), approve('alice', ['risk']), approve('bob', ['risk']))), [
        'TransitionRequested',
        'ApprovalGiven',
        'ApprovalGiven',
      ]));

    it('lets one person with both roles count once', () =>
      assert.deepEqual(types(play(request(governed()), approve('erin', ['risk', 'model-owners']))), [
        'TransitionRequested',
        'ApprovalGiven',
      ]));

    it("refuses the requester's own approval, a second approval by the same person, and someone without the roles", () => {
      given(requested)
        .when(approve('carol', ['risk', 'model-owners']))
        .thenThrows('PERMISSION_DENIED', 'cannot approve it');
      given(play(request(governed()), approve('alice', ['risk'])))
        .when(approve('alice', ['risk']))
        .thenThrows('RESOURCE_ALREADY_EXISTS', 'alice already approved');
      given(requested)
        .when(approve('frank', ['interns']))
        .thenThrows('PERMISSION_DENIED', '(risk, model-owners)');
    });

    it('voids the request when the content or the evidence changed since it was made', () => {
      assert.deepEqual(types(decide(requested, approve('alice', ['risk'], governed({ digest: 'sha256:other' })))), [
        'RequestVoided',
      ]);
      assert.deepEqual(types(decide(requested, approve('alice', ['risk'], governed({ metrics: { auc: 0.95 } })))), [
        'RequestVoided',
      ]);
    });

    it('expires the request once its time is up, instead of counting the approval', () => {
      assert.deepEqual(types(decide(requested, approve('alice', ['risk'], governed(), 72 * HOUR))), ['RequestExpired']);
      assert.deepEqual(types(decide(requested, approve('alice', ['risk'], governed(), 72 * HOUR - 1))), [
        'ApprovalGiven',
      ]);
    });

    it('refuses any change to a request that is no longer pending', () =>
      given([...requested, ...decide(requested, approve('alice', ['risk'], governed({ digest: 'sha256:other' })))])
        .when(approve('dave', ['model-owners']))
        .thenThrows('INVALID_STATE', 'is voided'));
  });

  describe('without a policy (Databricks semantics)', () => {
    it('applies on the first approval, the requester included', () =>
      assert.deepEqual(types(decide(play(request(ungoverned)), approve('carol', [], ungoverned))), [
        'ApprovalGiven',
        'TransitionApplied',
      ]));
  });

  describe('rejecting, cancelling and expiring', () => {
    const requested = play(request(governed()));

    it('rejects on anyone permitted, and cancels only for the requester', () => {
      given(requested)
        .when(
          command({
            type: 'RejectRequest',
            data: { rejectedBy: person('alice'), comment: 'not yet' },
          } as TransitionRequestCommand),
        )
        .then([
          {
            type: 'RequestRejected',
            data: { ...address, rejectedBy: person('alice'), comment: 'not yet', time: REQUESTED_AT + HOUR },
          },
        ]);
      given(requested)
        .when(
          command({
            type: 'CancelRequest',
            data: { cancelledBy: person('alice'), comment: null },
          } as TransitionRequestCommand),
        )
        .thenThrows('PERMISSION_DENIED', 'Only carol');
      given(requested)
        .when(
          command({ type: 'CancelRequest', data: { cancelledBy: carol, comment: null } } as TransitionRequestCommand),
        )
        .then([
          {
            type: 'RequestCancelled',
            data: { ...address, cancelledBy: carol, comment: null, time: REQUESTED_AT + HOUR },
          },
        ]);
    });

    it('expires a pending request past its time, and leaves others alone', () => {
      const expire = (offset: number) =>
        command({ type: 'ExpireRequest', data: {} } as TransitionRequestCommand, offset);
      given(requested)
        .when(expire(72 * HOUR))
        .then([
          {
            type: 'RequestExpired',
            data: { ...address, expiresAt: REQUESTED_AT + 72 * HOUR, time: REQUESTED_AT + 72 * HOUR },
          },
        ]);
      given(requested)
        .when(expire(72 * HOUR - 1))
        .thenNothing();
      given(play(request(ungoverned)))
        .when(expire(1000 * HOUR))
        .thenNothing();
    });
  });
});
