import { JsonSchema } from '@logbook/platform';
import { STAGES } from '../shared/limits';
import { REQUEST_STATUSES } from './transition-request.decider';
import { REQUEST_ACTIONS } from './transition-request.views';

const int64: JsonSchema = { type: 'integer', format: 'int64' };
const text: JsonSchema = { type: 'string' };
const stage: JsonSchema = { type: 'string', enum: [...STAGES] };
const ref = (name: keyof typeof TRANSITION_REQUEST_WIRE_SCHEMAS): JsonSchema => ({
  $ref: `#/components/schemas/${name}`,
});

export const TRANSITION_REQUEST_WIRE_SCHEMAS = {
  TransitionRequest: {
    type: 'object',
    description:
      "Databricks' transition request (a REQUESTED_TRANSITION activity), with Logbook's status, policy, approvals, evaluation and expiry",
    properties: {
      id: text,
      activity_type: { type: 'string', enum: ['REQUESTED_TRANSITION'] },
      from_stage: stage,
      to_stage: stage,
      alias: { type: 'string', description: 'Logbook: the protected alias the request points at the version' },
      user_id: { type: 'string', description: 'Who made the request' },
      comment: text,
      creation_timestamp: int64,
      last_updated_timestamp: int64,
      available_actions: { type: 'array', items: { type: 'string', enum: [...REQUEST_ACTIONS] } },
      status: { type: 'string', enum: [...REQUEST_STATUSES] },
      policy: {
        type: 'object',
        properties: { name: text, version: { type: 'integer' } },
        required: ['name', 'version'],
      },
      approvals: {
        type: 'array',
        items: {
          type: 'object',
          properties: { user_id: text, comment: text, timestamp: int64 },
          required: ['user_id', 'timestamp'],
        },
      },
      evaluation: {
        type: 'object',
        description: "The policy's latest verdict: outcome, reasons, requirements met and missing",
      },
      break_glass: {
        type: 'object',
        properties: { user_id: text, reason: text },
        required: ['user_id', 'reason'],
      },
      expires_at: int64,
    },
    required: [
      'id',
      'activity_type',
      'from_stage',
      'user_id',
      'creation_timestamp',
      'last_updated_timestamp',
      'status',
    ],
  },
} satisfies Record<string, JsonSchema>;

export const TRANSITION_REQUEST_ANSWERS = {
  request: { type: 'object', properties: { request: ref('TransitionRequest') }, required: ['request'] },
  requests: { type: 'object', properties: { requests: { type: 'array', items: ref('TransitionRequest') } } },
  decision: {
    type: 'object',
    properties: { activity: { $ref: '#/components/schemas/Activity' }, request: ref('TransitionRequest') },
    required: ['activity', 'request'],
  },
  empty: { type: 'object', properties: {} },
} satisfies Record<string, JsonSchema>;
