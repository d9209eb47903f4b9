import { deepStrictEqual } from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fold } from '@logbook/eventstore';
import { CommandMetadata } from '@logbook/platform';
import { spec } from '@logbook/testing';
import { RegisteredModelCommand, registeredModelDecider } from './registered-model.decider';
import { RegisteredModelEvent } from './registered-model.events';
import { GovernedTargetsOfModel, UNGOVERNED } from '../governance/governed-targets';
import { Stage } from '../shared/limits';

const now = 1_700_000_000_000;
const metadata: CommandMetadata = {
  now,
  actor: { id: 'alice', kind: 'user', name: 'alice', authMethod: 'basic' },
  requestId: 'req-1',
};
const registeredModelId = 'rm1';
const name = 'fraud';
const key = { registeredModelId, name };
const given = spec(registeredModelDecider).given;

const created: RegisteredModelEvent = {
  type: 'RegisteredModelCreated',
  data: { ...key, description: null, tags: [{ key: 'team', value: 'risk' }], time: now - 100 },
};
const numbered = (version: number): RegisteredModelEvent => ({
  type: 'ModelVersionNumberAssigned',
  data: { ...key, version, time: now - 90 },
});
const transitioned = (version: number, stage: Stage, previousStage: Stage = 'None') =>
  ({
    type: 'ModelVersionStageTransitioned',
    data: { ...key, version, stage, previousStage, archivedVersions: [], time: now - 80 },
  }) satisfies RegisteredModelEvent;
const aliasSet = (alias: string, version: number): RegisteredModelEvent => ({
  type: 'RegisteredModelAliasSet',
  data: { ...key, alias, version, previousVersion: null, time: now - 70 },
});
const deleted: RegisteredModelEvent = { type: 'RegisteredModelDeleted', data: { ...key, time: now - 60 } };
const withdrawn = (version: number, removedAliases: string[] = []): RegisteredModelEvent => ({
  type: 'ModelVersionWithdrawn',
  data: { ...key, version, removedAliases, time: now - 50 },
});

type GovernanceFacts = { governed: GovernedTargetsOfModel; governedAfter: GovernedTargetsOfModel };
/** A command's data; where a command takes governance facts, nothing is governed unless the case says so. */
type DataOf<T extends RegisteredModelCommand['type']> = Omit<
  Extract<RegisteredModelCommand, { type: T }>['data'],
  keyof GovernanceFacts
> &
  Partial<GovernanceFacts>;
const command = <T extends RegisteredModelCommand['type']>(type: T, data: DataOf<T>): RegisteredModelCommand =>
  ({ type, data: { governed: UNGOVERNED, governedAfter: UNGOVERNED, ...data }, metadata }) as RegisteredModelCommand;
const create = (data: Partial<Extract<RegisteredModelCommand, { type: 'CreateRegisteredModel' }>['data']> = {}) =>
  command('CreateRegisteredModel', { registeredModelId, name, tags: [], holder: null, ...data });
const transition = (version: string, stage: string, archiveExistingVersions = false) =>
  command('TransitionModelVersionStage', { name, version, stage, archiveExistingVersions });

