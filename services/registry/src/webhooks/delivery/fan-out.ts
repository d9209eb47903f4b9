import { randomUUID } from 'node:crypto';
import { EventEnvelope } from '@logbook/eventstore';
import { ConsumerDefinition } from '@logbook/messaging';
import { Queryable } from '@logbook/platform';
import { REGISTRY_SCHEMA } from '../../../migrations/001_initial';
import { WebhookFlavor } from '../webhook-catalog';
import { webhookOccurrences, WebhookOccurrence } from '../payloads/webhook-occurrences';

/** The registry's name for the subscription that turns committed events into webhook deliveries. */
export const WEBHOOK_FAN_OUT = 'webhook-fan-out';

const PROMPT_TAG = 'mlflow.prompt.is_prompt';

interface Subscriber {
  webhook_id: string;
  flavor: WebhookFlavor;
  events: string[];
  model_name: string | null;
}

interface TagData {
  registeredModelId: string;
  key: string;
  value?: string;
  tags?: { key: string; value: string }[];
}

/**
 * Who subscribes to what, as of the position in the log being fanned out: a webhook created after an
 * event does not receive it, and one disabled or deleted before it does not either, however late the
 * fan-out runs. Paused webhooks keep receiving: their deliveries wait until they resume.
 */
async function followWebhook(tx: Queryable, event: EventEnvelope): Promise<boolean> {
  switch (event.type) {
    case 'WebhookCreated': {
      const data = event.data as {
        webhookId: string;
        flavor: WebhookFlavor;
        events: string[];
        modelName: string | null;
        status: string;
      };
      await tx.query(
        `INSERT INTO ${REGISTRY_SCHEMA}.webhook_subscribers (webhook_id, flavor, events, model_name, receiving)
         VALUES ($1, $2, $3::jsonb, $4, $5) ON CONFLICT (webhook_id) DO NOTHING`,
        [data.webhookId, data.flavor, JSON.stringify(data.events), data.modelName, data.status === 'ACTIVE'],
      );
      return true;
    }
    case 'WebhookUpdated': {
      const changes = event.data as { webhookId: string; events?: string[]; status?: string };
      await tx.query(
        `UPDATE ${REGISTRY_SCHEMA}.webhook_subscribers
         SET events = coalesce($2::jsonb, events), receiving = coalesce($3, receiving)
         WHERE webhook_id = $1`,
        [
          changes.webhookId,
          changes.events === undefined ? null : JSON.stringify(changes.events),
          changes.status === undefined ? null : changes.status === 'ACTIVE',
        ],
      );
      return true;
    }
    case 'WebhookDeleted': {
      const { webhookId } = event.data as { webhookId: string };
      await tx.query(`DELETE FROM ${REGISTRY_SCHEMA}.webhook_subscribers WHERE webhook_id = $1`, [webhookId]);
      await tx.query(
        `UPDATE ${REGISTRY_SCHEMA}.webhook_deliveries SET status = 'CANCELLED', completed_at = $2
         WHERE webhook_id = $1 AND status = 'PENDING'`,
        [webhookId, Date.parse(event.occurredAt)],
      );
      return true;
    }
    case 'WebhookPaused':
    case 'WebhookResumed':
      return true;
    default:
      return false;
  }
}

/** Which models are prompts, as of the position in the log: MLflow fires prompt events for those. */
async function followPrompts(tx: Queryable, event: EventEnvelope): Promise<void> {
  const data = event.data as TagData;
  const mark = (isPrompt: boolean) =>
    tx.query(
      isPrompt
        ? `INSERT INTO ${REGISTRY_SCHEMA}.webhook_prompt_models (registered_model_id) VALUES ($1) ON CONFLICT DO NOTHING`
        : `DELETE FROM ${REGISTRY_SCHEMA}.webhook_prompt_models WHERE registered_model_id = $1`,
      [data.registeredModelId],
    );
  if (event.type === 'RegisteredModelCreated') {
    if (data.tags?.some((tag) => tag.key === PROMPT_TAG && tag.value.toLowerCase() === 'true')) await mark(true);
  } else if (event.type === 'RegisteredModelTagSet' && data.key === PROMPT_TAG) {
    await mark(data.value?.toLowerCase() === 'true');
  } else if (event.type === 'RegisteredModelTagDeleted' && data.key === PROMPT_TAG) {
    await mark(false);
  }
}

