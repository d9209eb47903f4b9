import { Decider } from '@logbook/eventstore';
import { CommandMetadata, invalidParameter, notFound } from '@logbook/platform';
import { Tag } from '../experiments/experiment.events';
import { ExperimentFact } from '../runs/run.decider';
import { validateParam, validateRunTag } from '../shared/limits';
import { FINAL_STATUSES, isFinalStatus, LoggedModelEvent, LoggedModelStatus } from './logged-model.events';

export interface LoggedModelState {
  exists: boolean;
  deleted: boolean;
  status: LoggedModelStatus;
  tagKeys: string[];
}

export type LoggedModelCommand = { metadata: CommandMetadata } & (
  | {
      type: 'CreateLoggedModel';
      data: {
        modelId: string;
        experiment: ExperimentFact & { artifactLocation: string };
        name?: string;
        generatedName: string;
        modelType?: string;
        sourceRunId?: string;
        params: Tag[];
        tags: Tag[];
      };
    }
  | { type: 'FinalizeLoggedModel'; data: { modelId: string; status: string } }
  | { type: 'DeleteLoggedModel'; data: { modelId: string } }
  | { type: 'SetLoggedModelTags'; data: { modelId: string; tags: Tag[] } }
  | { type: 'DeleteLoggedModelTag'; data: { modelId: string; key: string } }
  | { type: 'LogLoggedModelParams'; data: { modelId: string; params: Tag[] } }
);

const FORBIDDEN_NAME_CHARACTERS = ['/', ':', '.', '%', '"', "'"];

function validateModelName(name: string): void {
  if (name === '' || FORBIDDEN_NAME_CHARACTERS.some((c) => name.includes(c))) {
    throw invalidParameter(
      `Invalid model name ('${name}') provided. Model name must be a non-empty string and cannot contain the following characters: ('/', ':', '.', '%', '"', "'")`,
    );
  }
}

function requireLive(state: LoggedModelState, modelId: string): void {
  if (!state.exists || state.deleted) throw notFound(`Logged model with ID '${modelId}' not found.`);
}

function decide(command: LoggedModelCommand, state: LoggedModelState): LoggedModelEvent[] {
  const time = command.metadata.now;
  switch (command.type) {
    case 'CreateLoggedModel': {
      const { modelId, experiment } = command.data;
      if (command.data.name !== undefined) validateModelName(command.data.name);
      if (!experiment.found) throw notFound(`No Experiment with id=${experiment.experimentId} exists`);
      if (experiment.lifecycleStage !== 'active') {
        throw invalidParameter(
          `The experiment ${experiment.experimentId} must be in the 'active' state. Current state is ${experiment.lifecycleStage}.`,
        );
      }
      if (state.exists) throw invalidParameter(`Logged model with ID '${modelId}' already exists.`);
      return [
        {
          type: 'LoggedModelCreated',
          data: {
            modelId,
            experimentId: experiment.experimentId,
            name: command.data.name ?? command.data.generatedName,
            artifactUri: `${experiment.artifactLocation}/models/${modelId}/artifacts`,
            modelType: command.data.modelType ?? null,
            sourceRunId: command.data.sourceRunId ?? null,
            params: command.data.params.map((p) => validateParam(p.key, p.value)),
            tags: command.data.tags.map((t) => validateRunTag(t.key, t.value)),
            time,
          },
        },
      ];
    }
    case 'FinalizeLoggedModel': {
      const { modelId, status } = command.data;
      requireLive(state, modelId);
      if (!isFinalStatus(status)) {
        throw invalidParameter(`Invalid model status: ${status}. Expected one of: ${FINAL_STATUSES.join(', ')}.`);
      }
      return [{ type: 'LoggedModelFinalized', data: { modelId, status, time } }];
    }
    case 'DeleteLoggedModel':
      requireLive(state, command.data.modelId);
      return [{ type: 'LoggedModelDeleted', data: { modelId: command.data.modelId, time } }];
    case 'SetLoggedModelTags': {
      const tags = command.data.tags.map((t) => validateRunTag(t.key, t.value));
      requireLive(state, command.data.modelId);
      return tags.length === 0
        ? []
        : [{ type: 'LoggedModelTagsSet', data: { modelId: command.data.modelId, tags, time } }];
    }
    case 'DeleteLoggedModelTag': {
      const { modelId, key } = command.data;
      requireLive(state, modelId);
      if (!state.tagKeys.includes(key))
        throw notFound(`No tag with key '${key}' found for model with ID '${modelId}'.`);
      return [{ type: 'LoggedModelTagDeleted', data: { modelId, key, time } }];
    }
    case 'LogLoggedModelParams': {
      const params = command.data.params.map((p) => validateParam(p.key, p.value));
      requireLive(state, command.data.modelId);
      return params.length === 0
        ? []
        : [{ type: 'LoggedModelParamsLogged', data: { modelId: command.data.modelId, params, time } }];
    }
  }
}

function evolve(state: LoggedModelState, event: LoggedModelEvent): LoggedModelState {
  switch (event.type) {
    case 'LoggedModelCreated':
      return {
        exists: true,
        deleted: false,
        status: 'LOGGED_MODEL_PENDING',
        tagKeys: event.data.tags.map((t) => t.key),
      };
    case 'LoggedModelFinalized':
      return { ...state, status: event.data.status };
    case 'LoggedModelDeleted':
      return { ...state, deleted: true };
    case 'LoggedModelTagsSet':
      return { ...state, tagKeys: [...new Set([...state.tagKeys, ...event.data.tags.map((t) => t.key)])] };
    case 'LoggedModelTagDeleted':
      return { ...state, tagKeys: state.tagKeys.filter((k) => k !== event.data.key) };
    case 'LoggedModelParamsLogged':
      return state;
  }
}

export const loggedModelDecider: Decider<LoggedModelState, LoggedModelCommand, LoggedModelEvent> = {
  initialState: () => ({ exists: false, deleted: false, status: 'LOGGED_MODEL_PENDING', tagKeys: [] }),
  evolve,
  decide,
};

/** Raise with any change to the state's shape or to `evolve`: heads of another version are folded again. */
export const loggedModelStateVersion = 1;

export const loggedModelStream = {
  streamType: 'logged-model',
  decider: loggedModelDecider,
  stateVersion: loggedModelStateVersion,
};

export const loggedModelStreamId = (modelId: string) => `logged-model-${modelId}`;