describe('registered model decider', () => {
  describe('CreateRegisteredModel', () => {
    it('creates the model with its tags, the last value of a repeated key winning', () =>
      given([])
        .when(
          create({
            description: 'classifier',
            tags: [
              { key: 'team', value: 'a' },
              { key: 'team', value: 'risk' },
            ],
          }),
        )
        .then([
          {
            type: 'RegisteredModelCreated',
            data: { ...key, description: 'classifier', tags: [{ key: 'team', value: 'risk' }], time: now },
          },
        ]));

    it('refuses a name another live model holds', () =>
      given([])
        .when(create({ holder: { isPrompt: false } }))
        .thenThrows('RESOURCE_ALREADY_EXISTS', 'Registered Model (name=fraud) already exists.'));

    it('tells a prompt from a model when their names clash', () =>
      given([])
        .when(create({ holder: { isPrompt: true } }))
        .thenThrows('RESOURCE_ALREADY_EXISTS', 'already taken by a prompt'));

    it('refuses a blank name, a name with / or :, and one that resolves to another path', () => {
      given([])
        .when(create({ name: ' ' }))
        .thenThrows('INVALID_PARAMETER_VALUE', "parameter 'name'");
      given([])
        .when(create({ name: 'a:b' }))
        .thenThrows('INVALID_PARAMETER_VALUE', "Names cannot contain '/' or ':'");
      given([])
        .when(create({ name: '..' }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'would resolve to');
    });

    it('refuses tags beyond the registry limits', () => {
      given([])
        .when(create({ tags: [{ key: 'k'.repeat(251), value: 'v' }] }))
        .thenThrows('INVALID_PARAMETER_VALUE', "'key' exceeds the maximum length of 250 characters");
      given([])
        .when(create({ tags: [{ key: 'k', value: 'v'.repeat(100_001) }] }))
        .thenThrows('INVALID_PARAMETER_VALUE', "'value' exceeds the maximum length of 100000 characters");
      given([])
        .when(create({ tags: [{ key: 'a*b', value: 'v' }] }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'Names may only contain');
    });
  });

  describe('RenameRegisteredModel', () => {
    it('renames, recording the name before', () =>
      given([created])
        .when(command('RenameRegisteredModel', { name, newName: 'fraud-v2', holder: null }))
        .then([{ type: 'RegisteredModelRenamed', data: { ...key, name: 'fraud-v2', previousName: name, time: now } }]));

    it('changes nothing when the name stays', () =>
      given([created])
        .when(command('RenameRegisteredModel', { name, newName: name, holder: null }))
        .thenNothing());

    it('refuses a taken name, a missing new name and a missing model', () => {
      given([created])
        .when(command('RenameRegisteredModel', { name, newName: 'other', holder: { isPrompt: false } }))
        .thenThrows('RESOURCE_ALREADY_EXISTS', 'Registered Model (name=other) already exists.');
      given([created])
        .when(command('RenameRegisteredModel', { name, newName: '', holder: null }))
        .thenThrows('INVALID_PARAMETER_VALUE', "parameter 'new_name'");
      given([])
        .when(command('RenameRegisteredModel', { name, newName: 'x', holder: null }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'Registered Model with name=fraud not found');
    });
  });

  describe('UpdateRegisteredModel and DeleteRegisteredModel', () => {
    it('sets the description, empty when none is given', () =>
      given([created])
        .when(command('UpdateRegisteredModel', { name }))
        .then([{ type: 'RegisteredModelDescriptionUpdated', data: { ...key, description: '', time: now } }]));

    it('deletes a live model once', () => {
      given([created])
        .when(command('DeleteRegisteredModel', { name }))
        .then([{ type: 'RegisteredModelDeleted', data: { ...key, time: now } }]);
      given([created, deleted])
        .when(command('DeleteRegisteredModel', { name }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'Registered Model with name=fraud not found');
    });
  });

  describe('tags', () => {
    it('sets a tag of a live model', () =>
      given([created])
        .when(command('SetRegisteredModelTag', { name, key: 'k', value: 'v' }))
        .then([{ type: 'RegisteredModelTagSet', data: { ...key, key: 'k', value: 'v', time: now } }]));

    it('deletes a tag that is there, and quietly ignores one that is not', () => {
      given([created])
        .when(command('DeleteRegisteredModelTag', { name, key: 'team' }))
        .then([{ type: 'RegisteredModelTagDeleted', data: { ...key, key: 'team', time: now } }]);
      given([created])
        .when(command('DeleteRegisteredModelTag', { name, key: 'other' }))
        .thenNothing();
    });

    it('refuses tags on a missing model', () =>
      given([created, deleted])
        .when(command('SetRegisteredModelTag', { name, key: 'k', value: 'v' }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST'));
  });

  describe('aliases', () => {
    it('points a new alias at a version, and moves it recording where it pointed', () => {
      given([created, numbered(1)])
        .when(command('SetRegisteredModelAlias', { name, alias: 'champion', version: '1' }))
        .then([
          {
            type: 'RegisteredModelAliasSet',
            data: { ...key, alias: 'champion', version: 1, previousVersion: null, time: now },
          },
        ]);
      given([created, numbered(1), numbered(2), aliasSet('champion', 1)])
        .when(command('SetRegisteredModelAlias', { name, alias: 'champion', version: '2' }))
        .then([
          {
            type: 'RegisteredModelAliasSet',
            data: { ...key, alias: 'champion', version: 2, previousVersion: 1, time: now },
          },
        ]);
    });

    it('changes nothing when the alias already points there', () =>
      given([created, numbered(1), aliasSet('champion', 1)])
        .when(command('SetRegisteredModelAlias', { name, alias: 'champion', version: '1' }))
        .thenNothing());

    it('refuses reserved, malformed and over-long aliases', () => {
      const setAlias = (alias: string) => command('SetRegisteredModelAlias', { name, alias, version: '1' });
      const history = [created, numbered(1)];
      given(history).when(setAlias('Latest')).thenThrows('INVALID_PARAMETER_VALUE', "'latest' alias name");
      given(history)
        .when(setAlias('V12'))
        .thenThrows('INVALID_PARAMETER_VALUE', "Version alias name 'V12' is reserved.");
      given(history).when(setAlias('a.b')).thenThrows('INVALID_PARAMETER_VALUE', "Invalid alias name: 'a.b'.");
      given(history).when(setAlias('')).thenThrows('INVALID_PARAMETER_VALUE', 'alias name cannot be empty');
      given(history)
        .when(setAlias('a'.repeat(256)))
        .thenThrows('INVALID_PARAMETER_VALUE', "'Registered model alias name' exceeds the maximum length of 255");
    });

    it('refuses a version that is not an integer, does not exist or was deleted', () => {
      const setAlias = (version: string) => command('SetRegisteredModelAlias', { name, alias: 'a', version });
      given([created, numbered(1)])
        .when(setAlias('one'))
        .thenThrows('INVALID_PARAMETER_VALUE', "Parameter 'version' must be an integer, got 'one'.");
      given([created, numbered(1)])
        .when(setAlias('2'))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'Model Version (name=fraud, version=2) not found');
      given([created, numbered(1), withdrawn(1)])
        .when(setAlias('1'))
        .thenThrows('RESOURCE_DOES_NOT_EXIST');
      given([created, numbered(1)])
        .when(setAlias('0'))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'Model Version (name=fraud, version=0) not found');
    });

    it('deletes an alias that is there, ignores one that is not, and needs the model', () => {
      given([created, numbered(1), aliasSet('champion', 1)])
        .when(command('DeleteRegisteredModelAlias', { name, alias: 'champion' }))
        .then([{ type: 'RegisteredModelAliasDeleted', data: { ...key, alias: 'champion', version: 1, time: now } }]);
      given([created])
        .when(command('DeleteRegisteredModelAlias', { name, alias: 'champion' }))
        .thenNothing();
      given([])
        .when(command('DeleteRegisteredModelAlias', { name, alias: 'champion' }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST');
    });
  });

  describe('version numbers', () => {
    it('counts from 1, never reusing the number of a deleted version', () => {
      given([created])
        .when(command('AssignModelVersionNumber', { name }))
        .then([{ type: 'ModelVersionNumberAssigned', data: { ...key, version: 1, time: now } }]);
      given([created, numbered(1), numbered(2), withdrawn(2)])
        .when(command('AssignModelVersionNumber', { name }))
        .then([{ type: 'ModelVersionNumberAssigned', data: { ...key, version: 3, time: now } }]);
    });

    it('keeps a head that does not grow with the versions that stay in None', () => {
      const manyVersions = Array.from({ length: 1000 }, (_, i) => numbered(i + 1));
      const state = fold(registeredModelDecider, [created, ...manyVersions, transitioned(7, 'Staging'), withdrawn(9)]);
      deepStrictEqual(
        { lastVersion: state.lastVersion, withdrawnVersions: state.withdrawnVersions, stages: state.stages },
        { lastVersion: 1000, withdrawnVersions: [9], stages: { '7': 'Staging' } },
      );
    });

    it('needs a live model', () =>
      given([created, deleted])
        .when(command('AssignModelVersionNumber', { name }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'Registered Model with name=fraud not found'));
  });

  describe('TransitionModelVersionStage', () => {
    it('moves a version to a stage given in any case', () =>
      given([created, numbered(1)])
        .when(transition('1', 'staging'))
        .then([
          {
            type: 'ModelVersionStageTransitioned',
            data: { ...key, version: 1, stage: 'Staging', previousStage: 'None', archivedVersions: [], time: now },
          },
        ]));

    it('archives the other versions of the target stage when asked', () =>
      given([
        created,
        numbered(1),
        numbered(2),
        numbered(3),
        transitioned(1, 'Production'),
        transitioned(2, 'Production'),
      ])
        .when(transition('3', 'Production', true))
        .then([
          {
            type: 'ModelVersionStageTransitioned',
            data: {
              ...key,
              version: 3,
              stage: 'Production',
              previousStage: 'None',
              archivedVersions: [1, 2],
              time: now,
            },
          },
        ]));

    it('archives into Archived and None only without archive_existing_versions (400, where MLflow answers 500)', () => {
      given([created, numbered(1)])
        .when(transition('1', 'Archived', true))
        .thenThrows('INVALID_PARAMETER_VALUE', "'Archived' is not an Active stage");
      given([created, numbered(1)])
        .when(transition('1', 'None', true))
        .thenThrows('INVALID_PARAMETER_VALUE');
    });

    it('refuses an unknown stage and a missing version', () => {
      given([created, numbered(1)])
        .when(transition('1', 'Live'))
        .thenThrows(
          'INVALID_PARAMETER_VALUE',
          'Invalid Model Version stage: Live. Value must be one of None, Staging, Production, Archived.',
        );
      given([created]).when(transition('4', 'Staging')).thenThrows('RESOURCE_DOES_NOT_EXIST');
    });

    it('takes a version moved back to None as in None, and archives it no more', () =>
      given([created, numbered(1), numbered(2), transitioned(1, 'Production'), transitioned(1, 'None', 'Production')])
        .when(transition('2', 'Production', true))
        .then([
          {
            type: 'ModelVersionStageTransitioned',
            data: { ...key, version: 2, stage: 'Production', previousStage: 'None', archivedVersions: [], time: now },
          },
        ]));

    it('records the stage a version leaves: one it was moved to, or Archived', () => {
      given([created, numbered(1), numbered(2), transitioned(1, 'Staging'), transitioned(2, 'Staging')])
        .when(transition('2', 'Staging', true))
        .then([
          {
            type: 'ModelVersionStageTransitioned',
            data: { ...key, version: 2, stage: 'Staging', previousStage: 'Staging', archivedVersions: [1], time: now },
          },
        ]);
      const archivingOne: RegisteredModelEvent = {
        type: 'ModelVersionStageTransitioned',
        data: { ...key, version: 2, stage: 'Staging', previousStage: 'None', archivedVersions: [1], time: now - 10 },
      };
      given([created, numbered(1), numbered(2), transitioned(1, 'Staging'), archivingOne])
        .when(transition('1', 'Production'))
        .then([
          {
            type: 'ModelVersionStageTransitioned',
            data: {
              ...key,
              version: 1,
              stage: 'Production',
              previousStage: 'Archived',
              archivedVersions: [],
              time: now,
            },
          },
        ]);
    });

    it('no longer sees a withdrawn version in its stage', () =>
      given([created, numbered(1), numbered(2), transitioned(1, 'Production'), withdrawn(1)])
        .when(transition('2', 'Production', true))
        .then([
          {
            type: 'ModelVersionStageTransitioned',
            data: { ...key, version: 2, stage: 'Production', previousStage: 'None', archivedVersions: [], time: now },
          },
        ]));
  });

  describe('WithdrawModelVersion', () => {
    it('removes the version with the aliases that point to it', () =>
      given([created, numbered(1), numbered(2), aliasSet('champion', 1), aliasSet('best', 1), aliasSet('next', 2)])
        .when(command('WithdrawModelVersion', { name, version: '1' }))
        .then([
          {
            type: 'ModelVersionWithdrawn',
            data: { ...key, version: 1, removedAliases: ['best', 'champion'], time: now },
          },
        ]));

    it('refuses a version already withdrawn', () =>
      given([created, numbered(1), withdrawn(1)])
        .when(command('WithdrawModelVersion', { name, version: '1' }))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'Model Version (name=fraud, version=1) not found'));
  });

  describe('governed targets', () => {
    const governed: GovernedTargetsOfModel = {
      stages: { Production: { name: 'prod-review', version: 1 } },
      aliases: { champion: { name: 'champion-review', version: 2 } },
    };

    it('refuses a direct transition into a governed stage, naming the policy and the request flow', () =>
      given([created, numbered(1)])
        .when(
          command('TransitionModelVersionStage', {
            name,
            version: '1',
            stage: 'production',
            archiveExistingVersions: false,
            governed,
          }),
        )
        .thenThrows(
          'PERMISSION_DENIED',
          "Stage 'Production' of registered model 'fraud' is governed by policy 'prod-review': request it with POST /api/2.0/mlflow/transition-requests/create.",
        ));

    it('lets versions leave a governed stage and enter the others directly', () => {
      given([created, numbered(1), transitioned(1, 'Production')])
        .when(
          command('TransitionModelVersionStage', {
            name,
            version: '1',
            stage: 'Archived',
            archiveExistingVersions: false,
            governed,
          }),
        )
        .then([
          {
            type: 'ModelVersionStageTransitioned',
            data: {
              ...key,
              version: 1,
              stage: 'Archived',
              previousStage: 'Production',
              archivedVersions: [],
              time: now,
            },
          },
        ]);
      given([created, numbered(1)])
        .when(
          command('TransitionModelVersionStage', {
            name,
            version: '1',
            stage: 'Staging',
            archiveExistingVersions: false,
            governed,
          }),
        )
        .then([
          {
            type: 'ModelVersionStageTransitioned',
            data: { ...key, version: 1, stage: 'Staging', previousStage: 'None', archivedVersions: [], time: now },
          },
        ]);
    });

    it('refuses setting, moving and deleting a protected alias, and leaves the others free', () => {
      given([created, numbered(1)])
        .when(command('SetRegisteredModelAlias', { name, alias: 'champion', version: '1', governed }))
        .thenThrows(
          'PERMISSION_DENIED',
          "Alias 'champion' of registered model 'fraud' is protected by policy 'champion-review'",
        );
      given([created, numbered(1), aliasSet('champion', 1)])
        .when(command('DeleteRegisteredModelAlias', { name, alias: 'champion', governed }))
        .thenThrows('PERMISSION_DENIED', "Alias 'champion'");
      given([created, numbered(1)])
        .when(command('SetRegisteredModelAlias', { name, alias: 'challenger', version: '1', governed }))
        .then([
          {
            type: 'RegisteredModelAliasSet',
            data: { ...key, alias: 'challenger', version: 1, previousVersion: null, time: now },
          },
        ]);
    });

    it('admits the transition or alias move an approved request applies, recording the request', () => {
      given([created, numbered(1)])
        .when(
          command('TransitionModelVersionStage', {
            name,
            version: '1',
            stage: 'Production',
            archiveExistingVersions: false,
            governed,
            appliedRequest: 'req-7',
          }),
        )
        .then([
          {
            type: 'ModelVersionStageTransitioned',
            data: {
              ...key,
              version: 1,
              stage: 'Production',
              previousStage: 'None',
              archivedVersions: [],
              requestId: 'req-7',
              time: now,
            },
          },
        ]);
      given([created, numbered(1)])
        .when(
          command('SetRegisteredModelAlias', {
            name,
            alias: 'champion',
            version: '1',
            governed,
            appliedRequest: 'req-8',
          }),
        )
        .then([
          {
            type: 'RegisteredModelAliasSet',
            data: { ...key, alias: 'champion', version: 1, previousVersion: null, requestId: 'req-8', time: now },
          },
        ]);
    });

    it('refuses deleting a version that holds a protected alias', () =>
      given([created, numbered(1), aliasSet('champion', 1)])
        .when(command('WithdrawModelVersion', { name, version: '1', governed }))
        .thenThrows('PERMISSION_DENIED', "Alias 'champion'"));

    it('refuses a rename that takes a governed target out of its policy, and allows one that keeps it', () => {
      given([created])
        .when(
          command('RenameRegisteredModel', {
            name,
            newName: 'sandbox',
            holder: null,
            governed,
            governedAfter: UNGOVERNED,
          }),
        )
        .thenThrows(
          'PERMISSION_DENIED',
          "Renaming registered model 'fraud' to 'sandbox' would take 'Production' out of policy 'prod-review'",
        );
      given([created])
        .when(
          command('RenameRegisteredModel', {
            name,
            newName: 'fraud-v2',
            holder: null,
            governed,
            governedAfter: governed,
          }),
        )
        .then([{ type: 'RegisteredModelRenamed', data: { ...key, name: 'fraud-v2', previousName: name, time: now } }]);
    });
  });
});
