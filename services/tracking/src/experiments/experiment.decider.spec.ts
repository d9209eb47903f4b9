import { describe, it } from 'node:test';
import { CommandMetadata } from '@logbook/platform';
import { spec } from '@logbook/testing';
import { experimentDecider } from './experiment.decider';
import { ExperimentCreated, ExperimentDeleted, ExperimentTagSet } from './experiment.events';

const now = 1_700_000_000_000;
const metadata: CommandMetadata = {
  now,
  actor: { id: 'alice', kind: 'user', name: 'alice', authMethod: 'basic' },
  requestId: 'req-1',
};
const experimentId = '7';
const given = spec(experimentDecider).given;

const created: ExperimentCreated = {
  type: 'ExperimentCreated',
  data: {
    experimentId,
    name: 'churn',
    artifactLocation: 's3://bucket/7',
    tags: [{ key: 'team', value: 'growth' }],
    creationTime: now - 1000,
  },
};
const deleted: ExperimentDeleted = { type: 'ExperimentDeleted', data: { experimentId, time: now - 500 } };
const tagSet = (key: string, value: string): ExperimentTagSet => ({
  type: 'ExperimentTagSet',
  data: { experimentId, key, value, time: now - 100 },
});

const create = (name: string, tags = [{ key: 'team', value: 'growth' }], nameTaken = false) => ({
  type: 'CreateExperiment' as const,
  data: { experimentId, name, artifactLocation: 's3://bucket/7', tags, nameTaken },
  metadata,
});
const rename = (newName: string, nameTaken = false) => ({
  type: 'RenameExperiment' as const,
  data: { experimentId, newName, nameTaken },
  metadata,
});
const remove = (id = experimentId) => ({ type: 'DeleteExperiment' as const, data: { experimentId: id }, metadata });
const restore = { type: 'RestoreExperiment' as const, data: { experimentId }, metadata };
const setTag = (key: string, value: string) => ({
  type: 'SetExperimentTag' as const,
  data: { experimentId, key, value },
  metadata,
});
const deleteTag = (key: string) => ({ type: 'DeleteExperimentTag' as const, data: { experimentId, key }, metadata });

