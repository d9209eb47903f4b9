import { JsonSchema } from '@logbook/platform';
import { DELIVERY_STATUSES } from './ledger.dto';

const ref = (name: keyof typeof LEDGER_WIRE_SCHEMAS): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const ms = (description: string): JsonSchema => ({ type: 'integer', format: 'int64', description });

const attempt: JsonSchema = {
  type: 'object',
  required: ['attempt', 'trigger', 'started_timestamp', 'latency_ms', 'outcome'],
  properties: {
    attempt: { type: 'integer', minimum: 1 },
    trigger: {
      type: 'string',
      enum: ['automatic', 'redelivery', 'probe'],
      description: 'probe: a paused webhook tried again',
    },
    started_timestamp: ms('When it was sent, milliseconds since the epoch'),
    latency_ms: { type: 'integer', minimum: 0 },
    outcome: { type: 'string', enum: ['delivered', 'retryable', 'failed'] },
    status_code: { type: 'integer', description: "The receiver's HTTP status; absent when none answered" },
    error: { type: 'string' },
    response_excerpt: { type: 'string', description: 'The start of what the receiver answered' },
  },
};

const delivery: JsonSchema = {
  type: 'object',
  required: [
    'delivery_id',
    'webhook_id',
    'event_id',
    'event_key',
    'status',
    'attempts',
    'occurred_timestamp',
    'created_timestamp',
  ],
  properties: {
    delivery_id: {
      type: 'string',
      format: 'uuid',
      description: 'Sent as X-MLflow-Delivery-Id, the same on every attempt',
    },
    webhook_id: { type: 'string' },
    event_id: { type: 'string', format: 'uuid', description: 'The registry event it delivers' },
    event_key: { type: 'string', description: 'The webhook event, in the webhook’s spelling' },
    status: { type: 'string', enum: [...DELIVERY_STATUSES] },
    attempts: { type: 'integer', minimum: 0 },
    occurred_timestamp: ms('When the event happened'),
    created_timestamp: ms('When the delivery was queued'),
    next_attempt_timestamp: ms('When it is tried next (PENDING only)'),
    last_attempt_timestamp: ms('When it was last tried'),
    completed_timestamp: ms('When it was delivered, dead-lettered or cancelled'),
    last_status_code: { type: 'integer' },
    last_error: { type: 'string' },
    last_latency_ms: { type: 'integer', minimum: 0 },
    last_response_excerpt: { type: 'string' },
  },
};

/** The delivery ledger as the API answers it. */
export const LEDGER_WIRE_SCHEMAS = {
  WebhookDeliveryAttempt: attempt,
  WebhookDelivery: delivery,
  WebhookDeliveryDetail: {
    allOf: [
      { $ref: '#/components/schemas/WebhookDelivery' },
      {
        type: 'object',
        required: ['body'],
        properties: {
          body: { type: 'string', description: 'The exact body sent (and signed)' },
          history: { type: 'array', items: { $ref: '#/components/schemas/WebhookDeliveryAttempt' } },
        },
      },
    ],
  },
  WebhookDeliveryState: {
    type: 'object',
    required: ['webhook_id', 'flavor', 'status', 'deliveries'],
    properties: {
      webhook_id: { type: 'string' },
      flavor: { type: 'string', enum: ['mlflow', 'databricks'] },
      status: { type: 'string', enum: ['ACTIVE', 'DISABLED', 'TEST_MODE'] },
      paused: {
        type: 'object',
        required: ['reason', 'since'],
        description: 'Present while deliveries are held after failing in a row',
        properties: { reason: { type: 'string' }, since: ms('When it was paused') },
      },
      deliveries: {
        type: 'object',
        required: ['pending', 'delivered', 'dead', 'cancelled'],
        properties: Object.fromEntries(
          ['pending', 'delivered', 'dead', 'cancelled'].map((key) => [key, { type: 'integer', minimum: 0 }]),
        ),
      },
      last_success: {
        allOf: [
          { $ref: '#/components/schemas/WebhookDeliveryAttempt' },
          { type: 'object', properties: { delivery_id: { type: 'string', format: 'uuid' } } },
        ],
      },
      last_failure: {
        allOf: [
          { $ref: '#/components/schemas/WebhookDeliveryAttempt' },
          { type: 'object', properties: { delivery_id: { type: 'string', format: 'uuid' } } },
        ],
      },
    },
  },
} satisfies Record<string, JsonSchema>;

export const LEDGER_ANSWERS = {
  state: { type: 'object', required: ['webhook'], properties: { webhook: ref('WebhookDeliveryState') } },
  deliveries: {
    type: 'object',
    properties: {
      deliveries: { type: 'array', items: ref('WebhookDelivery') },
      next_page_token: { type: 'string' },
    },
  },
  delivery: { type: 'object', required: ['delivery'], properties: { delivery: ref('WebhookDeliveryDetail') } },
  requeued: { type: 'object', required: ['delivery'], properties: { delivery: ref('WebhookDelivery') } },
  requeuedRange: {
    type: 'object',
    required: ['redelivered'],
    properties: { redelivered: { type: 'integer', minimum: 0, description: 'How many deliveries were queued again' } },
  },
} satisfies Record<string, JsonSchema>;
