import { AUDIT_ANSWERS } from '@logbook/audit';
import { ACTOR_KINDS, AUTH_METHODS, JsonSchema } from '@logbook/platform';
import { ACTIVITY_ACTIONS, ACTIVITY_TYPES } from '../activities/version-activities';
import { STAGES } from './limits';

/**
 * JSON Schemas of what the registry answers, for the OpenAPI document. Empty lists are left out of every
 * answer (protobuf JSON), so no list is required.
 */
const ref = (name: keyof typeof REGISTRY_WIRE_SCHEMAS): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

const int64: JsonSchema = { type: 'integer', format: 'int64' };
const text: JsonSchema = { type: 'string' };
const listOf = (items: JsonSchema): JsonSchema => ({ type: 'array', items });
const object = (properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema => ({
  type: 'object',
  properties,
  ...(required.length > 0 ? { required } : {}),
});
const pageToken: JsonSchema = { type: 'string', description: 'Pass it back to read the next page' };
const tag = object({ key: text, value: text }, ['key', 'value']);

const modelVersion = object(
  {
    name: text,
    version: { type: 'string', pattern: '^[0-9]+$' },
    creation_timestamp: int64,
    last_updated_timestamp: int64,
    current_stage: { type: 'string', enum: [...STAGES] },
    description: text,
    source: text,
    run_id: text,
    status: { type: 'string', enum: ['PENDING_REGISTRATION', 'FAILED_REGISTRATION', 'READY'] },
    status_message: text,
    tags: listOf(tag),
    run_link: text,
    aliases: listOf(text),
    model_id: text,
  },
  ['name', 'version', 'creation_timestamp', 'current_stage', 'source', 'status'],
);

const int64String: JsonSchema = { type: 'string', pattern: '^-?[0-9]+$' };

const lineage = object(
  {
    model_version: object(
      {
        name: text,
        version: { type: 'string', pattern: '^[0-9]+$' },
        source: text,
        status: { type: 'string', enum: ['PENDING_REGISTRATION', 'FAILED_REGISTRATION', 'READY'] },
        status_message: text,
        digest: { type: 'string', description: 'sha256: digest of the copied files, once READY' },
        storage_location: { type: 'string', description: 'The read-only registry copy the version downloads from' },
        run_id: text,
        model_id: text,
      },
      ['name', 'version', 'source', 'status'],
    ),
    logged_model: object(
      {
        model_id: text,
        name: text,
        experiment_id: text,
        source_run_id: text,
        artifact_location: text,
        deleted: { type: 'boolean' },
      },
      ['model_id', 'name', 'experiment_id', 'artifact_location'],
    ),
    run: object(
      {
        run_id: text,
        experiment_id: text,
        run_name: text,
        user_id: text,
        status: text,
        start_time: int64String,
        end_time: int64String,
        lifecycle_stage: { type: 'string', enum: ['active', 'deleted', 'purged'] },
        params: listOf(tag),
        metrics: listOf(
          object({ key: text, value: { type: ['number', 'string'] }, timestamp: int64String, step: int64String }, [
            'key',
            'value',
            'timestamp',
            'step',
          ]),
        ),
        dataset_inputs: listOf(
          object({ name: text, digest: text, source_type: text, source: text, context: text }, [
            'name',
            'digest',
            'source_type',
            'source',
          ]),
        ),
      },
      ['run_id', 'experiment_id', 'run_name', 'status', 'start_time', 'lifecycle_stage'],
    ),
  },
  ['model_version'],
);

const change = object(
  {
    event_id: { type: 'string', format: 'uuid' },
    type: { type: 'string', description: 'The event type, as docs/events.md names it' },
    timestamp: { ...int64, description: 'When the change was made, in milliseconds since the Unix epoch' },
    actor: object(
      {
        id: text,
        kind: { type: 'string', enum: [...ACTOR_KINDS] },
        name: text,
        auth_method: { type: 'string', enum: [...AUTH_METHODS] },
      },
      ['id', 'kind', 'name', 'auth_method'],
    ),
    request_id: { type: 'string', description: 'The request that made the change' },
    data: { type: 'object', description: "The event's fields, in snake_case" },
  },
  ['event_id', 'type', 'timestamp', 'actor', 'request_id', 'data'],
);

const activityAction: JsonSchema = { type: 'string', enum: [...ACTIVITY_ACTIONS] };
const stage: JsonSchema = { type: 'string', enum: [...STAGES] };

export const REGISTRY_WIRE_SCHEMAS = {
  Comment: object(
    {
      id: text,
      user_id: text,
      comment: text,
      creation_timestamp: int64,
      last_updated_timestamp: int64,
      available_actions: { ...listOf(activityAction), description: 'What the caller may do with it' },
    },
    ['id', 'user_id', 'comment', 'creation_timestamp', 'last_updated_timestamp'],
  ),
  Activity: object(
    {
      id: text,
      activity_type: { type: 'string', enum: [...ACTIVITY_TYPES] },
      user_id: text,
      comment: text,
      system_comment: { type: 'string', description: 'Why the system made it (a version archived by another)' },
      from_stage: stage,
      to_stage: stage,
      creation_timestamp: int64,
      last_updated_timestamp: int64,
      available_actions: { ...listOf(activityAction), description: 'What the caller may do with it' },
    },
    ['id', 'activity_type', 'user_id', 'creation_timestamp', 'last_updated_timestamp'],
  ),
  ModelVersion: modelVersion,
  RegisteredModel: object(
    {
      name: text,
      creation_timestamp: int64,
      last_updated_timestamp: int64,
      description: text,
      latest_versions: listOf({ $ref: '#/components/schemas/ModelVersion' }),
      tags: listOf(tag),
      aliases: listOf(object({ alias: text, version: text }, ['alias', 'version'])),
    },
    ['name', 'creation_timestamp'],
  ),
} satisfies Record<string, JsonSchema>;

export const ANSWERS = {
  empty: object({}),
  registeredModel: object({ registered_model: ref('RegisteredModel') }, ['registered_model']),
  registeredModels: object({ registered_models: listOf(ref('RegisteredModel')), next_page_token: pageToken }),
  modelVersion: object({ model_version: ref('ModelVersion') }, ['model_version']),
  modelVersions: object({ model_versions: listOf(ref('ModelVersion')), next_page_token: pageToken }),
  downloadUri: object({ artifact_uri: text }, ['artifact_uri']),
  comment: object({ comment: ref('Comment') }, ['comment']),
  activities: {
    ...object({ activities: listOf(ref('Activity')) }),
    description: "A version's comments and stage transitions, oldest first",
  },
  history: {
    ...object({ changes: listOf(change), next_page_token: pageToken }),
    description: 'The changes to a registered model and its versions, oldest first, followed across renames',
  },
  modelState: {
    ...object(
      {
        as_of: int64,
        registered_model: ref('RegisteredModel'),
        model_versions: listOf(ref('ModelVersion')),
      },
      ['as_of', 'registered_model'],
    ),
    description: 'A registered model and its versions (not deleted) as they were at as_of',
  },
  ...AUDIT_ANSWERS,
  lineage: {
    ...lineage,
    description:
      "A version's source, registration, logged model and run (latest metrics), as the registry learned them",
  },
} satisfies Record<string, JsonSchema>;
