import { EventEnvelope, InlineProjection } from '@logbook/eventstore';
import { Queryable } from '@logbook/platform';
import { REGISTRY_SCHEMA } from '../../migrations/001_initial';
import { SecretChange, WebhookChanges, WebhookEvent } from './webhook.events';

/** The secrets a webhook signs with, current first; the others still sign until `until`. */
export interface StoredSecret {
  ciphertext: string;
  until: number | null;
}

/** A replaced secret keeps signing until the overlap ends; one past its end is dropped on any change. */
export function nextSecrets(current: StoredSecret[], change: SecretChange | null, time: number): StoredSecret[] {
  const live = current.filter((secret) => secret.until === null || secret.until > time);
  if (!change) return live;
  const kept =
    change.previousUntil === null
      ? []
      : live.map((secret) => (secret.until === null ? { ...secret, until: change.previousUntil } : secret));
  return change.ciphertext === null ? kept : [{ ciphertext: change.ciphertext, until: null }, ...kept];
}

const COLUMNS: Record<keyof WebhookChanges, string> = {
  name: 'name',
  description: 'description',
  url: 'url',
  events: 'events',
  status: 'status',
  enableSslVerification: 'enable_ssl_verification',
  authorizationCiphertext: 'authorization_header',
};

async function secretsOf(tx: Queryable, webhookId: string): Promise<StoredSecret[]> {
  const { rows } = await tx.query<{ secrets: StoredSecret[] }>(
    `SELECT secrets FROM registry.webhooks WHERE webhook_id = $1`,
    [webhookId],
  );
  return rows[0]?.secrets ?? [];
}

async function applyUpdate(
  tx: Queryable,
  data: { webhookId: string; changes: WebhookChanges; secret: SecretChange | null; time: number },
): Promise<void> {
  const { webhookId, changes, secret, time } = data;
  const secrets = nextSecrets(await secretsOf(tx, webhookId), secret, time);
  const changed = Object.entries(changes).filter(([, value]) => value !== undefined);
  const values = changed.map(([field, value]) => (field === 'events' ? JSON.stringify(value) : value));
  const assignments = changed.map(([field], i) => `${COLUMNS[field as keyof WebhookChanges]} = $${i + 4}`);
  await tx.query(
    `UPDATE registry.webhooks SET ${[...assignments, 'secrets = $2::jsonb', 'last_updated_timestamp = $3'].join(', ')}
     WHERE webhook_id = $1`,
    [webhookId, JSON.stringify(secrets), time, ...values],
  );
}

async function applyWebhookEvent(tx: Queryable, event: WebhookEvent, creatorId: string): Promise<void> {
  switch (event.type) {
    case 'WebhookCreated': {
      const d = event.data;
      const secrets: StoredSecret[] = d.secretCiphertext ? [{ ciphertext: d.secretCiphertext, until: null }] : [];
      await tx.query(
        `INSERT INTO registry.webhooks
           (webhook_id, flavor, name, description, url, events, model_name, status, secrets, authorization_header,
            enable_ssl_verification, creator_id, creation_timestamp, last_updated_timestamp)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9::jsonb, $10, $11, $12, $13, $13)`,
        [
          d.webhookId,
          d.flavor,
          d.name,
          d.description,
          d.url,
          JSON.stringify(d.events),
          d.modelName,
          d.status,
          JSON.stringify(secrets),
          d.authorizationCiphertext,
          d.enableSslVerification,
          creatorId,
          d.time,
        ],
      );
      return;
    }
    case 'WebhookUpdated':
      await applyUpdate(tx, event.data);
      return;
    case 'WebhookDeleted':
      await tx.query(`DELETE FROM registry.webhooks WHERE webhook_id = $1`, [event.data.webhookId]);
      return;
    case 'WebhookPaused':
      await tx.query(`UPDATE registry.webhooks SET paused_reason = $2, paused_at = $3 WHERE webhook_id = $1`, [
        event.data.webhookId,
        event.data.reason,
        event.data.time,
      ]);
      return;
    case 'WebhookResumed':
      await tx.query(`UPDATE registry.webhooks SET paused_reason = NULL, paused_at = NULL WHERE webhook_id = $1`, [
        event.data.webhookId,
      ]);
      return;
  }
}

/** The live webhooks of both flavours, with their secrets as ciphertext: what the API and the delivery read. */
export const webhooksProjection: InlineProjection = {
  name: 'webhooks',
  tables: [`${REGISTRY_SCHEMA}.webhooks`],
  async apply(tx, events: EventEnvelope[]) {
    for (const event of events) {
      if (event.streamType === 'webhook') await applyWebhookEvent(tx, event as unknown as WebhookEvent, event.actor.id);
    }
  },
};
