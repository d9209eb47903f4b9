import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePolicyDefinition } from './policy-definition';
import {
  ApprovalFact,
  BreakGlassClaim,
  evaluatePolicy,
  EvidenceFacts,
  PolicyDecision,
  PolicyOutcome,
} from './policy-evaluator';

const HOUR = 3_600_000;
const REQUESTED_AT = Date.UTC(2026, 11, 1, 9);
const DIGEST = 'sha256:aaaa';
const NEW_DIGEST = 'sha256:bbbb';

/** Who is who: their roles and OIDC groups. carol requests. */
const PEOPLE: Record<string, string[]> = {
  carol: ['risk', 'model-owners'],
  alice: ['risk'],
  bob: ['risk'],
  dave: ['model-owners'],
  erin: ['risk', 'model-owners'],
  gina: ['compliance'],
  hank: ['oidc:risk-team'],
  frank: ['interns'],
};

const approval = (name: string, overrides: Partial<ApprovalFact> = {}): ApprovalFact => ({
  approver: { id: `id-${name}`, name },
  roles: PEOPLE[name],
  at: REQUESTED_AT + HOUR,
  digest: DIGEST,
  ...overrides,
});
const approvals = (...names: string[]) => names.map((name, index) => approval(name, { at: REQUESTED_AT + index }));

const ONE_FROM_RISK = [{ count: 1, from: ['risk'] }];
const TWO_FROM_RISK = [{ count: 2, from: ['risk'] }];
const RISK_AND_OWNERS = [
  { count: 1, from: ['risk'] },
  { count: 1, from: ['model-owners'] },
];

const READY: EvidenceFacts = {
  tags: { validation: 'passed' },
  metrics: { auc: 0.9 },
  status: 'READY',
  digest: DIGEST,
};

interface Case {
  given: string;
  policy?: Record<string, unknown>;
  approvals?: ApprovalFact[];
  evidence?: Partial<EvidenceFacts>;
  /** Hours after the request. */
  hoursLater?: number;
  nowOffsetMs?: number;
  breakGlass?: BreakGlassClaim;
  then: PolicyOutcome;
  /** Names counted per requirement. */
  counted?: string[][];
  notCounted?: string[];
  includes?: Partial<Record<'reasons' | 'missing' | 'evidenceFailures' | 'satisfied', string>>;
  breakGlassFlag?: boolean;
}

function evaluate(c: Case): PolicyDecision {
  const definition = parsePolicyDefinition({
    name: 'fraud-production',
    applies_to: 'fraud-*',
    targets: { stages: ['Production'], aliases: ['champion'] },
    approvals: ONE_FROM_RISK,
    ...c.policy,
  });
  return evaluatePolicy({
    policy: { version: 3, definition },
    request: {
      requester: { id: 'id-carol', name: 'carol' },
      requestedAt: REQUESTED_AT,
      target: { kind: 'stage', stage: 'Production' },
      digest: DIGEST,
    },
    approvals: c.approvals ?? [],
    evidence: { ...READY, ...c.evidence },
    now: REQUESTED_AT + (c.hoursLater ?? 2) * HOUR + (c.nowOffsetMs ?? 0),
    breakGlass: c.breakGlass,
  });
}

