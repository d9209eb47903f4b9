import { describe, it } from 'node:test';
import { CommandMetadata } from '@logbook/platform';
import { spec } from '@logbook/testing';
import { definitionHash, parsePolicyDefinition } from './policy-definition';
import { PolicyCommand, policyDecider } from './policy.decider';
import { PolicyEvent } from './policy.events';

const now = 1_700_000_000_000;
const metadata: CommandMetadata = {
  now,
  actor: { id: 'admin', kind: 'user', name: 'admin', authMethod: 'basic' },
  requestId: 'req-1',
};
const given = spec(policyDecider).given;

const definition = parsePolicyDefinition({
  name: 'fraud-production',
  applies_to: 'fraud-*',
  targets: { stages: ['Production'] },
  approvals: [{ count: 1, from: ['risk'] }],
});
const stricter = parsePolicyDefinition({ ...definition, approvals: [{ count: 2, from: ['risk'] }] });
const versionOf = (version: number, of = definition) => ({
  name: of.name,
  version,
  definition: of,
  hash: definitionHash(of),
  time: now,
});

const created: PolicyEvent = { type: 'PolicyCreated', data: { ...versionOf(1), time: now - 100 } };
const updated: PolicyEvent = { type: 'PolicyUpdated', data: { ...versionOf(2, stricter), time: now - 50 } };
const deleted: PolicyEvent = { type: 'PolicyDeleted', data: { name: definition.name, version: 2, time: now - 10 } };

const command = <T extends PolicyCommand['type']>(type: T, data: Extract<PolicyCommand, { type: T }>['data']) =>
  ({ type, data, metadata }) as PolicyCommand;

describe('policy decider', () => {
  describe('CreatePolicy', () => {
    it('records version 1 with its hash', () =>
      given([])
        .when(command('CreatePolicy', { definition }))
        .then([{ type: 'PolicyCreated', data: versionOf(1) }]));

    it('refuses a policy of a live name', () =>
      given([created])
        .when(command('CreatePolicy', { definition }))
        .thenThrows('RESOURCE_ALREADY_EXISTS', 'Policy (name=fraud-production) already exists.'));

    it('creates a deleted policy again, its versions counting on', () =>
      given([created, updated, deleted])
        .when(command('CreatePolicy', { definition }))
        .then([{ type: 'PolicyCreated', data: versionOf(3) }]));
  });

  describe('UpdatePolicy', () => {
    it('records the next version, with the given fields over the current ones', () =>
      given([created])
        .when(command('UpdatePolicy', { name: definition.name, changes: { approvals: stricter.approvals } }))
        .then([{ type: 'PolicyUpdated', data: versionOf(2, stricter) }]));

    it('records nothing when the definition is unchanged', () =>
      given([created])
        .when(command('UpdatePolicy', { name: definition.name, changes: { targets: { stages: ['production'] } } }))
        .thenNothing());

    it('refuses a definition that does not hold, naming the field', () =>
      given([created])
        .when(command('UpdatePolicy', { name: definition.name, changes: { expires_after: 'soon' } }))
        .thenThrows('INVALID_PARAMETER_VALUE', "Invalid policy 'fraud-production': field 'expires_after'"));

    it('refuses a rename', () =>
      given([created])
        .when(command('UpdatePolicy', { name: definition.name, changes: { name: 'other' } }))
        .thenThrows('INVALID_PARAMETER_VALUE', "field 'name' cannot change"));

    it('answers 404 for a policy that does not exist or was deleted', () => {
      given([])
        .when(command('UpdatePolicy', { name: 'nope', changes: {} }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'Policy with name=nope not found');
      given([created, deleted])
        .when(command('UpdatePolicy', { name: definition.name, changes: {} }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST');
    });
  });

  describe('DeletePolicy', () => {
    it('records the deletion of the last version', () =>
      given([created, updated])
        .when(command('DeletePolicy', { name: definition.name }))
        .then([{ type: 'PolicyDeleted', data: { name: definition.name, version: 2, time: now } }]));

    it('answers 404 for a policy deleted already', () =>
      given([created, deleted])
        .when(command('DeletePolicy', { name: definition.name }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST'));
  });

  describe('ApplyPolicy (the policies file)', () => {
    it('creates a policy the log does not hold', () =>
      given([])
        .when(command('ApplyPolicy', { definition }))
        .then([{ type: 'PolicyCreated', data: versionOf(1) }]));

    it('records nothing for an unchanged definition', () =>
      given([created]).when(command('ApplyPolicy', { definition })).thenNothing());

    it('records a changed definition as the next version', () =>
      given([created])
        .when(command('ApplyPolicy', { definition: stricter }))
        .then([{ type: 'PolicyUpdated', data: versionOf(2, stricter) }]));

    it('creates again a policy deleted through the API', () =>
      given([created, updated, deleted])
        .when(command('ApplyPolicy', { definition: stricter }))
        .then([{ type: 'PolicyCreated', data: versionOf(3, stricter) }]));
  });
});
