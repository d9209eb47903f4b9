import { JsonSchema } from '@logbook/platform';

/**
 * JSON Schemas of what tracking answers, for the OpenAPI document. Empty lists are left out of every
 * answer (protobuf JSON), so no list is required.
 */
export const ref = (name: keyof typeof TRACKING_WIRE_SCHEMAS): JsonSchema => ({
  $ref: `#/components/schemas/${name}`,
});

const int64: JsonSchema = { type: 'integer', format: 'int64' };
const text: JsonSchema = { type: 'string' };
const listOf = (items: JsonSchema): JsonSchema => ({ type: 'array', items });
const object = (properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema => ({
  type: 'object',
  properties,
  ...(required.length > 0 ? { required } : {}),
});
const keyValue = object({ key: text, value: text }, ['key', 'value']);

/** Doubles are JSON numbers, or the protobuf JSON strings for the non-finite ones. */
const double: JsonSchema = {
  oneOf: [{ type: 'number' }, { type: 'string', enum: ['NaN', 'Infinity', '-Infinity'] }],
};
const lifecycleStage: JsonSchema = { type: 'string', enum: ['active', 'deleted'] };
const pageToken: JsonSchema = { type: 'string', description: 'Pass it back to read the next page' };

export const TRACKING_WIRE_SCHEMAS = {
  KeyValue: keyValue,
  Experiment: object(
    {
      experiment_id: text,
      name: text,
      artifact_location: text,
      lifecycle_stage: lifecycleStage,
      creation_time: int64,
      last_update_time: int64,
      tags: listOf({ $ref: '#/components/schemas/KeyValue' }),
    },
    ['experiment_id', 'name', 'artifact_location', 'lifecycle_stage'],
  ),
  Metric: object({ key: text, value: double, timestamp: int64, step: int64, run_id: text }, [
    'key',
    'value',
    'timestamp',
    'step',
  ]),
  RunInfo: object(
    {
      run_id: text,
      run_uuid: { ...text, deprecated: true },
      run_name: text,
      experiment_id: text,
      user_id: text,
      status: { type: 'string', enum: ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] },
      start_time: int64,
      end_time: int64,
      artifact_uri: text,
      lifecycle_stage: lifecycleStage,
    },
    ['run_id', 'experiment_id', 'status', 'artifact_uri', 'lifecycle_stage'],
  ),
  Run: object(
    {
      info: { $ref: '#/components/schemas/RunInfo' },
      data: object({
        metrics: listOf({ $ref: '#/components/schemas/Metric' }),
        params: listOf({ $ref: '#/components/schemas/KeyValue' }),
        tags: listOf({ $ref: '#/components/schemas/KeyValue' }),
      }),
      inputs: object({
        dataset_inputs: listOf(
          object({
            tags: listOf({ $ref: '#/components/schemas/KeyValue' }),
            dataset: object(
              { name: text, digest: text, source_type: text, source: text, schema: text, profile: text },
              ['name', 'digest', 'source_type', 'source'],
            ),
          }),
        ),
        model_inputs: listOf(object({ model_id: text }, ['model_id'])),
      }),
      outputs: object({ model_outputs: listOf(object({ model_id: text, step: int64 }, ['model_id', 'step'])) }),
    },
    ['info'],
  ),
  LoggedModel: object(
    {
      info: object(
        {
          model_id: text,
          experiment_id: text,
          name: text,
          artifact_uri: text,
          status: text,
          status_message: text,
          model_type: text,
          source_run_id: text,
          creation_timestamp_ms: int64,
          last_updated_timestamp_ms: int64,
          tags: listOf({ $ref: '#/components/schemas/KeyValue' }),
        },
        ['model_id', 'experiment_id', 'name'],
      ),
      data: object({
        params: listOf({ $ref: '#/components/schemas/KeyValue' }),
        metrics: listOf({ $ref: '#/components/schemas/Metric' }),
      }),
    },
    ['info'],
  ),
} satisfies Record<string, JsonSchema>;

export const ANSWERS = {
  empty: object({}),
  experimentId: object({ experiment_id: text }, ['experiment_id']),
  experiment: object({ experiment: ref('Experiment') }, ['experiment']),
  experiments: object({ experiments: listOf(ref('Experiment')), next_page_token: pageToken }),
  run: object({ run: ref('Run') }, ['run']),
  runInfo: object({ run_info: ref('RunInfo') }, ['run_info']),
  runs: object({ runs: listOf(ref('Run')), next_page_token: pageToken }),
  metrics: object({ metrics: listOf(ref('Metric')), next_page_token: pageToken }),
  model: object({ model: ref('LoggedModel') }, ['model']),
  models: object({ models: listOf(ref('LoggedModel')), next_page_token: pageToken }),
  datasetSummaries: object({
    dataset_summaries: listOf(object({ experiment_id: text, name: text, digest: text, context: text })),
  }),
} satisfies Record<string, JsonSchema>;
