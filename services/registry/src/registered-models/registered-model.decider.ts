import { Decider } from '@logbook/eventstore';
import { alreadyExists, CommandMetadata, MlflowError, notFound, validateKeyName } from '@logbook/platform';
import { GovernedTargetsOfModel } from '../governance/governed-targets';
import { governedStageRefused, protectedAliasRefused, renameEscapingGovernance } from './governance-refusals';
import {
  ACTIVE_STAGES,
  canonicalStage,
  cannotArchive,
  parseVersion,
  PROMPT_TAG,
  Stage,
  validateAliasName,
  validateAliasNotReserved,
  validateModelName,
  validateTag,
} from '../shared/limits';
import { RegisteredModelEvent, Tag } from './registered-model.events';

export interface RegisteredModelState {
  exists: boolean;
  deleted: boolean;
  registeredModelId: string;
  name: string;
  /** The highest version number ever assigned; numbers of deleted versions are not reused. */
  lastVersion: number;
  /** Versions deleted so far: every other number up to `lastVersion` is a live version. */
  withdrawnVersions: number[];
  /**
   * Stage of each live version that left 'None', by version number; the others are in 'None'. The head
   * is read and written on every version created, so it holds nothing per version that stays in 'None'.
   */
  stages: Record<string, Stage>;
  /** Version each alias points to. */
  aliases: Record<string, number>;
  tagKeys: string[];
}

/** What the service looked up outside the stream: names are unique across all registered models. */
export interface NameHolder {
  /** The live model holding the name asked for, if any, and whether it is a prompt. */
  holder: { isPrompt: boolean } | null;
}

export type RegisteredModelCommand = { metadata: CommandMetadata } & (
  | {
      type: 'CreateRegisteredModel';
      data: { registeredModelId: string; name: string; description?: string; tags: Tag[] } & NameHolder;
    }
  | {
      type: 'RenameRegisteredModel';
      data: {
        name: string;
        newName: string;
        governed: GovernedTargetsOfModel;
        governedAfter: GovernedTargetsOfModel;
      } & NameHolder;
    }
  | { type: 'UpdateRegisteredModel'; data: { name: string; description?: string } }
  | { type: 'DeleteRegisteredModel'; data: { name: string } }
  | { type: 'SetRegisteredModelTag'; data: { name: string; key: string; value: string } }
  | { type: 'DeleteRegisteredModelTag'; data: { name: string; key: string } }
  | {
      type: 'SetRegisteredModelAlias';
      data: { name: string; alias: string; version: string; governed: GovernedTargetsOfModel; appliedRequest?: string };
    }
  | { type: 'DeleteRegisteredModelAlias'; data: { name: string; alias: string; governed: GovernedTargetsOfModel } }
  | { type: 'AssignModelVersionNumber'; data: { name: string } }
  | {
      type: 'TransitionModelVersionStage';
      data: {
        name: string;
        version: string;
        stage: string;
        archiveExistingVersions: boolean;
        governed: GovernedTargetsOfModel;
        /** The approved transition request the system applies: what a governed stage admits. */
        appliedRequest?: string;
      };
    }
  | { type: 'WithdrawModelVersion'; data: { name: string; version: string; governed: GovernedTargetsOfModel } }
);

const initialState = (): RegisteredModelState => ({
  exists: false,
  deleted: false,
  registeredModelId: '',
  name: '',
  lastVersion: 0,
  withdrawnVersions: [],
  stages: {},
  aliases: {},
  tagKeys: [],
});

export const modelNotFound = (name: string) => notFound(`Registered Model with name=${name} not found`);
export const versionNotFound = (name: string, version: string | number) =>
  notFound(`Model Version (name=${name}, version=${version}) not found`);

const isLive = (state: RegisteredModelState) => state.exists && !state.deleted;

const isLiveVersion = (state: RegisteredModelState, version: number) =>
  version >= 1 && version <= state.lastVersion && !state.withdrawnVersions.includes(version);

const stageOf = (state: RegisteredModelState, version: number): Stage => state.stages[String(version)] ?? 'None';

function requireModel(state: RegisteredModelState, name: string): void {
  if (!isLive(state)) throw modelNotFound(name);
}

/** A version of a live model that is not deleted; MLflow looks versions up by (name, version). */
function requireVersion(state: RegisteredModelState, name: string, version: string): number {
  validateModelName(name);
  const number = parseVersion(version);
  if (!isLive(state) || !isLiveVersion(state, number)) throw versionNotFound(name, number);
  return number;
}