describe('experiment decider', () => {
  describe('CreateExperiment', () => {
    it('creates the experiment at the command clock', () =>
      given([])
        .when(create('churn'))
        .then([{ ...created, data: { ...created.data, creationTime: now } }]));

    it('rejects an empty name', () =>
      given([]).when(create('')).thenThrows('INVALID_PARAMETER_VALUE', "Invalid experiment name: ''"));

    it('accepts a name of exactly 500 characters', () =>
      given([])
        .when(create('n'.repeat(500), []))
        .then([
          {
            type: 'ExperimentCreated',
            data: {
              experimentId,
              name: 'n'.repeat(500),
              artifactLocation: 's3://bucket/7',
              tags: [],
              creationTime: now,
            },
          },
        ]));

    it('rejects a name over 500 characters', () =>
      given([])
        .when(create('n'.repeat(501)))
        .thenThrows('INVALID_PARAMETER_VALUE', 'maximum length of 500'));

    it('rejects a name another experiment holds (deleted ones included)', () =>
      given([])
        .when(create('churn', [], true))
        .thenThrows('RESOURCE_ALREADY_EXISTS', 'Experiment(name=churn) already exists'));

    it('rejects creating an experiment id that already exists', () =>
      given([created]).when(create('other')).thenThrows('RESOURCE_ALREADY_EXISTS'));

    it('rejects tag keys with invalid characters', () =>
      given([])
        .when(create('churn', [{ key: 'bad!key', value: 'v' }]))
        .thenThrows('INVALID_PARAMETER_VALUE', 'Names may only contain'));

    it('rejects tag keys that resolve to another path', () =>
      given([])
        .when(create('churn', [{ key: '../x', value: 'v' }]))
        .thenThrows('INVALID_PARAMETER_VALUE', 'must not resolve to other names'));

    it('rejects tag keys over 250 characters', () =>
      given([])
        .when(create('churn', [{ key: 'k'.repeat(251), value: 'v' }]))
        .thenThrows('INVALID_PARAMETER_VALUE', 'length limit of 250'));

    it('rejects tag values over 5000 characters instead of truncating', () =>
      given([])
        .when(create('churn', [{ key: 'k', value: 'v'.repeat(5001) }]))
        .thenThrows('INVALID_PARAMETER_VALUE', 'length limit of 5000'));
  });

  describe('RenameExperiment', () => {
    it('renames an active experiment', () =>
      given([created])
        .when(rename('retention'))
        .then([{ type: 'ExperimentRenamed', data: { experimentId, name: 'retention', time: now } }]));

    it('records nothing when the name is unchanged', () => given([created]).when(rename('churn')).thenNothing());

    it('rejects a name another experiment holds', () =>
      given([created])
        .when(rename('taken', true))
        .thenThrows('RESOURCE_ALREADY_EXISTS', 'Experiment(name=taken) already exists'));

    it('refuses to rename a deleted experiment with INVALID_STATE', () =>
      given([created, deleted])
        .when(rename('retention'))
        .thenThrows('INVALID_STATE', 'Cannot rename a non-active experiment.'));

    it('rejects an empty new name', () => given([created]).when(rename('')).thenThrows('INVALID_PARAMETER_VALUE'));

    it('rejects a new name over 500 characters', () =>
      given([created])
        .when(rename('n'.repeat(501)))
        .thenThrows('INVALID_PARAMETER_VALUE', 'maximum length of 500'));

    it('answers 404 for an unknown experiment', () =>
      given([]).when(rename('retention')).thenThrows('RESOURCE_DOES_NOT_EXIST', 'No Experiment with id=7 exists'));

    it('uses the latest name when deciding whether the name changed', () =>
      given([created, { type: 'ExperimentRenamed', data: { experimentId, name: 'retention', time: now - 10 } }])
        .when(rename('retention'))
        .thenNothing());
  });

  describe('DeleteExperiment and RestoreExperiment', () => {
    it('deletes an active experiment', () =>
      given([created])
        .when(remove())
        .then([{ type: 'ExperimentDeleted', data: { experimentId, time: now } }]));

    it('answers 404 when deleting an already deleted experiment', () =>
      given([created, deleted]).when(remove()).thenThrows('RESOURCE_DOES_NOT_EXIST', 'No Experiment with id=7 exists'));

    it('answers 404 when deleting an unknown experiment', () =>
      given([]).when(remove()).thenThrows('RESOURCE_DOES_NOT_EXIST'));

    it('refuses to delete the default experiment "0"', () =>
      given([{ ...created, data: { ...created.data, experimentId: '0', name: 'Default' } }])
        .when(remove('0'))
        .thenThrows('INVALID_PARAMETER_VALUE', 'Cannot delete the default experiment'));

    it('restores a deleted experiment', () =>
      given([created, deleted])
        .when(restore)
        .then([{ type: 'ExperimentRestored', data: { experimentId, time: now } }]));

    it('answers 404 when restoring an active experiment', () =>
      given([created]).when(restore).thenThrows('RESOURCE_DOES_NOT_EXIST'));

    it('answers 404 when restoring an unknown experiment', () =>
      given([]).when(restore).thenThrows('RESOURCE_DOES_NOT_EXIST'));

    it('can delete again after a restore', () =>
      given([created, deleted, { type: 'ExperimentRestored', data: { experimentId, time: now - 10 } }])
        .when(remove())
        .then([{ type: 'ExperimentDeleted', data: { experimentId, time: now } }]));
  });

  describe('SetExperimentTag', () => {
    it('sets a tag on an active experiment', () =>
      given([created])
        .when(setTag('owner', 'bob'))
        .then([{ type: 'ExperimentTagSet', data: { experimentId, key: 'owner', value: 'bob', time: now } }]));

    it('overwrites an existing tag (upsert)', () =>
      given([created])
        .when(setTag('team', 'retention'))
        .then([{ type: 'ExperimentTagSet', data: { experimentId, key: 'team', value: 'retention', time: now } }]));

    it('rejects a deleted experiment with INVALID_PARAMETER_VALUE', () =>
      given([created, deleted])
        .when(setTag('owner', 'bob'))
        .thenThrows('INVALID_PARAMETER_VALUE', "must be in the 'active' state"));

    it('answers 404 for an unknown experiment', () =>
      given([]).when(setTag('owner', 'bob')).thenThrows('RESOURCE_DOES_NOT_EXIST'));

    it('rejects invalid key characters', () =>
      given([created]).when(setTag('a*b', 'v')).thenThrows('INVALID_PARAMETER_VALUE', 'Names may only contain'));

    it('rejects a key that resolves to another path', () =>
      given([created]).when(setTag('a/../b', 'v')).thenThrows('INVALID_PARAMETER_VALUE', "resolve to 'b'"));

    it('rejects a value over 5000 characters', () =>
      given([created])
        .when(setTag('k', 'v'.repeat(5001)))
        .thenThrows('INVALID_PARAMETER_VALUE', 'length limit of 5000'));
  });

  describe('DeleteExperimentTag', () => {
    it('deletes a tag given at creation', () =>
      given([created])
        .when(deleteTag('team'))
        .then([{ type: 'ExperimentTagDeleted', data: { experimentId, key: 'team', time: now } }]));

    it('deletes a tag set later', () =>
      given([created, tagSet('owner', 'bob')])
        .when(deleteTag('owner'))
        .then([{ type: 'ExperimentTagDeleted', data: { experimentId, key: 'owner', time: now } }]));

    it('answers 404 for a tag that was never set', () =>
      given([created])
        .when(deleteTag('owner'))
        .thenThrows('RESOURCE_DOES_NOT_EXIST', 'No tag with name: owner in experiment with id 7'));

    it('answers 404 for a tag already deleted', () =>
      given([created, { type: 'ExperimentTagDeleted', data: { experimentId, key: 'team', time: now - 10 } }])
        .when(deleteTag('team'))
        .thenThrows('RESOURCE_DOES_NOT_EXIST'));

    it('rejects a deleted experiment with INVALID_PARAMETER_VALUE', () =>
      given([created, deleted]).when(deleteTag('team')).thenThrows('INVALID_PARAMETER_VALUE'));

    it('answers 404 for an unknown experiment', () =>
      given([]).when(deleteTag('team')).thenThrows('RESOURCE_DOES_NOT_EXIST', 'No Experiment with id=7 exists'));
  });
});