async function isPrompt(tx: Queryable, event: EventEnvelope): Promise<boolean> {
  const { registeredModelId } = event.data as { registeredModelId?: string };
  if (!registeredModelId) return false;
  const { rows } = await tx.query(
    `SELECT 1 FROM ${REGISTRY_SCHEMA}.webhook_prompt_models WHERE registered_model_id = $1`,
    [registeredModelId],
  );
  return rows.length > 0;
}

function matches(occurrence: WebhookOccurrence, subscriber: Subscriber): boolean {
  return (
    occurrence.flavor === subscriber.flavor &&
    subscriber.events.includes(occurrence.eventKey) &&
    (subscriber.model_name === null || subscriber.model_name === occurrence.modelName)
  );
}

/**
 * Records, in the transaction that checkpoints `event`, one pending delivery per webhook subscribed to
 * what it gives rise to. A replayed event adds nothing (unique per webhook, event and key), so each
 * committed event is delivered at least once and queued exactly once.
 */
async function fanOut(tx: Queryable, event: EventEnvelope): Promise<void> {
  if (await followWebhook(tx, event)) return;
  await followPrompts(tx, event);
  const occurrences = webhookOccurrences(event, { isPrompt: await isPrompt(tx, event) });
  if (occurrences.length === 0) return;
  const { rows: subscribers } = await tx.query<Subscriber>(
    `SELECT webhook_id, flavor, events, model_name FROM ${REGISTRY_SCHEMA}.webhook_subscribers
     WHERE receiving AND flavor = ANY($1::text[])`,
    [[...new Set(occurrences.map((occurrence) => occurrence.flavor))]],
  );
  const deliveries = occurrences.flatMap((occurrence) =>
    subscribers
      .filter((subscriber) => matches(occurrence, subscriber))
      .map((subscriber) => ({
        webhookId: subscriber.webhook_id,
        eventKey: occurrence.eventKey,
        occurrenceKey: occurrence.occurrenceKey,
        body: occurrence.body(subscriber.webhook_id),
      })),
  );
  if (deliveries.length === 0) return;
  const occurredAt = Date.parse(event.occurredAt);
  await tx.query(
    `INSERT INTO ${REGISTRY_SCHEMA}.webhook_deliveries
       (delivery_id, webhook_id, event_id, event_key, occurrence_key, body, status, next_attempt_at, occurred_at,
        created_at)
     SELECT delivery_id, webhook_id, $4::uuid, event_key, occurrence_key, body, 'PENDING', $5, $5, $6
     FROM unnest($1::uuid[], $2::text[], $3::text[], $7::text[], $8::text[])
       AS d(delivery_id, webhook_id, event_key, body, occurrence_key)
     ON CONFLICT (webhook_id, event_id, occurrence_key) DO NOTHING`,
    [
      deliveries.map(() => randomUUID()),
      deliveries.map((delivery) => delivery.webhookId),
      deliveries.map((delivery) => delivery.eventKey),
      event.eventId,
      occurredAt,
      Date.now(),
      deliveries.map((delivery) => delivery.body),
      deliveries.map((delivery) => delivery.occurrenceKey),
    ],
  );
}

/**
 * The subscription over the registry's own log (its public contracts, in commit order) that queues
 * webhook deliveries. `queued` is told after each transaction that queued some: the delivery worker
 * starts on them at once instead of at its next poll.
 */
export function webhookFanOut(queued: () => void): ConsumerDefinition {
  return {
    name: WEBHOOK_FAN_OUT,
    schema: REGISTRY_SCHEMA,
    async handle(tx, event) {
      await fanOut(tx, event);
    },
    onHandled: queued,
  };
}