/** handle_resource_already_exist_error: the wording tells models and prompts apart. */
function nameTaken(name: string, holder: { isPrompt: boolean }, newIsPrompt: boolean): MlflowError {
  const existing = holder.isPrompt ? 'Prompt' : 'Registered Model';
  const created = newIsPrompt ? 'Prompt' : 'Registered Model';
  if (existing !== created) {
    return alreadyExists(
      `Tried to create a ${created.toLowerCase()} with name '${name}', but the name is already taken by a ${existing.toLowerCase()}. MLflow does not allow creating a model and a prompt with the same name.`,
    );
  }
  return alreadyExists(`${created} (name=${name}) already exists.`);
}

export const isPromptTags = (tags: Tag[]) =>
  tags.some((tag) => tag.key === PROMPT_TAG && tag.value.toLowerCase() === 'true');

/** Tags given twice keep the last value, as MLflow's dict does. */
const lastValuePerKey = (tags: Tag[]): Tag[] =>
  [...new Map(tags.map((t) => [t.key, t.value])).entries()].map(([key, value]) => ({ key, value }));

const requestOf = (appliedRequest: string | undefined) =>
  appliedRequest === undefined ? {} : { requestId: appliedRequest };

function decide(command: RegisteredModelCommand, state: RegisteredModelState): RegisteredModelEvent[] {
  const time = command.metadata.now;
  const key = { registeredModelId: state.registeredModelId, name: state.name };
  switch (command.type) {
    case 'CreateRegisteredModel': {
      const { registeredModelId, name, description, tags, holder } = command.data;
      validateModelName(name);
      tags.forEach((tag) => validateTag(tag.key, tag.value));
      if (holder) throw nameTaken(name, holder, isPromptTags(tags));
      if (state.exists) throw alreadyExists(`Registered Model (name=${name}) already exists.`);
      return [
        {
          type: 'RegisteredModelCreated',
          data: { registeredModelId, name, description: description ?? null, tags: lastValuePerKey(tags), time },
        },
      ];
    }
    case 'RenameRegisteredModel': {
      const { name, newName, holder } = command.data;
      validateModelName(newName, 'new_name');
      validateModelName(name);
      requireModel(state, name);
      if (newName === state.name) return [];
      if (holder) throw alreadyExists(`Registered Model (name=${newName}) already exists.`);
      renameEscapingGovernance(name, newName, command.data.governed, command.data.governedAfter);
      return [{ type: 'RegisteredModelRenamed', data: { ...key, name: newName, previousName: state.name, time } }];
    }
    case 'UpdateRegisteredModel': {
      validateModelName(command.data.name);
      requireModel(state, command.data.name);
      const description = command.data.description ?? '';
      return [{ type: 'RegisteredModelDescriptionUpdated', data: { ...key, description, time } }];
    }
    case 'DeleteRegisteredModel':
      validateModelName(command.data.name);
      requireModel(state, command.data.name);
      return [{ type: 'RegisteredModelDeleted', data: { ...key, time } }];
    case 'SetRegisteredModelTag': {
      const { name, key: tagKey, value } = command.data;
      validateModelName(name);
      validateTag(tagKey, value);
      requireModel(state, name);
      return [{ type: 'RegisteredModelTagSet', data: { ...key, key: tagKey, value, time } }];
    }
    case 'DeleteRegisteredModelTag': {
      const { name, key: tagKey } = command.data;
      validateModelName(name);
      validateKeyName(tagKey);
      requireModel(state, name);
      if (!state.tagKeys.includes(tagKey)) return [];
      return [{ type: 'RegisteredModelTagDeleted', data: { ...key, key: tagKey, time } }];
    }
    case 'SetRegisteredModelAlias': {
      const { name, alias } = command.data;
      validateModelName(name);
      validateAliasName(alias);
      validateAliasNotReserved(alias);
      const version = requireVersion(state, name, command.data.version);
      const previousVersion = state.aliases[alias] ?? null;
      if (previousVersion === version) return [];
      const { appliedRequest } = command.data;
      if (appliedRequest === undefined) protectedAliasRefused(name, alias, command.data.governed);
      return [
        {
          type: 'RegisteredModelAliasSet',
          data: { ...key, alias, version, previousVersion, ...requestOf(appliedRequest), time },
        },
      ];
    }
    case 'DeleteRegisteredModelAlias': {
      const { name, alias } = command.data;
      validateModelName(name);
      validateAliasName(alias);
      requireModel(state, name);
      const version = state.aliases[alias];
      if (version === undefined) return [];
      protectedAliasRefused(name, alias, command.data.governed);
      return [{ type: 'RegisteredModelAliasDeleted', data: { ...key, alias, version, time } }];
    }
    case 'AssignModelVersionNumber':
      validateModelName(command.data.name);
      requireModel(state, command.data.name);
      return [{ type: 'ModelVersionNumberAssigned', data: { ...key, version: state.lastVersion + 1, time } }];
    case 'TransitionModelVersionStage': {
      const { name, archiveExistingVersions } = command.data;
      const stage = canonicalStage(command.data.stage);
      if (archiveExistingVersions && !ACTIVE_STAGES.includes(stage)) throw cannotArchive(command.data.stage);
      const version = requireVersion(state, name, command.data.version);
      const { appliedRequest } = command.data;
      if (appliedRequest === undefined && stageOf(state, version) !== stage) {
        governedStageRefused(name, stage, command.data.governed);
      }
      // Versions in 'None' are not in `stages`, and archive_existing_versions only archives the active stages.
      const archivedVersions = archiveExistingVersions
        ? Object.entries(state.stages)
            .filter(([other, otherStage]) => Number(other) !== version && otherStage === stage)
            .map(([other]) => Number(other))
            .sort((a, b) => a - b)
        : [];
      const previousStage = stageOf(state, version);
      return [
        {
          type: 'ModelVersionStageTransitioned',
          data: { ...key, version, stage, previousStage, archivedVersions, ...requestOf(appliedRequest), time },
        },
      ];
    }
    case 'WithdrawModelVersion': {
      const version = requireVersion(state, command.data.name, command.data.version);
      const removedAliases = Object.entries(state.aliases)
        .filter(([, target]) => target === version)
        .map(([alias]) => alias)
        .sort();
      removedAliases.forEach((alias) => protectedAliasRefused(command.data.name, alias, command.data.governed));
      return [{ type: 'ModelVersionWithdrawn', data: { ...key, version, removedAliases, time } }];
    }
  }
}

