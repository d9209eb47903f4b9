import {
  ApprovalRequirement,
  durationMs,
  GovernedStage,
  MetricOperator,
  MetricThreshold,
  PolicyDefinition,
} from './policy-definition';

/** What a request asks for: a version moved into a stage, or a protected alias pointed at it. */
export type PolicyTarget = { kind: 'stage'; stage: GovernedStage } | { kind: 'alias'; alias: string };

export interface Person {
  id: string;
  name: string;
}

export interface RequestFacts {
  requester: Person;
  requestedAt: number;
  target: PolicyTarget;
  /** The version's content digest when the request was made; null when it had none yet. */
  digest: string | null;
}

export interface ApprovalFact {
  approver: Person;
  /** The approver's roles and groups when they approved: what the policy's requirements name. */
  roles: string[];
  at: number;
  /** The content digest the approver saw. */
  digest: string | null;
}

/** The version as it is now. */
export interface EvidenceFacts {
  tags: Record<string, string>;
  /** The latest value of each metric of the version's source run; none when it has no run. */
  metrics: Record<string, number>;
  status: string;
  digest: string | null;
}

export interface BreakGlassClaim {
  /** The user name of who applies without approvals. */
  principal: string;
  reason: string;
}

export interface EvaluationInput {
  policy: { version: number; definition: PolicyDefinition };
  request: RequestFacts;
  approvals: ApprovalFact[];
  evidence: EvidenceFacts;
  now: number;
  breakGlass?: BreakGlassClaim;
}

export type PolicyOutcome = 'approved' | 'pending' | 'rejected' | 'expired' | 'void';

export interface RequirementProgress {
  count: number;
  from: string[];
  /** The approvers counted toward it; each approver counts toward one requirement at most. */
  approvers: Person[];
  met: boolean;
}

/**
 * A policy's verdict on a request, JSON-plain: what events carry as the evaluation that allowed (or
 * held back) a transition, and what a person reads to learn why.
 */
