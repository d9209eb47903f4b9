import { createHash } from 'node:crypto';
import { z } from 'zod';
import { invalidParameter } from '@logbook/platform';
import { Stage, STAGES } from '../shared/limits';

/** The stages a policy may govern: every MLflow stage a version can be moved into but 'None'. */
export const GOVERNABLE_STAGES = STAGES.filter((stage) => stage !== 'None');
export type GovernedStage = Exclude<Stage, 'None'>;

export const METRIC_OPERATORS = ['>=', '>', '<=', '<', '=='] as const;
export type MetricOperator = (typeof METRIC_OPERATORS)[number];

const DURATION = /^([1-9][0-9]*)([smhdw])$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** A year: no request waits longer for its approvals. */
const MAX_DURATION_MS = 366 * UNIT_MS.d;

const POLICY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
// An MLflow model name (no '/' or ':') where '*' stands for any run of characters and '?' for one.
const APPLIES_TO = /^[^/:\s][^/:]*$/;
const ALIAS_NAME = /^[\p{L}\p{N}_-]+$/u;
const RESERVED_ALIAS = /^(latest|[vV]\d+)$/i;
const PRINCIPAL = /^\S(.*\S)?$/;

const text = (what: string, max: number) =>
  z
    .string({ error: `must be ${what}` })
    .min(1, { error: `must be ${what}` })
    .max(max, { error: `must be at most ${max} characters` });

const distinct = <T extends z.ZodType<string>>(item: T, what: string) =>
  z.array(item, { error: `must be a list of ${what}` }).refine((items) => new Set(items).size === items.length, {
    error: `must not name the same ${what.replace(/s$/, '')} twice`,
  });

const stage = z.string({ error: 'must be a stage name' }).transform((value, context) => {
  const found = GOVERNABLE_STAGES.find((s) => s.toLowerCase() === value.toLowerCase());
  if (!found) {
    context.addIssue({
      code: 'custom',
      message: `must be one of ${GOVERNABLE_STAGES.join(', ')} (in any case), not '${value}'`,
    });
    return z.NEVER;
  }
  return found;
});

const alias = text('an alias name', 255)
  .regex(ALIAS_NAME, { error: 'must contain only letters, digits, underscores (_) and dashes (-)' })
  .refine((value) => !RESERVED_ALIAS.test(value), { error: "must not be 'latest' or 'v<number>' (reserved)" });

const principal = text('a principal name', 255).regex(PRINCIPAL, {
  error: 'must not start or end with a blank',
});

const requirement = z.strictObject(
  {
    count: z
      .int({ error: 'must be a whole number' })
      .min(1, { error: 'must be at least 1' })
      .max(50, { error: 'must be at most 50' }),
    from: distinct(text('a role or group name', 255), 'roles or groups').refine((roles) => roles.length > 0, {
      error: 'must name at least one role or group',
    }),
  },
  { error: 'must be an object {count, from}' },
);

const metricThreshold = z.strictObject(
  {
    key: text('a metric key', 250),
    op: z.enum(METRIC_OPERATORS, { error: `must be one of ${METRIC_OPERATORS.join(' ')}` }),
    value: z.number({ error: 'must be a finite number' }).refine(Number.isFinite, { error: 'must be a finite number' }),
  },
  { error: 'must be an object {key, op, value}' },
);

const tagValues = z.record(text('a tag key', 250), z.string({ error: 'must be a string' }).max(5000), {
  error: 'must be a map of tag key to required value',
});

const duration = z
  .string({ error: 'must be a duration such as 30m, 72h or 7d' })
  .refine((value) => DURATION.test(value), { error: 'must be a duration such as 30m, 72h or 7d' })
  .refine((value) => !DURATION.test(value) || durationMs(value) <= MAX_DURATION_MS, {
    error: 'must be at most 366 days',
  });

const targets = z
  .strictObject(
    {
      stages: distinct(stage, 'stages').default([]),
      aliases: distinct(alias, 'aliases').default([]),
    },
    { error: 'must be an object {stages, aliases}' },
  )
  .refine((value) => value.stages.length + value.aliases.length > 0, {
    error: 'must name at least one stage or alias',
  });

