import { CommandMetadata, invalidParameter, MlflowError, notFound } from '@logbook/platform';
import { Decider } from '@logbook/eventstore';
import { validateExperimentName, validateExperimentTag } from '../shared/limits';
import { ExperimentEvent, Tag } from './experiment.events';

export interface ExperimentState {
  exists: boolean;
  experimentId: string;
  name: string;
  lifecycleStage: 'active' | 'deleted';
  tagKeys: string[];
}

/** Facts the service looks up outside the stream: name uniqueness spans all experiments. */
export interface NameAvailability {
  nameTaken: boolean;
}

export type ExperimentCommand = { metadata: CommandMetadata } & (
  | {
      type: 'CreateExperiment';
      data: { experimentId: string; name: string; artifactLocation: string; tags: Tag[] } & NameAvailability;
    }
  | { type: 'RenameExperiment'; data: { experimentId: string; newName: string } & NameAvailability }
  | { type: 'DeleteExperiment'; data: { experimentId: string } }
  | { type: 'RestoreExperiment'; data: { experimentId: string } }
  | { type: 'SetExperimentTag'; data: { experimentId: string; key: string; value: string } }
  | { type: 'DeleteExperimentTag'; data: { experimentId: string; key: string } }
);

const initialState = (): ExperimentState => ({
  exists: false,
  experimentId: '',
  name: '',
  lifecycleStage: 'active',
  tagKeys: [],
});

function requireExisting(state: ExperimentState, experimentId: string): void {
  if (!state.exists) throw notFound(`No Experiment with id=${experimentId} exists`);
}

function requireActive(state: ExperimentState, experimentId: string): void {
  requireExisting(state, experimentId);
  if (state.lifecycleStage !== 'active') {
    throw invalidParameter(`The experiment ${experimentId} must be in the 'active' state. Current state is deleted.`);
  }
}

const nameTakenError = (name: string) =>
  new MlflowError(
    'RESOURCE_ALREADY_EXISTS',
    `Experiment(name=${name}) already exists. Error: duplicate experiment name`,
  );

function decide(command: ExperimentCommand, state: ExperimentState): ExperimentEvent[] {
  const time = command.metadata.now;
  switch (command.type) {
    case 'CreateExperiment': {
      const { experimentId, name, artifactLocation, tags } = command.data;
      validateExperimentName(name);
      tags.forEach((tag) => validateExperimentTag(tag.key, tag.value));
      if (state.exists || command.data.nameTaken) throw nameTakenError(name);
      return [{ type: 'ExperimentCreated', data: { experimentId, name, artifactLocation, tags, creationTime: time } }];
    }
    case 'RenameExperiment': {
      const { experimentId, newName } = command.data;
      requireExisting(state, experimentId);
      validateExperimentName(newName);
      if (state.lifecycleStage !== 'active') {
        throw new MlflowError('INVALID_STATE', 'Cannot rename a non-active experiment.');
      }
      if (newName === state.name) return [];
      if (command.data.nameTaken) throw nameTakenError(newName);
      return [{ type: 'ExperimentRenamed', data: { experimentId, name: newName, time } }];
    }
    case 'DeleteExperiment': {
      const { experimentId } = command.data;
      if (!state.exists || state.lifecycleStage !== 'active') {
        throw notFound(`No Experiment with id=${experimentId} exists`);
      }
      if (experimentId === '0') throw invalidParameter('Cannot delete the default experiment (ID 0).');
      return [{ type: 'ExperimentDeleted', data: { experimentId, time } }];
    }
    case 'RestoreExperiment': {
      const { experimentId } = command.data;
      if (!state.exists || state.lifecycleStage !== 'deleted') {
        throw notFound(`No Experiment with id=${experimentId} exists`);
      }
      return [{ type: 'ExperimentRestored', data: { experimentId, time } }];
    }
    case 'SetExperimentTag': {
      const { experimentId, key, value } = command.data;
      validateExperimentTag(key, value);
      requireActive(state, experimentId);
      return [{ type: 'ExperimentTagSet', data: { experimentId, key, value, time } }];
    }
    case 'DeleteExperimentTag': {
      const { experimentId, key } = command.data;
      requireActive(state, experimentId);
      if (!state.tagKeys.includes(key)) {
        throw notFound(`No tag with name: ${key} in experiment with id ${experimentId}`);
      }
      return [{ type: 'ExperimentTagDeleted', data: { experimentId, key, time } }];
    }
  }
}

function evolve(state: ExperimentState, event: ExperimentEvent): ExperimentState {
  switch (event.type) {
    case 'ExperimentCreated':
      return {
        exists: true,
        experimentId: event.data.experimentId,
        name: event.data.name,
        lifecycleStage: 'active',
        tagKeys: [...new Set(event.data.tags.map((t) => t.key))],
      };
    case 'ExperimentRenamed':
      return { ...state, name: event.data.name };
    case 'ExperimentDeleted':
      return { ...state, lifecycleStage: 'deleted' };
    case 'ExperimentRestored':
      return { ...state, lifecycleStage: 'active' };
    case 'ExperimentTagSet':
      return state.tagKeys.includes(event.data.key) ? state : { ...state, tagKeys: [...state.tagKeys, event.data.key] };
    case 'ExperimentTagDeleted':
      return { ...state, tagKeys: state.tagKeys.filter((k) => k !== event.data.key) };
  }
}

export const experimentDecider: Decider<ExperimentState, ExperimentCommand, ExperimentEvent> = {
  initialState,
  evolve,
  decide,
};

/** Raise with any change to the state's shape or to `evolve`: heads of another version are folded again. */
export const experimentStateVersion = 1;

export const experimentStream = {
  streamType: 'experiment',
  decider: experimentDecider,
  stateVersion: experimentStateVersion,
};

export const experimentStreamId = (experimentId: string) => `experiment-${experimentId}`;
