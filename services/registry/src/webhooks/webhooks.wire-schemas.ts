import { JsonSchema } from '@logbook/platform';
import {
  DATABRICKS_FLAVOR_EVENTS,
  LOGBOOK_WEBHOOK_EVENTS,
  MLFLOW_WEBHOOK_ACTIONS,
  MLFLOW_WEBHOOK_ENTITIES,
} from './webhook-catalog';
import { DATABRICKS_WEBHOOK_STATUSES, MLFLOW_WEBHOOK_STATUSES } from './webhooks.dto';

const ref = (name: keyof typeof WEBHOOK_WIRE_SCHEMAS): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const int64 = (description: string): JsonSchema => ({ type: 'integer', format: 'int64', description });
const upper = (values: readonly string[]) => values.map((value) => value.toUpperCase());

const paused: JsonSchema = {
  type: 'object',
  description:
    'Beyond MLflow and Databricks: the delivery worker paused the webhook (it kept failing); left out while it runs',
  properties: {
    reason: { type: 'string' },
    since: int64('When it was paused, milliseconds since the Unix epoch'),
  },
  required: ['reason', 'since'],
};

/** The webhooks as both APIs answer them: never a secret, nor an Authorization header. */
export const WEBHOOK_WIRE_SCHEMAS = {
  WebhookEvent: {
    type: 'object',
    properties: {
      entity: { type: 'string', enum: upper(MLFLOW_WEBHOOK_ENTITIES) },
      action: { type: 'string', enum: upper(MLFLOW_WEBHOOK_ACTIONS) },
    },
    required: ['entity', 'action'],
  },
  Webhook: {
    type: 'object',
    description: "An MLflow webhook, as MLflow's proto JSON answers it (empty fields left out)",
    properties: {
      webhook_id: { type: 'string' },
      name: { type: 'string' },
      description: { type: 'string' },
      url: { type: 'string' },
      events: { type: 'array', items: { $ref: '#/components/schemas/WebhookEvent' } },
      status: { type: 'string', enum: [...MLFLOW_WEBHOOK_STATUSES] },
      creation_timestamp: int64('Milliseconds since the Unix epoch'),
      last_updated_timestamp: int64('Milliseconds since the Unix epoch'),
      logbook_events: {
        type: 'array',
        items: { type: 'string', enum: [...LOGBOOK_WEBHOOK_EVENTS] },
        description: "Logbook's further events (MLflow's client ignores them)",
      },
      paused,
    },
    required: ['webhook_id', 'name', 'url', 'events', 'status', 'creation_timestamp', 'last_updated_timestamp'],
  },
  RegistryWebhook: {
    type: 'object',
    description: "A Databricks registry webhook (databricks-sdk's RegistryWebhook)",
    properties: {
      id: { type: 'string' },
      creation_timestamp: int64('Milliseconds since the Unix epoch'),
      last_updated_timestamp: int64('Milliseconds since the Unix epoch'),
      description: { type: 'string' },
      events: { type: 'array', items: { type: 'string', enum: [...DATABRICKS_FLAVOR_EVENTS] } },
      http_url_spec: {
        type: 'object',
        properties: { url: { type: 'string' }, enable_ssl_verification: { type: 'boolean' } },
        required: ['url', 'enable_ssl_verification'],
      },
      model_name: { type: 'string', description: 'Left out for a registry-wide webhook' },
      status: { type: 'string', enum: [...DATABRICKS_WEBHOOK_STATUSES] },
      paused,
    },
    required: ['id', 'creation_timestamp', 'last_updated_timestamp', 'events', 'http_url_spec', 'status'],
  },
} satisfies Record<string, JsonSchema>;

const receiverAnswer: JsonSchema = {
  type: 'object',
  properties: {
    status_code: { type: 'integer', description: "The receiver's HTTP status" },
    body: { type: 'string', description: "The receiver's answer (its first 64 KiB)" },
  },
  required: ['status_code', 'body'],
};

export const WEBHOOK_ANSWERS = {
  webhook: { type: 'object', properties: { webhook: ref('Webhook') }, required: ['webhook'] },
  webhooks: {
    type: 'object',
    properties: {
      webhooks: { type: 'array', items: ref('Webhook') },
      next_page_token: { type: 'string', description: 'Pass it back to read the next page' },
    },
  },
  testResult: {
    type: 'object',
    properties: {
      result: {
        type: 'object',
        properties: {
          success: { type: 'boolean', description: 'The receiver answered below 400' },
          response_status: { type: 'integer' },
          response_body: { type: 'string' },
          error_message: { type: 'string', description: 'Why nothing was answered (connection, timeout, refusal)' },
        },
        required: ['success'],
      },
    },
    required: ['result'],
  },
  registryWebhook: { type: 'object', properties: { webhook: ref('RegistryWebhook') }, required: ['webhook'] },
  registryWebhooks: {
    type: 'object',
    properties: {
      webhooks: { type: 'array', items: ref('RegistryWebhook') },
      next_page_token: { type: 'string', description: 'Pass it back to read the next page' },
    },
  },
  registryTestResult: {
    type: 'object',
    description:
      "Under `webhook` as Databricks' REST API answers; the same fields at the top level, where its SDK reads them",
    properties: { webhook: receiverAnswer, ...(receiverAnswer.properties as Record<string, JsonSchema>) },
    required: ['webhook', 'status_code', 'body'],
  },
  empty: { type: 'object', properties: {} },
} satisfies Record<string, JsonSchema>;
