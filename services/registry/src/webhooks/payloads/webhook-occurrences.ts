import { EventEnvelope } from '@logbook/eventstore';
import { Actor, storedActor } from '@logbook/platform';
import { DATABRICKS_WEBHOOK_EVENTS, databricksName, WebhookFlavor } from '../webhook-catalog';
import { databricksDeliveries } from './databricks-events';
import { logbookDeliveries, ModelEventDelivery } from './logbook-events';
import { mlflowDeliveries } from './mlflow-events';
import { pythonIsoFormat, pythonJson, PythonValue } from './python-json';
import { isWebhookSourceEvent, Provenance } from './registry-event';

/** Whose list names the event: MLflow's entity/action pairs, Databricks' events, or Logbook's further ones. */
export type WebhookCatalogue = 'mlflow' | 'databricks' | 'logbook';

/** One delivery a registry event gives rise to, for the webhooks of one flavour subscribed to its key. */
export interface WebhookOccurrence {
  flavor: WebhookFlavor;
  /** The event as a webhook of this flavour names it in its `events`. */
  eventKey: string;
  /**
   * MLflow's `model_version_alias.deleted` and Logbook's share a key in the MLflow flavour; this tells
   * which list a subscription named it in.
   */
  catalogue: WebhookCatalogue;
  /**
   * Unique among one event's occurrences of one flavour (a deleted version removes several aliases, each
   * its own `model_version_alias.deleted`): what a delivery ledger keys the delivery by with the webhook
   * and event ids.
   */
  occurrenceKey: string;
  /** The registered model's name when it happened; null for a test delivery of an event without one. */
  modelName: string | null;
  /** The exact JSON text sent to the webhook. */
  body(webhookId: string): string;
}

/** The actor as the envelope records it, its keys in one order whatever order it was stored in. */
const actorFields = ({ id, kind, name, authMethod }: Actor) => ({ id, kind, name, authMethod });

/**
 * MLflow's envelope, key order and Python `json.dumps` text as MLflow's delivery makes them, with
 * Logbook's provenance after `data` (receivers written for MLflow read `data` and ignore the rest).
 */
export function mlflowBody(
  eventKey: string,
  data: PythonValue,
  timestampMs: number,
  provenance: Provenance | null,
): string {
  const [entity, action] = eventKey.split('.');
  const envelope: Record<string, PythonValue> = { entity, action, timestamp: pythonIsoFormat(timestampMs), data };
  if (provenance) {
    envelope.logbook = {
      event_id: provenance.eventId,
      event_type: provenance.eventType,
      actor: actorFields(provenance.actor),
      correlation_id: provenance.correlationId,
    };
  }
  return pythonJson(envelope);
}

/** Databricks' flat payload; Logbook's event id and actor at the end. */
function databricksBody(
  webhookId: string,
  delivery: ModelEventDelivery,
  timestampMs: number,
  provenance: Provenance | null,
): string {
  return JSON.stringify({
    event: delivery.eventKey,
    webhook_id: webhookId,
    event_timestamp: timestampMs,
    model_name: delivery.modelName,
    ...(delivery.version === null ? {} : { version: delivery.version }),
    ...delivery.fields,
    text: delivery.text,
    ...(provenance ? { logbook_event_id: provenance.eventId, actor: actorFields(provenance.actor) } : {}),
  });
}

/** Logbook's own event in the MLflow flavour: `data` is the model's name, the version, then its fields. */
function logbookMlflowData(delivery: ModelEventDelivery): PythonValue {
  return {
    name: delivery.modelName,
    ...(delivery.version === null ? {} : { version: delivery.version }),
    ...delivery.fields,
  };
}

type Rendered = Omit<WebhookOccurrence, 'flavor' | 'occurrenceKey'>;

const DATABRICKS_OWN_EVENTS: ReadonlySet<string> = new Set(DATABRICKS_WEBHOOK_EVENTS);

function occurrencesOf(flavor: WebhookFlavor, rendered: Rendered[]): WebhookOccurrence[] {
  const keys = rendered.map(({ catalogue, eventKey }) => `${flavor}:${catalogue}:${eventKey}`);
  return rendered.map((one, index) => {
    const earlier = keys.slice(0, index).filter((key) => key === keys[index]).length;
    return { flavor, occurrenceKey: earlier === 0 ? keys[index] : `${keys[index]}#${earlier + 1}`, ...one };
  });
}

function occurrencesFor(
  event: Pick<EventEnvelope, 'type' | 'data' | 'actor'>,
  facts: { isPrompt: boolean },
  timestampMs: number,
  provenance: Provenance | null,
): WebhookOccurrence[] {
  if (!isWebhookSourceEvent(event)) return [];
  const logbook = logbookDeliveries(event);
  const mlflowFlavor: Rendered[] = [
    ...mlflowDeliveries(event, facts.isPrompt).map(({ eventKey, modelName, data }) => {
      const text = mlflowBody(eventKey, data, timestampMs, provenance);
      return { eventKey, catalogue: 'mlflow' as const, modelName, body: () => text };
    }),
    ...logbook.map((delivery) => {
      const text = mlflowBody(delivery.eventKey, logbookMlflowData(delivery), timestampMs, provenance);
      return {
        eventKey: delivery.eventKey,
        catalogue: 'logbook' as const,
        modelName: delivery.modelName,
        body: () => text,
      };
    }),
  ];
  const inDatabricksSpelling = logbook.map((delivery) => ({
    ...delivery,
    eventKey: databricksName(delivery.eventKey),
  }));
  const databricksFlavor: Rendered[] = [
    ...databricksDeliveries(event, storedActor(event.actor)),
    ...inDatabricksSpelling,
  ].map((delivery) => ({
    eventKey: delivery.eventKey,
    catalogue: DATABRICKS_OWN_EVENTS.has(delivery.eventKey) ? 'databricks' : 'logbook',
    modelName: delivery.modelName,
    body: (webhookId: string) => databricksBody(webhookId, delivery, timestampMs, provenance),
  }));
  return [...occurrencesOf('mlflow', mlflowFlavor), ...occurrencesOf('databricks', databricksFlavor)];
}

/**
 * Every delivery a registry contract event (as `registryToContract` publishes it) gives rise to, in every
 * flavour; none for events no webhook hears of. `isPrompt`: the event's registered model is a prompt.
 */
export function webhookOccurrences(event: EventEnvelope, facts: { isPrompt: boolean }): WebhookOccurrence[] {
  const occurredAtMs = Date.parse(event.occurredAt);
  const provenance: Provenance = {
    eventId: event.eventId,
    eventType: event.type,
    actor: storedActor(event.actor),
    correlationId: event.correlationId,
  };
  return occurrencesFor(event, facts, occurredAtMs, provenance);
}

/** The occurrences of an example event, for the test endpoint: sent at `now`, without provenance. */
export function exampleOccurrencesOf(
  event: Pick<EventEnvelope, 'type' | 'data' | 'actor'>,
  facts: { isPrompt: boolean },
  now: number,
): WebhookOccurrence[] {
  return occurrencesFor(event, facts, now, null);
}
