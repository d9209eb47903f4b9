import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MlflowError } from '@logbook/platform';
import { appliesToLike, definitionHash, durationMs, parsePolicyDefinition } from './policy-definition';

const minimal = {
  name: 'fraud-production',
  applies_to: 'fraud-*',
  targets: { stages: ['Production'] },
  approvals: [{ count: 1, from: ['risk'] }],
};

/** The document with one field replaced (or removed, with undefined), at a dotted path. */
function withField(path: string, value: unknown): Record<string, unknown> {
  const document = structuredClone(minimal) as Record<string, unknown>;
  const keys = path.split('.');
  let at = document;
  for (const key of keys.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
  if (value === undefined) delete at[keys[keys.length - 1]];
  else at[keys[keys.length - 1]] = value;
  return document;
}

function refuses(document: unknown, ...fragments: string[]) {
  assert.throws(
    () => parsePolicyDefinition(document),
    (error: unknown) => {
      assert.ok(error instanceof MlflowError);
      assert.equal(error.errorCode, 'INVALID_PARAMETER_VALUE');
      for (const fragment of fragments) assert.ok(error.message.includes(fragment), error.message);
      return true;
    },
  );
}

describe('policy definition', () => {
  it('completes a minimal policy with its defaults', () => {
    assert.deepEqual(parsePolicyDefinition(minimal), {
      name: 'fraud-production',
      description: '',
      applies_to: 'fraud-*',
      targets: { stages: ['Production'], aliases: [] },
      approvals: [{ count: 1, from: ['risk'] }],
      evidence: { tags: {}, metrics: [], ready: false },
      expires_after: null,
      break_glass: { principals: [] },
    });
  });

  it('keeps a full policy, with stages in any case spelled as MLflow spells them', () => {
    const full = {
      name: 'fraud.prod_2',
      description: 'Two eyes from risk, one from the owners',
      applies_to: 'fraud',
      targets: { stages: ['production', 'STAGING', 'Archived'], aliases: ['champion', 'canary-1'] },
      approvals: [
        { count: 2, from: ['risk', 'compliance'] },
        { count: 1, from: ['model-owners'] },
      ],
      evidence: {
        tags: { validation: 'passed', 'model-card': 'yes' },
        metrics: [
          { key: 'auc', op: '>=', value: 0.9 },
          { key: 'latency_ms', op: '<', value: 50 },
        ],
        ready: true,
      },
      expires_after: '72h',
      break_glass: { principals: ['oncall-lead'] },
    };
    const parsed = parsePolicyDefinition(full);
    assert.deepEqual(parsed.targets.stages, ['Production', 'Staging', 'Archived']);
    assert.deepEqual({ ...parsed, targets: full.targets }, full);
  });

  it('names the policy and the field of every problem', () => {
    refuses(withField('name', ''), "field 'name' must be a policy name");
    refuses(withField('name', 'has space'), "field 'name' must start with a letter or digit");
    refuses(withField('applies_to', undefined), "Invalid policy 'fraud-production': field 'applies_to' is required");
    refuses(withField('applies_to', 'a/b'), "field 'applies_to' must be a model name or a glob pattern");
    refuses(withField('targets', {}), "field 'targets' must name at least one stage or alias");
    refuses(withField('targets.stages', ['None']), "field 'targets.stages[0]' must be one of Staging, Production");
    refuses(withField('targets.stages', ['Prod']), "field 'targets.stages[0]'", "(in any case), not 'Prod'");
    refuses(withField('targets.stages', ['Staging', 'staging']), "field 'targets.stages' must not name the same stage");
    refuses(withField('targets.aliases', ['latest']), "field 'targets.aliases[0]' must not be 'latest'");
    refuses(withField('targets.aliases', ['v3']), "field 'targets.aliases[0]'", 'reserved');
    refuses(withField('targets.aliases', ['a b']), "field 'targets.aliases[0]' must contain only letters");
    refuses(withField('approvals', []), "field 'approvals' must hold at least one requirement");
    refuses(withField('approvals', [{ count: 0, from: ['risk'] }]), "field 'approvals[0].count' must be at least 1");
    refuses(withField('approvals', [{ count: 1.5, from: ['risk'] }]), "field 'approvals[0].count' must be a whole");
    refuses(withField('approvals', [{ count: '1', from: ['risk'] }]), "field 'approvals[0].count'");
    refuses(withField('approvals', [{ count: 1, from: [] }]), "field 'approvals[0].from' must name at least one");
    refuses(withField('approvals', [{ count: 1 }]), "field 'approvals[0].from' is required");
    refuses(withField('evidence.tags', { validation: 1 }), "field 'evidence.tags.validation' must be a string");
    refuses(withField('evidence.tags', ['validation=passed']), "field 'evidence.tags' must be a map");
    refuses(
      withField('evidence.metrics', [{ key: 'auc', op: '=>', value: 0.9 }]),
      "field 'evidence.metrics[0].op' must be one of >= > <= < ==",
    );
    refuses(withField('evidence.metrics', [{ key: 'auc', op: '>=' }]), "field 'evidence.metrics[0].value' is required");
    refuses(withField('evidence.ready', 'yes'), "field 'evidence.ready' must be true or false");
    refuses(withField('expires_after', '3 days'), "field 'expires_after' must be a duration such as 30m, 72h or 7d");
    refuses(withField('expires_after', '0h'), "field 'expires_after' must be a duration");
    refuses(withField('expires_after', '400d'), "field 'expires_after' must be at most 366 days");
    refuses(withField('break_glass', ['alice']), "field 'break_glass' must be an object {principals}");
    refuses(withField('break_glass.principals', [' alice']), "field 'break_glass.principals[0]' must not start");
  });

  it('refuses unknown fields at any depth, and what is not an object', () => {
    refuses(withField('approval', 2), "field 'approval' is not a policy field");
    refuses(withField('targets.stage', ['Production']), "field 'targets.stage' is not a policy field");
    refuses(withField('evidence.min_auc', 0.9), "field 'evidence.min_auc' is not a policy field");
    refuses(null, 'Invalid policy: the policy must be an object');
    refuses([minimal], 'the policy must be an object');
  });

  it('reads durations in seconds, minutes, hours, days and weeks', () => {
    assert.equal(durationMs('90s'), 90_000);
    assert.equal(durationMs('30m'), 1_800_000);
    assert.equal(durationMs('72h'), 259_200_000);
    assert.equal(durationMs('7d'), 604_800_000);
    assert.equal(durationMs('2w'), 1_209_600_000);
  });

  it('hashes equal definitions alike whatever the order of their fields', () => {
    const a = parsePolicyDefinition({ ...minimal, evidence: { tags: { a: '1', b: '2' } } });
    const b = parsePolicyDefinition({
      approvals: minimal.approvals,
      evidence: { tags: { b: '2', a: '1' } },
      targets: { stages: ['production'] },
      applies_to: 'fraud-*',
      name: 'fraud-production',
    });
    assert.equal(definitionHash(a), definitionHash(b));
    assert.match(definitionHash(a), /^sha256:[0-9a-f]{64}$/);
    assert.notEqual(definitionHash(a), definitionHash(parsePolicyDefinition({ ...minimal, expires_after: '1h' })));
  });

  it('turns a glob into a LIKE pattern, escaping what LIKE would read as wildcards', () => {
    assert.equal(appliesToLike('fraud-*'), 'fraud-%');
    assert.equal(appliesToLike('fraud-v?'), 'fraud-v_');
    assert.equal(appliesToLike('a_b%c\\d'), 'a\\_b\\%c\\\\d');
  });
});
