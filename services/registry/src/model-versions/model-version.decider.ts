import { createHash } from 'node:crypto';
import { Decider } from '@logbook/eventstore';
import { CommandMetadata, invalidParameter, validateKeyName } from '@logbook/platform';
import { Tag } from '../registered-models/registered-model.events';
import { isPromptTags, versionNotFound } from '../registered-models/registered-model.decider';
import {
  parseVersion,
  PROMPT_TEXT_TAG,
  validateModelName,
  validatePromptSource,
  validateSource,
  validateTag,
} from '../shared/limits';
import { ModelVersionEvent, RegistrationStatus } from './model-version.events';

export interface ModelVersionState {
  exists: boolean;
  deleted: boolean;
  status: RegistrationStatus;
  tagKeys: string[];
}

/** Which version a command is for: the model's id, its current name and the version number. */
export interface VersionAddress {
  registeredModelId: string;
  name: string;
  version: number;
}

export interface NewModelVersion {
  name: string;
  source: string;
  runId?: string;
  /** runId was not given: it is the run of the logged model the source names. */
  runIdInferred?: true;
  runLink?: string;
  description?: string;
  modelId?: string;
  tags: Tag[];
}

export type ModelVersionCommand = { metadata: CommandMetadata } & (
  | { type: 'CreateModelVersion'; data: VersionAddress & NewModelVersion }
  | {
      type: 'CompleteRegistration';
      data: VersionAddress & { digest: string; storageLocation?: string };
    }
  | { type: 'FailRegistration'; data: VersionAddress & { message: string } }
  | { type: 'UpdateModelVersion'; data: VersionAddress & { description?: string } }
  | { type: 'SetModelVersionTag'; data: VersionAddress & { key: string; value: string } }
  | { type: 'DeleteModelVersionTag'; data: VersionAddress & { key: string } }
  | { type: 'DeleteModelVersion'; data: VersionAddress }
);

const initialState = (): ModelVersionState => ({
  exists: false,
  deleted: false,
  status: 'PENDING_REGISTRATION',
  tagKeys: [],
});

/** What MLflow checks of a new version before it looks the model up: its name, tags and source. */
export function checkNewModelVersion(request: NewModelVersion): void {
  validateModelName(request.name);
  request.tags.forEach((tag) => validateTag(tag.key, tag.value));
  if (isPromptTags(request.tags)) validatePromptSource(request.source);
  else validateSource(request.source);
}

const lastValuePerKey = (tags: Tag[]): Tag[] =>
  [...new Map(tags.map((t) => [t.key, t.value])).entries()].map(([key, value]) => ({ key, value }));

/** A prompt version's content is its template, held in a tag: nothing to fetch, so its digest is known at once. */
function promptDigest(tags: Tag[]): string {
  const template = lastValuePerKey(tags).find((tag) => tag.key === PROMPT_TEXT_TAG)?.value ?? '';
  return `sha256:${createHash('sha256').update(template).digest('hex')}`;
}

/** The version number as MLflow parses it from a request: an integer, or 400. */
export function versionNumber(name: string, version: string): number {
  validateModelName(name);
  return parseVersion(version);
}

function requireLive(state: ModelVersionState, address: VersionAddress): void {
  if (!state.exists || state.deleted) throw versionNotFound(address.name, address.version);
}

const addressOf = ({ registeredModelId, name, version }: VersionAddress): VersionAddress => ({
  registeredModelId,
  name,
  version,
});

