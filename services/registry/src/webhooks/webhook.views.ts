import { LOGBOOK_WEBHOOK_EVENTS, MLFLOW_WEBHOOK_EVENTS } from './webhook-catalog';
import { WebhookRow } from './webhooks.queries';

/** Beyond either API: why the delivery worker paused the webhook, and since when (left out while it runs). */
const pausedOf = (row: WebhookRow) =>
  row.paused_reason === null ? {} : { paused: { reason: row.paused_reason, since: Number(row.paused_at) } };

/** MLflow's event pair as its proto JSON spells it (`model_version.created` → MODEL_VERSION / CREATED). */
export const mlflowEventPair = (key: string) => {
  const [entity, action] = key.split('.');
  return { entity: entity.toUpperCase(), action: action.toUpperCase() };
};

/**
 * An MLflow webhook as MLflow's proto JSON answers it (empty fields left out, never the secret), with
 * Logbook's further events in `logbook_events`, which MLflow's client ignores.
 */
export function mlflowWebhookView(row: WebhookRow) {
  const logbookEvents = row.events.filter(
    (key) => !MLFLOW_WEBHOOK_EVENTS.includes(key) && (LOGBOOK_WEBHOOK_EVENTS as readonly string[]).includes(key),
  );
  return {
    webhook_id: row.webhook_id,
    name: row.name,
    ...(row.description ? { description: row.description } : {}),
    url: row.url,
    events: row.events.filter((key) => MLFLOW_WEBHOOK_EVENTS.includes(key)).map(mlflowEventPair),
    status: row.status,
    creation_timestamp: Number(row.creation_timestamp),
    last_updated_timestamp: Number(row.last_updated_timestamp),
    ...(logbookEvents.length > 0 ? { logbook_events: logbookEvents } : {}),
    ...pausedOf(row),
  };
}

/** A Databricks registry webhook (RegistryWebhook): the URL without its secret or Authorization header. */
export function databricksWebhookView(row: WebhookRow) {
  return {
    id: row.webhook_id,
    creation_timestamp: Number(row.creation_timestamp),
    last_updated_timestamp: Number(row.last_updated_timestamp),
    ...(row.description ? { description: row.description } : {}),
    events: row.events,
    http_url_spec: { url: row.url, enable_ssl_verification: row.enable_ssl_verification },
    ...(row.model_name === null ? {} : { model_name: row.model_name }),
    status: row.status,
    ...pausedOf(row),
  };
}