const without = <Value>(record: Record<string, Value>, key: string): Record<string, Value> =>
  Object.fromEntries(Object.entries(record).filter(([k]) => k !== key));

function evolve(state: RegisteredModelState, event: RegisteredModelEvent): RegisteredModelState {
  switch (event.type) {
    case 'RegisteredModelCreated':
      return {
        ...initialState(),
        exists: true,
        registeredModelId: event.data.registeredModelId,
        name: event.data.name,
        tagKeys: event.data.tags.map((t) => t.key),
      };
    case 'RegisteredModelRenamed':
      return { ...state, name: event.data.name };
    case 'RegisteredModelDescriptionUpdated':
      return state;
    case 'RegisteredModelDeleted':
      return { ...state, deleted: true };
    case 'RegisteredModelTagSet':
      return state.tagKeys.includes(event.data.key) ? state : { ...state, tagKeys: [...state.tagKeys, event.data.key] };
    case 'RegisteredModelTagDeleted':
      return { ...state, tagKeys: state.tagKeys.filter((k) => k !== event.data.key) };
    case 'RegisteredModelAliasSet':
      return { ...state, aliases: { ...state.aliases, [event.data.alias]: event.data.version } };
    case 'RegisteredModelAliasDeleted':
      return { ...state, aliases: without(state.aliases, event.data.alias) };
    case 'ModelVersionNumberAssigned':
      return { ...state, lastVersion: event.data.version };
    case 'ModelVersionStageTransitioned': {
      const stages = without(state.stages, String(event.data.version));
      if (event.data.stage !== 'None') stages[String(event.data.version)] = event.data.stage;
      for (const archived of event.data.archivedVersions) stages[String(archived)] = 'Archived';
      return { ...state, stages };
    }
    case 'ModelVersionWithdrawn': {
      const aliases = Object.fromEntries(
        Object.entries(state.aliases).filter(([alias]) => !event.data.removedAliases.includes(alias)),
      );
      return {
        ...state,
        withdrawnVersions: [...state.withdrawnVersions, event.data.version],
        stages: without(state.stages, String(event.data.version)),
        aliases,
      };
    }
  }
}

export const registeredModelDecider: Decider<RegisteredModelState, RegisteredModelCommand, RegisteredModelEvent> = {
  initialState,
  evolve,
  decide,
};

/** Raise with any change to the state's shape or to `evolve`: heads of another version are folded again. */
export const registeredModelStateVersion = 2;

export const registeredModelStream = {
  streamType: 'registered-model',
  decider: registeredModelDecider,
  stateVersion: registeredModelStateVersion,
};

export const registeredModelStreamId = (registeredModelId: string) => `registered-model-${registeredModelId}`;