function decide(command: ModelVersionCommand, state: ModelVersionState): ModelVersionEvent[] {
  const time = command.metadata.now;
  const address = addressOf(command.data);
  switch (command.type) {
    case 'CreateModelVersion': {
      const data = command.data;
      checkNewModelVersion(data);
      if (state.exists)
        throw invalidParameter(`Model Version (name=${data.name}, version=${data.version}) already exists.`);
      const created: ModelVersionEvent = {
        type: 'ModelVersionCreated',
        data: {
          ...address,
          source: data.source,
          runId: data.runId || null,
          ...(data.runIdInferred && data.runId ? { runIdInferred: true as const } : {}),
          runLink: data.runLink || null,
          description: data.description ?? null,
          modelId: data.modelId || null,
          tags: lastValuePerKey(data.tags),
          time,
        },
      };
      if (!isPromptTags(data.tags)) return [created];
      return [
        created,
        {
          type: 'ModelVersionRegistrationCompleted',
          data: { ...address, digest: promptDigest(data.tags), storageLocation: null, time },
        },
      ];
    }
    case 'CompleteRegistration': {
      if (!state.exists) throw versionNotFound(address.name, address.version);
      // A registration result delivered again, or after the version was deleted, changes nothing.
      if (state.deleted || state.status !== 'PENDING_REGISTRATION') return [];
      const { digest, storageLocation } = command.data;
      if (digest === '') throw invalidParameter('A completed registration needs the content digest.');
      return [
        {
          type: 'ModelVersionRegistrationCompleted',
          data: { ...address, digest, storageLocation: storageLocation ?? null, time },
        },
      ];
    }
    case 'FailRegistration': {
      if (!state.exists) throw versionNotFound(address.name, address.version);
      if (state.deleted || state.status !== 'PENDING_REGISTRATION') return [];
      return [
        { type: 'ModelVersionRegistrationFailed', data: { ...address, statusMessage: command.data.message, time } },
      ];
    }
    case 'UpdateModelVersion':
      requireLive(state, address);
      return [
        {
          type: 'ModelVersionDescriptionUpdated',
          data: { ...address, description: command.data.description ?? null, time },
        },
      ];
    case 'SetModelVersionTag': {
      const { key, value } = command.data;
      validateTag(key, value);
      requireLive(state, address);
      return [{ type: 'ModelVersionTagSet', data: { ...address, key, value, time } }];
    }
    case 'DeleteModelVersionTag': {
      const { key } = command.data;
      validateKeyName(key);
      requireLive(state, address);
      if (!state.tagKeys.includes(key)) return [];
      return [{ type: 'ModelVersionTagDeleted', data: { ...address, key, time } }];
    }
    case 'DeleteModelVersion':
      requireLive(state, address);
      return [{ type: 'ModelVersionDeleted', data: { ...address, time } }];
  }
}

function evolve(state: ModelVersionState, event: ModelVersionEvent): ModelVersionState {
  switch (event.type) {
    case 'ModelVersionCreated':
      return { ...initialState(), exists: true, tagKeys: event.data.tags.map((t) => t.key) };
    case 'ModelVersionRegistrationCompleted':
      return { ...state, status: 'READY' };
    case 'ModelVersionRegistrationFailed':
      return { ...state, status: 'FAILED_REGISTRATION' };
    case 'ModelVersionDescriptionUpdated':
      return state;
    case 'ModelVersionTagSet':
      return state.tagKeys.includes(event.data.key) ? state : { ...state, tagKeys: [...state.tagKeys, event.data.key] };
    case 'ModelVersionTagDeleted':
      return { ...state, tagKeys: state.tagKeys.filter((k) => k !== event.data.key) };
    case 'ModelVersionDeleted':
      return { ...state, deleted: true };
  }
}

export const modelVersionDecider: Decider<ModelVersionState, ModelVersionCommand, ModelVersionEvent> = {
  initialState,
  evolve,
  decide,
};

/** Raise with any change to the state's shape or to `evolve`: heads of another version are folded again. */
export const modelVersionStateVersion = 1;

export const modelVersionStream = {
  streamType: 'model-version',
  decider: modelVersionDecider,
  stateVersion: modelVersionStateVersion,
};

export const modelVersionStreamId = (registeredModelId: string, version: number) =>
  `model-version-${registeredModelId}-${version}`;