const matrix: Array<{ topic: string; cases: Case[] }> = [
  {
    topic: 'requesters',
    cases: [
      {
        given: 'the requester approving their own request',
        approvals: approvals('carol'),
        then: 'pending',
        counted: [[]],
        notCounted: ['carol: the requester never counts as an approver'],
      },
      {
        given: 'the requester and one risk approver',
        approvals: approvals('carol', 'alice'),
        then: 'approved',
        counted: [['alice']],
      },
    ],
  },
  {
    topic: 'approvers',
    cases: [
      {
        given: 'no approvals',
        then: 'pending',
        counted: [[]],
        includes: { missing: '1 approval from risk: has 0 of 1' },
      },
      {
        given: 'one person approving twice where two are needed',
        policy: { approvals: TWO_FROM_RISK },
        approvals: approvals('alice', 'alice'),
        then: 'pending',
        counted: [['alice']],
        notCounted: ['alice: already counted: one person counts once'],
        includes: { missing: '2 approvals from risk: has 1 of 2' },
      },
      {
        given: 'an approver holding none of the roles',
        approvals: approvals('frank'),
        then: 'pending',
        notCounted: ['frank: holds none of the roles or groups the policy names (risk)'],
      },
      {
        given: 'an approver in an OIDC group the policy names',
        policy: { approvals: [{ count: 1, from: ['risk', 'oidc:risk-team'] }] },
        approvals: approvals('hank'),
        then: 'approved',
        counted: [['hank']],
        includes: { satisfied: '1 approval from risk or oidc:risk-team: hank' },
      },
    ],
  },
  {
    topic: 'N of M',
    cases: [
      {
        given: 'two of the roles risk or compliance, from one of each',
        policy: { approvals: [{ count: 2, from: ['risk', 'compliance'] }] },
        approvals: approvals('alice', 'gina'),
        then: 'approved',
        counted: [['alice', 'gina']],
      },
      {
        given: 'two from risk, one given',
        policy: { approvals: TWO_FROM_RISK },
        approvals: approvals('alice', 'gina'),
        then: 'pending',
        counted: [['alice']],
      },
      {
        given: 'two from risk, three given',
        policy: { approvals: TWO_FROM_RISK },
        approvals: approvals('alice', 'bob', 'erin'),
        then: 'approved',
        counted: [['alice', 'bob']],
      },
    ],
  },
  {
    topic: 'several role groups',
    cases: [
      {
        given: 'risk AND owners, risk only',
        policy: { approvals: RISK_AND_OWNERS },
        approvals: approvals('alice'),
        then: 'pending',
        counted: [['alice'], []],
        includes: { missing: '1 approval from model-owners: has 0 of 1' },
      },
      {
        given: 'risk AND owners, one of each',
        policy: { approvals: RISK_AND_OWNERS },
        approvals: approvals('dave', 'alice'),
        then: 'approved',
        counted: [['alice'], ['dave']],
      },
      {
        given: 'risk AND owners, one person holding both roles',
        policy: { approvals: RISK_AND_OWNERS },
        approvals: approvals('erin'),
        then: 'pending',
        counted: [['erin'], []],
      },
      {
        given: 'risk AND owners, the person with both roles first, then a risk approver',
        policy: { approvals: RISK_AND_OWNERS },
        approvals: approvals('erin', 'alice'),
        then: 'approved',
        counted: [['alice'], ['erin']],
      },
      {
        given: 'risk AND owners, the person with both roles first, then an owner',
        policy: { approvals: RISK_AND_OWNERS },
        approvals: approvals('erin', 'dave'),
        then: 'approved',
        counted: [['erin'], ['dave']],
      },
      {
        given: 'two from risk AND one owner, with two people who can meet only one of them',
        policy: { approvals: [{ count: 2, from: ['risk'] }, RISK_AND_OWNERS[1]] },
        approvals: approvals('erin', 'alice'),
        then: 'pending',
        counted: [['alice', 'erin'], []],
      },
      {
        given: 'two from risk AND one owner, met in full only if the person with both roles is an owner',
        policy: { approvals: [{ count: 2, from: ['risk'] }, RISK_AND_OWNERS[1]] },
        approvals: approvals('erin', 'alice', 'bob'),
        then: 'approved',
        counted: [['alice', 'bob'], ['erin']],
      },
    ],
  },
  {
    topic: 'evidence',
    cases: [
      {
        given: 'every piece of evidence present',
        policy: {
          evidence: { tags: { validation: 'passed' }, metrics: [{ key: 'auc', op: '>=', value: 0.9 }], ready: true },
        },
        approvals: approvals('alice'),
        then: 'approved',
      },
      {
        given: 'a required tag missing',
        policy: { evidence: { tags: { validation: 'passed', card: 'yes' } } },
        approvals: approvals('alice'),
        then: 'rejected',
        includes: { evidenceFailures: 'version tag card is missing (required: card=yes)' },
      },
      {
        given: 'a required tag with another value',
        policy: { evidence: { tags: { validation: 'passed' } } },
        evidence: { tags: { validation: 'failed' } },
        approvals: approvals('alice'),
        then: 'rejected',
        includes: { evidenceFailures: "version tag validation is 'failed' (required: validation=passed)" },
      },
      {
        given: 'a metric exactly at a >= threshold',
        policy: { evidence: { metrics: [{ key: 'auc', op: '>=', value: 0.9 }] } },
        approvals: approvals('alice'),
        then: 'approved',
      },
      {
        given: 'a metric exactly at a > threshold',
        policy: { evidence: { metrics: [{ key: 'auc', op: '>', value: 0.9 }] } },
        approvals: approvals('alice'),
        then: 'rejected',
        includes: { evidenceFailures: 'metric auc of the source run is 0.9 (required: auc > 0.9)' },
      },
      {
        given: 'a metric under a <= threshold, and one equal to an == threshold',
        policy: {
          evidence: {
            metrics: [
              { key: 'latency', op: '<=', value: 50 },
              { key: 'auc', op: '==', value: 0.9 },
            ],
          },
        },
        evidence: { metrics: { latency: 49.5, auc: 0.9 } },
        approvals: approvals('alice'),
        then: 'approved',
      },
      {
        given: 'a required metric the source run does not have (no run)',
        policy: { evidence: { metrics: [{ key: 'auc', op: '>=', value: 0.9 }] } },
        evidence: { metrics: {} },
        approvals: approvals('alice'),
        then: 'rejected',
        includes: { evidenceFailures: 'metric auc of the source run is missing (required: auc >= 0.9)' },
      },
      {
        given: 'a version not READY where the policy requires it',
        policy: { evidence: { ready: true } },
        evidence: { status: 'PENDING_REGISTRATION' },
        approvals: approvals('alice'),
        then: 'rejected',
        includes: { evidenceFailures: 'version status is PENDING_REGISTRATION (required: READY)' },
      },
      {
        given: 'a version not READY where the policy does not require it',
        evidence: { status: 'PENDING_REGISTRATION' },
        approvals: approvals('alice'),
        then: 'approved',
      },
    ],
  },
  {
    topic: 'expiry',
    cases: [
      {
        given: 'a request one millisecond before it expires',
        policy: { expires_after: '72h' },
        approvals: approvals('alice'),
        hoursLater: 72,
        nowOffsetMs: -1,
        then: 'approved',
      },
      {
        given: 'a request at the moment it expires',
        policy: { expires_after: '72h' },
        approvals: approvals('alice'),
        hoursLater: 72,
        then: 'expired',
        includes: { reasons: 'the request expired at 2026-12-04T09:00:00.000Z, 72h after it was made' },
      },
      {
        given: 'a request a year old under a policy without expiry',
        approvals: approvals('alice'),
        hoursLater: 24 * 365,
        then: 'approved',
      },
    ],
  },
  {
    topic: 'break-glass',
    cases: [
      {
        given: 'a named break-glass principal with a reason, and no approvals',
        policy: { break_glass: { principals: ['oncall'] } },
        breakGlass: { principal: 'oncall', reason: 'fraud spike, rolling back' },
        then: 'approved',
        breakGlassFlag: true,
        includes: { reasons: 'break-glass by oncall: fraud spike, rolling back' },
      },
      {
        given: 'a named break-glass principal with a blank reason',
        policy: { break_glass: { principals: ['oncall'] } },
        breakGlass: { principal: 'oncall', reason: '  ' },
        then: 'pending',
        breakGlassFlag: false,
        includes: { reasons: 'break-glass refused: oncall gave no reason' },
      },
      {
        given: 'someone not named for break-glass',
        policy: { break_glass: { principals: ['oncall'] } },
        breakGlass: { principal: 'alice', reason: 'urgent' },
        then: 'pending',
        breakGlassFlag: false,
        includes: { reasons: 'break-glass refused: alice is not a break-glass principal of policy fraud-production' },
      },
      {
        given: 'a break-glass claim on a version lacking the evidence',
        policy: { break_glass: { principals: ['oncall'] }, evidence: { tags: { card: 'yes' } } },
        breakGlass: { principal: 'oncall', reason: 'urgent' },
        then: 'rejected',
        breakGlassFlag: false,
      },
      {
        given: 'a refused break-glass claim on a request approved anyway',
        policy: { break_glass: { principals: ['oncall'] } },
        approvals: approvals('alice'),
        breakGlass: { principal: 'alice', reason: 'urgent' },
        then: 'approved',
        breakGlassFlag: false,
      },
    ],
  },
  {
    topic: 'content digest',
    cases: [
      {
        given: "the version's content changed since the request",
        approvals: approvals('alice'),
        evidence: { digest: NEW_DIGEST },
        then: 'void',
        includes: { reasons: "the version's content changed since the request (sha256:aaaa then, sha256:bbbb now)" },
      },
      {
        given: 'an approval of another digest than the requested one',
        approvals: [approval('alice', { digest: NEW_DIGEST })],
        then: 'pending',
        notCounted: ['alice: approved content sha256:bbbb, not the requested sha256:aaaa'],
      },
      {
        given: 'a version whose registration completed after the request',
        approvals: approvals('alice'),
        evidence: { digest: null },
        then: 'void',
      },
    ],
  },
];

