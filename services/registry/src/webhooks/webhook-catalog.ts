/**
 * The events a webhook can subscribe to, by flavour. An MLflow webhook (`/mlflow/webhooks`) names
 * MLflow's entity/action pairs in `events` and Logbook's further events in `logbook_events`; a
 * Databricks registry webhook (`/mlflow/registry-webhooks`) names Databricks' events and Logbook's
 * further ones (upper case) in `events`. A webhook stores the keys below, in its flavour's spelling.
 */
export type WebhookFlavor = 'mlflow' | 'databricks';

export const MLFLOW_WEBHOOK_ENTITIES = [
  'registered_model',
  'model_version',
  'model_version_tag',
  'model_version_alias',
  'prompt',
  'prompt_version',
  'prompt_tag',
  'prompt_version_tag',
  'prompt_alias',
  'budget_policy',
] as const;
export type MlflowWebhookEntity = (typeof MLFLOW_WEBHOOK_ENTITIES)[number];

export const MLFLOW_WEBHOOK_ACTIONS = ['created', 'updated', 'deleted', 'set', 'exceeded'] as const;
export type MlflowWebhookAction = (typeof MLFLOW_WEBHOOK_ACTIONS)[number];

/** MLflow's valid entity/action pairs (mlflow/entities/webhook.py VALID_ENTITY_ACTIONS, 3.17). */
export const MLFLOW_VALID_ACTIONS: Readonly<Record<MlflowWebhookEntity, readonly MlflowWebhookAction[]>> = {
  registered_model: ['created'],
  model_version: ['created'],
  model_version_tag: ['set', 'deleted'],
  model_version_alias: ['created', 'deleted'],
  prompt: ['created'],
  prompt_version: ['created'],
  prompt_tag: ['set', 'deleted'],
  prompt_version_tag: ['set', 'deleted'],
  prompt_alias: ['created', 'deleted'],
  budget_policy: ['exceeded'],
};

/** MLflow's event strings, `<entity>.<action>`: the keys an MLflow webhook's `events` are stored as. */
export const MLFLOW_WEBHOOK_EVENTS: readonly string[] = Object.entries(MLFLOW_VALID_ACTIONS).flatMap(
  ([entity, actions]) => actions.map((action) => `${entity}.${action}`),
);

/**
 * Events beyond MLflow's and Databricks', in MLflow's spelling; a Databricks webhook names them in
 * upper snake case (`transition_request.approved` → `TRANSITION_REQUEST_APPROVED`). Each payload
 * carries the actor and the event id.
 */
export const LOGBOOK_WEBHOOK_EVENTS = [
  'registered_model.renamed',
  'registered_model.deleted',
  'model_version.ready',
  'model_version.registration_failed',
  'model_version.stage_transitioned',
  'model_version.deleted',
  'model_version_alias.set',
  'model_version_alias.removed',
  'transition_request.created',
  'transition_request.approved',
  'transition_request.rejected',
  'transition_request.cancelled',
  'transition_request.expired',
  'transition_request.voided',
  'transition_request.applied',
  'comment.created',
] as const;
export type LogbookWebhookEvent = (typeof LOGBOOK_WEBHOOK_EVENTS)[number];

/** Databricks' registry webhook events (Workspace Model Registry). */
export const DATABRICKS_WEBHOOK_EVENTS = [
  'MODEL_VERSION_CREATED',
  'MODEL_VERSION_TRANSITIONED_STAGE',
  'TRANSITION_REQUEST_CREATED',
  'COMMENT_CREATED',
  'REGISTERED_MODEL_CREATED',
  'MODEL_VERSION_TAG_SET',
  'MODEL_VERSION_TRANSITIONED_TO_STAGING',
  'MODEL_VERSION_TRANSITIONED_TO_PRODUCTION',
  'MODEL_VERSION_TRANSITIONED_TO_ARCHIVED',
  'TRANSITION_REQUEST_TO_STAGING_CREATED',
  'TRANSITION_REQUEST_TO_PRODUCTION_CREATED',
  'TRANSITION_REQUEST_TO_ARCHIVED_CREATED',
] as const;

/** Databricks only lets a registry-wide webhook (no `model_name`) subscribe to these. */
export const DATABRICKS_REGISTRY_WIDE_ONLY_EVENTS: readonly string[] = ['REGISTERED_MODEL_CREATED'];

/** How a Databricks webhook names a Logbook event. */
export function databricksName(logbookEvent: LogbookWebhookEvent): string {
  return logbookEvent.replace('.', '_').toUpperCase();
}

/** Every event a Databricks webhook may name: Databricks' and Logbook's, upper case. */
export const DATABRICKS_FLAVOR_EVENTS: readonly string[] = [
  ...DATABRICKS_WEBHOOK_EVENTS,
  ...LOGBOOK_WEBHOOK_EVENTS.map(databricksName).filter((name) => !DATABRICKS_WEBHOOK_EVENTS.includes(name as never)),
];