const policySchema = z.strictObject(
  {
    name: text('a policy name', 255).regex(POLICY_NAME, {
      error: 'must start with a letter or digit and contain only letters, digits, _, . and -',
    }),
    description: z
      .string({ error: 'must be a string' })
      .max(5000, { error: 'must be at most 5000 characters' })
      .default(''),
    applies_to: text('a model name or glob pattern', 255).regex(APPLIES_TO, {
      error: "must be a model name or a glob pattern (* and ?) without '/' or ':'",
    }),
    targets,
    approvals: z
      .array(requirement, { error: 'must be a list of requirements {count, from}' })
      .min(1, { error: 'must hold at least one requirement {count, from}' })
      .max(10, { error: 'must hold at most 10 requirements' }),
    evidence: z
      .strictObject(
        {
          tags: tagValues.default({}),
          metrics: z.array(metricThreshold, { error: 'must be a list of {key, op, value}' }).default([]),
          ready: z.boolean({ error: 'must be true or false' }).default(false),
        },
        { error: 'must be an object {tags, metrics, ready}' },
      )
      .default({ tags: {}, metrics: [], ready: false }),
    expires_after: duration.nullable().default(null),
    break_glass: z
      .strictObject(
        { principals: distinct(principal, 'principals').default([]) },
        { error: 'must be an object {principals}' },
      )
      .default({ principals: [] }),
  },
  { error: 'must be an object' },
);

/** A policy as stored and evaluated: every field present, stages in MLflow's spelling. */
export type PolicyDefinition = z.output<typeof policySchema>;
export type ApprovalRequirement = PolicyDefinition['approvals'][number];
export type MetricThreshold = PolicyDefinition['evidence']['metrics'][number];

/** `approvals[0].count`: where in the document a problem is. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (joined, key) =>
      typeof key === 'number' ? `${joined}[${key}]` : joined ? `${joined}.${String(key)}` : String(key),
    '',
  );
}

const valueAt = (document: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>((at, key) => (at as Record<PropertyKey, unknown> | null | undefined)?.[key], document);

/** The name a document gives itself, for messages about a document that does not parse. */
function claimedName(document: unknown): string | undefined {
  const name = (document as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/**
 * A policy document (from the API or the policies file) checked and completed. Anything wrong answers
 * 400 INVALID_PARAMETER_VALUE naming the policy and the field; unknown fields are refused.
 */
export function parsePolicyDefinition(document: unknown): PolicyDefinition {
  const parsed = policySchema.safeParse(document);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const at = fieldPath(issue.path);
      return issue.keys.map((key) => `field '${at ? `${at}.` : ''}${key}' is not a policy field`).join('; ');
    }
    const at = fieldPath(issue.path);
    if (!at) return `the policy ${issue.message}`;
    const missing = issue.code === 'invalid_type' && valueAt(document, issue.path) === undefined;
    return `field '${at}' ${missing ? 'is required' : issue.message}`;
  });
  const name = claimedName(document);
  throw invalidParameter(`Invalid policy${name ? ` '${name}'` : ''}: ${problems.join('; ')}.`);
}

/** Milliseconds of a duration the schema accepted (`72h`). */
export function durationMs(duration: string): number {
  const [, amount, unit] = DURATION.exec(duration) as RegExpExecArray;
  return Number(amount) * UNIT_MS[unit];
}

/** JSON with object keys sorted, so equal definitions hash alike whatever order they were written in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** `sha256:<hex>` of the definition's canonical JSON: what tells an unchanged definition from a new one. */
export function definitionHash(definition: PolicyDefinition): string {
  return `sha256:${createHash('sha256').update(canonicalJson(definition)).digest('hex')}`;
}

/** `applies_to` as a SQL LIKE pattern (escape character '\'), for set-based lookups. */
export function appliesToLike(pattern: string): string {
  return pattern
    .replace(/[\\%_]/g, '\\$&')
    .replace(/\*/g, '%')
    .replace(/\?/g, '_');
}

/** JSON Schemas of a policy document as sent (defaults optional) and as answered (every field), for the OpenAPI document. */
export const policyDocumentJsonSchema = (io: 'input' | 'output') =>
  z.toJSONSchema(policySchema, { io, unrepresentable: 'any', target: 'openapi-3.0' }) as Record<string, unknown>;