describe('policy evaluator', () => {
  for (const { topic, cases } of matrix) {
    describe(topic, () => {
      for (const c of cases) {
        it(`given ${c.given}, then ${c.then}`, () => {
          const decision = evaluate(c);
          assert.equal(decision.outcome, c.then, JSON.stringify(decision, null, 2));
          if (c.counted) {
            assert.deepEqual(
              decision.requirements.map((r) => r.approvers.map((a) => a.name).sort()),
              c.counted,
            );
          }
          if (c.notCounted) {
            assert.deepEqual(
              decision.notCounted.map((n) => `${n.approver.name}: ${n.reason}`),
              c.notCounted,
            );
          }
          for (const [field, fragment] of Object.entries(c.includes ?? {})) {
            const lines = decision[field as keyof NonNullable<Case['includes']>];
            assert.ok(
              lines.some((line) => line.includes(fragment)),
              `${field}: ${JSON.stringify(lines)}`,
            );
          }
          if (c.breakGlassFlag !== undefined) assert.equal(decision.breakGlass, c.breakGlassFlag);
        });
      }
    });
  }

  it('answers a JSON-plain decision, with the policy version, the expiry and the time of evaluation', () => {
    const decision = evaluate({
      given: 'one approval',
      policy: { expires_after: '1d' },
      approvals: approvals('alice'),
      then: 'approved',
    });
    assert.deepEqual(JSON.parse(JSON.stringify(decision)), decision);
    assert.deepEqual(decision, {
      policy: { name: 'fraud-production', version: 3 },
      outcome: 'approved',
      reasons: ['every approval requirement is met'],
      satisfied: ['1 approval from risk: alice'],
      missing: [],
      evidenceFailures: [],
      requirements: [{ count: 1, from: ['risk'], approvers: [{ id: 'id-alice', name: 'alice' }], met: true }],
      notCounted: [],
      breakGlass: false,
      evaluatedAt: REQUESTED_AT + 2 * HOUR,
      expiresAt: REQUESTED_AT + 24 * HOUR,
    });
  });
});