export interface PolicyDecision {
  policy: { name: string; version: number };
  outcome: PolicyOutcome;
  /** Why the outcome is what it is, in words. */
  reasons: string[];
  satisfied: string[];
  missing: string[];
  evidenceFailures: string[];
  requirements: RequirementProgress[];
  /** Approvals that do not count, and why. */
  notCounted: Array<{ approver: Person; reason: string }>;
  /** Applied without approvals by a named break-glass principal; the claim's reason is in `reasons`. */
  breakGlass: boolean;
  evaluatedAt: number;
  /** When the request expires; null when the policy lets requests wait. */
  expiresAt: number | null;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
const describeRequirement = (requirement: ApprovalRequirement) =>
  `${plural(requirement.count, 'approval')} from ${requirement.from.join(' or ')}`;
const isoTime = (ms: number) => new Date(ms).toISOString();

/** Which approvals may count at all: the requester's, another digest's and a repeated person's may not. */
function admissibleApprovals(input: EvaluationInput) {
  const admitted: ApprovalFact[] = [];
  const notCounted: PolicyDecision['notCounted'] = [];
  const seen = new Set<string>();
  const ordered = [...input.approvals].sort(
    (a, b) => a.at - b.at || (a.approver.id < b.approver.id ? -1 : a.approver.id > b.approver.id ? 1 : 0),
  );
  const roles = new Set(input.policy.definition.approvals.flatMap((requirement) => requirement.from));
  for (const approval of ordered) {
    const refuse = (reason: string) => notCounted.push({ approver: approval.approver, reason });
    if (approval.approver.id === input.request.requester.id) refuse('the requester never counts as an approver');
    else if (seen.has(approval.approver.id)) refuse('already counted: one person counts once');
    else if (approval.digest !== input.request.digest) {
      refuse(`approved content ${approval.digest ?? 'without a digest'}, not the requested ${input.request.digest}`);
    } else if (!approval.roles.some((role) => roles.has(role))) {
      refuse(`holds none of the roles or groups the policy names (${[...roles].join(', ')})`);
    } else {
      seen.add(approval.approver.id);
      admitted.push(approval);
    }
  }
  return { admitted, notCounted };
}

/**
 * Assigns approvers to requirement slots (one slot per approval a requirement needs, one approver per
 * slot, one slot per approver) so that as many requirements as possible are met in full: the subsets
 * of requirements are tried largest first, each by augmenting paths (Kuhn), then the slots of the
 * others are filled as far as they can be. Policies hold at most ten requirements.
 */
function assignApprovers(requirements: ApprovalRequirement[], approvals: ApprovalFact[]): number[][] {
  const slots = requirements.flatMap((requirement, index) => Array.from({ length: requirement.count }, () => index));
  const eligible = (slot: number) =>
    approvals
      .map((approval, index) => ({ approval, index }))
      .filter(({ approval }) => approval.roles.some((role) => requirements[slots[slot]].from.includes(role)))
      .map(({ index }) => index);
  const candidates = slots.map((_, slot) => eligible(slot));

  const match = (order: number[]): Map<number, number> => {
    const slotOf = new Map<number, number>();
    const augment = (slot: number, visited: Set<number>): boolean => {
      for (const approver of candidates[slot]) {
        if (visited.has(approver)) continue;
        visited.add(approver);
        const holder = slotOf.get(approver);
        if (holder === undefined || augment(holder, visited)) {
          slotOf.set(approver, slot);
          return true;
        }
      }
      return false;
    };
    for (const slot of order) augment(slot, new Set());
    return slotOf;
  };
  const slotsOf = (chosen: number[]) => slots.flatMap((index, slot) => (chosen.includes(index) ? [slot] : []));
  const fills = (chosen: number[]) => match(slotsOf(chosen)).size === slotsOf(chosen).length;

  const indexes = requirements.map((_, index) => index);
  const subsets = Array.from({ length: 1 << indexes.length }, (_, mask) => indexes.filter((i) => mask & (1 << i))).sort(
    (a, b) => b.length - a.length || a.join(',').localeCompare(b.join(',')),
  );
  const best = subsets.find(fills) ?? [];
  const rest = slots.map((_, slot) => slot).filter((slot) => !best.includes(slots[slot]));
  const slotOf = match([...slotsOf(best), ...rest]);

  const assigned = requirements.map((): number[] => []);
  for (const [approver, slot] of slotOf) assigned[slots[slot]].push(approver);
  return assigned.map((approvers) => approvers.sort((a, b) => a - b));
}

const COMPARE: Record<MetricOperator, (actual: number, threshold: number) => boolean> = {
  '>=': (a, t) => a >= t,
  '>': (a, t) => a > t,
  '<=': (a, t) => a <= t,
  '<': (a, t) => a < t,
  '==': (a, t) => a === t,
};

const describeThreshold = (threshold: MetricThreshold) => `${threshold.key} ${threshold.op} ${threshold.value}`;

/** The policy's evidence the version lacks now, each in words; none when it has all of it. */
function evidenceFailures(definition: PolicyDefinition, evidence: EvidenceFacts): string[] {
  const failures: string[] = [];
  for (const [key, wanted] of Object.entries(definition.evidence.tags)) {
    const actual = evidence.tags[key];
    if (actual === undefined) failures.push(`version tag ${key} is missing (required: ${key}=${wanted})`);
    else if (actual !== wanted) failures.push(`version tag ${key} is '${actual}' (required: ${key}=${wanted})`);
  }
  for (const threshold of definition.evidence.metrics) {
    const actual = evidence.metrics[threshold.key];
    if (actual === undefined) {
      failures.push(`metric ${threshold.key} of the source run is missing (required: ${describeThreshold(threshold)})`);
    } else if (!COMPARE[threshold.op](actual, threshold.value)) {
      failures.push(
        `metric ${threshold.key} of the source run is ${actual} (required: ${describeThreshold(threshold)})`,
      );
    }
  }
  if (definition.evidence.ready && evidence.status !== 'READY') {
    failures.push(`version status is ${evidence.status} (required: READY)`);
  }
  return failures;
}

/** Whether a break-glass claim is allowed, and why (not). */
function breakGlassVerdict(definition: PolicyDefinition, claim: BreakGlassClaim): { allowed: boolean; reason: string } {
  if (!definition.break_glass.principals.includes(claim.principal)) {
    return {
      allowed: false,
      reason: `break-glass refused: ${claim.principal} is not a break-glass principal of policy ${definition.name}`,
    };
  }
  if (claim.reason.trim() === '') {
    return { allowed: false, reason: `break-glass refused: ${claim.principal} gave no reason` };
  }
  return { allowed: true, reason: `break-glass by ${claim.principal}: ${claim.reason.trim()}` };
}

/**
 * A policy's verdict on a request, from the facts alone (no clock, no I/O). The same call serves when
 * the request is made, at each approval, and when it is applied: evidence is always the version's now.
 * Precedence: expired, then void (the content changed since the request), then rejected (evidence
 * missing), then approved (break-glass, or every requirement met), else pending.
 */
export function evaluatePolicy(input: EvaluationInput): PolicyDecision {
  const { definition, version } = input.policy;
  const { admitted, notCounted } = admissibleApprovals(input);
  const assigned = assignApprovers(definition.approvals, admitted);
  const requirements = definition.approvals.map((requirement, index): RequirementProgress => ({
    count: requirement.count,
    from: requirement.from,
    approvers: assigned[index].map((approval) => admitted[approval].approver),
    met: assigned[index].length >= requirement.count,
  }));
  const satisfied = requirements
    .filter((progress) => progress.met)
    .map((progress) => `${describeRequirement(progress)}: ${progress.approvers.map((a) => a.name).join(', ')}`);
  const missing = requirements
    .filter((progress) => !progress.met)
    .map((progress) => `${describeRequirement(progress)}: has ${progress.approvers.length} of ${progress.count}`);
  const failures = evidenceFailures(definition, input.evidence);
  const expiresAt = definition.expires_after ? input.request.requestedAt + durationMs(definition.expires_after) : null;
  const breakGlass = input.breakGlass && breakGlassVerdict(definition, input.breakGlass);

  const decide = (): { outcome: PolicyOutcome; reasons: string[] } => {
    if (expiresAt !== null && input.now >= expiresAt) {
      return {
        outcome: 'expired',
        reasons: [`the request expired at ${isoTime(expiresAt)}, ${definition.expires_after} after it was made`],
      };
    }
    if (input.evidence.digest !== input.request.digest) {
      return {
        outcome: 'void',
        reasons: [
          `the version's content changed since the request (${input.request.digest} then, ${input.evidence.digest} now): its approvals are void`,
        ],
      };
    }
    if (failures.length > 0) return { outcome: 'rejected', reasons: ["the version lacks the policy's evidence"] };
    if (breakGlass?.allowed) return { outcome: 'approved', reasons: [breakGlass.reason] };
    const held = breakGlass ? [breakGlass.reason] : [];
    if (missing.length === 0) return { outcome: 'approved', reasons: [...held, 'every approval requirement is met'] };
    return {
      outcome: 'pending',
      reasons: [...held, `waiting for ${missing.length} of ${requirements.length} requirements`],
    };
  };

  const { outcome, reasons } = decide();
  return {
    policy: { name: definition.name, version },
    outcome,
    reasons,
    satisfied,
    missing,
    evidenceFailures: failures,
    requirements,
    notCounted,
    breakGlass: outcome === 'approved' && breakGlass?.allowed === true,
    evaluatedAt: input.now,
    expiresAt,
  };
}
