import { Decider } from '@logbook/eventstore';
import { alreadyExists, CommandMetadata, invalidParameter, notFound } from '@logbook/platform';
import { definitionHash, parsePolicyDefinition, PolicyDefinition } from './policy-definition';
import { PolicyEvent } from './policy.events';

export interface PolicyState {
  status: 'absent' | 'live' | 'deleted';
  /** The last version recorded; 0 before the first. */
  version: number;
  definition: PolicyDefinition | null;
  hash: string | null;
}

export type PolicyCommand = { metadata: CommandMetadata } & (
  | { type: 'CreatePolicy'; data: { definition: PolicyDefinition } }
  /** The fields given replace the policy's; the result is checked as a whole. */
  | { type: 'UpdatePolicy'; data: { name: string; changes: Record<string, unknown> } }
  | { type: 'DeletePolicy'; data: { name: string } }
  /** From the policies file: created, updated, or left alone when it is unchanged. */
  | { type: 'ApplyPolicy'; data: { definition: PolicyDefinition } }
);

const initialState = (): PolicyState => ({ status: 'absent', version: 0, definition: null, hash: null });

export const policyNotFound = (name: string) => notFound(`Policy with name=${name} not found`);

function live(state: PolicyState, name: string): { version: number; definition: PolicyDefinition; hash: string } {
  if (state.status !== 'live' || !state.definition || !state.hash) throw policyNotFound(name);
  return { version: state.version, definition: state.definition, hash: state.hash };
}

function decide(command: PolicyCommand, state: PolicyState): PolicyEvent[] {
  const time = command.metadata.now;
  const next = (definition: PolicyDefinition) => ({
    name: definition.name,
    version: state.version + 1,
    definition,
    hash: definitionHash(definition),
    time,
  });
  switch (command.type) {
    case 'CreatePolicy': {
      const { definition } = command.data;
      if (state.status === 'live') throw alreadyExists(`Policy (name=${definition.name}) already exists.`);
      return [{ type: 'PolicyCreated', data: next(definition) }];
    }
    case 'UpdatePolicy': {
      const { name, changes } = command.data;
      const current = live(state, name);
      if (changes.name !== undefined && changes.name !== name) {
        throw invalidParameter(
          `Invalid policy '${name}': field 'name' cannot change (create a policy of the new name).`,
        );
      }
      const definition = parsePolicyDefinition({ ...current.definition, ...changes });
      if (definitionHash(definition) === current.hash) return [];
      return [{ type: 'PolicyUpdated', data: next(definition) }];
    }
    case 'DeletePolicy': {
      const { version } = live(state, command.data.name);
      return [{ type: 'PolicyDeleted', data: { name: command.data.name, version, time } }];
    }
    case 'ApplyPolicy': {
      const { definition } = command.data;
      if (state.status !== 'live') return [{ type: 'PolicyCreated', data: next(definition) }];
      if (definitionHash(definition) === state.hash) return [];
      return [{ type: 'PolicyUpdated', data: next(definition) }];
    }
  }
}

function evolve(state: PolicyState, event: PolicyEvent): PolicyState {
  switch (event.type) {
    case 'PolicyCreated':
    case 'PolicyUpdated':
      return { status: 'live', version: event.data.version, definition: event.data.definition, hash: event.data.hash };
    case 'PolicyDeleted':
      return { ...state, status: 'deleted', definition: null, hash: null };
  }
}

export const policyDecider: Decider<PolicyState, PolicyCommand, PolicyEvent> = { initialState, evolve, decide };

export const policyStream = { streamType: 'policy', decider: policyDecider, stateVersion: 1 };

/** A policy's stream is named after it: names are unique, and a policy cannot be renamed. */
export const policyStreamId = (name: string) => `policy-${name}`;
