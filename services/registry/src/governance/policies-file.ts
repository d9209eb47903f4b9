import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { EventStore } from '@logbook/eventstore';
import { CommandMetadata, ConfigError } from '@logbook/platform';
import { parsePolicyDefinition, PolicyDefinition } from './policy-definition';
import { policyStream, policyStreamId } from './policy.decider';

const refuse = (problem: string) => new ConfigError('registry', [`LOGBOOK_POLICIES_FILE: ${problem}`]);

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The policies a file defines (YAML, or JSON, which YAML reads too: `policies:` and a list), each
 * checked as the API checks it. Anything wrong fails the start, naming the file, the policy and the field.
 */
export function readPoliciesFile(path: string): PolicyDefinition[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw refuse(`cannot read ${path}: ${messageOf(error)}`);
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw refuse(`${path} is neither YAML nor JSON: ${messageOf(error)}`);
  }
  const fields = document !== null && typeof document === 'object' ? Object.keys(document) : [];
  const policies = (document as { policies?: unknown } | null)?.policies;
  if (!Array.isArray(policies) || fields.some((field) => field !== 'policies')) {
    throw refuse(`${path} must hold one field, 'policies', a list of policies`);
  }
  const definitions = policies.map((policy, index) => {
    try {
      return parsePolicyDefinition(policy);
    } catch (error) {
      throw refuse(`${path}, policy ${index + 1}: ${messageOf(error)}`);
    }
  });
  const names = definitions.map((definition) => definition.name);
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated) throw refuse(`${path} defines policy '${repeated}' more than once`);
  return definitions;
}

/**
 * Records each definition the log does not hold as it is (a new policy, or its next version); an
 * unchanged one records nothing, so applying the same file at every start is idempotent. How many changed.
 */
export async function applyPolicies(
  store: EventStore,
  definitions: PolicyDefinition[],
  metadata: CommandMetadata,
): Promise<number> {
  let changed = 0;
  for (const definition of definitions) {
    const { events } = await store.handle(
      policyStream,
      policyStreamId(definition.name),
      { type: 'ApplyPolicy', data: { definition }, metadata },
      metadata,
    );
    if (events.length > 0) changed++;
  }
  return changed;
}
