import { invalidParameter } from '@logbook/platform';
import {
  DATABRICKS_FLAVOR_EVENTS,
  LOGBOOK_WEBHOOK_EVENTS,
  MLFLOW_VALID_ACTIONS,
  MlflowWebhookEntity,
} from './webhook-catalog';
import { pythonRepr } from './delivery/url-policy';

const WEBHOOK_NAME = /^(?=.{1,63}$)[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/i;

/** MLflow's _validate_webhook_name. */
export function checkWebhookName(name: string): void {
  if (!WEBHOOK_NAME.test(name)) {
    throw invalidParameter(
      `Webhook name ${pythonRepr(name)} is invalid. It must start and end with a letter or digit, ` +
        'be less than 63 characters long, and contain only letters, digits, dots (.), ' +
        'underscores (_), and hyphens (-).',
    );
  }
}

/**
 * An MLflow event pair (its proto enum names, as the wire carries them) as the key it is stored by,
 * refused as MLflow's WebhookEvent refuses a pair its entity does not take.
 */
export function mlflowEventKey(pair: { entity: string; action: string }): string {
  const entity = pair.entity.toLowerCase() as MlflowWebhookEntity;
  const action = pair.action.toLowerCase();
  const valid = MLFLOW_VALID_ACTIONS[entity];
  if (!valid.some((known) => known === action)) {
    const listed = [...valid]
      .sort()
      .map((known) => `'${known}'`)
      .join(', ');
    throw invalidParameter(`Invalid action '${action}' for entity '${entity}'. Valid actions are: [${listed}]`);
  }
  return `${entity}.${action}`;
}

/** MLflow's _validate_webhook_events, which only an empty list reaches once each pair was read. */
export function checkMlflowEvents(keys: readonly string[]): void {
  if (keys.length === 0) throw invalidParameter('Webhook events must be a non-empty list of WebhookEvent objects: [].');
}

/** Logbook's further events an MLflow webhook names in `logbook_events`. */
export function checkLogbookEvents(keys: readonly string[]): void {
  const unknown = keys.filter((key) => !(LOGBOOK_WEBHOOK_EVENTS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw invalidParameter(
      `Invalid logbook_events ${unknown.map(pythonRepr).join(', ')}: expected any of ${LOGBOOK_WEBHOOK_EVENTS.join(', ')}.`,
    );
  }
}

/** A Databricks webhook's events: at least one, each Databricks' or Logbook's (upper case). */
export function checkDatabricksEvents(events: readonly string[]): void {
  if (events.length === 0) throw invalidParameter('A webhook needs at least one event.');
  const unknown = events.filter((event) => !DATABRICKS_FLAVOR_EVENTS.includes(event));
  if (unknown.length > 0) {
    throw invalidParameter(
      `Invalid value for parameter 'events': ${unknown.join(', ')}. Expected any of ${DATABRICKS_FLAVOR_EVENTS.join(', ')}.`,
    );
  }
}

/** Both keys once each, in the order given: an MLflow webhook stores its events and logbook_events as one list. */
export const unique = (keys: readonly string[]): string[] => [...new Set(keys)];
