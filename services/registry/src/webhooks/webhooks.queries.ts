import { Inject, Injectable } from '@nestjs/common';
import { OwnerLookup } from '@logbook/access';
import { Database, invalidParameter } from '@logbook/platform';
import { decodeOffsetToken, encodeOffsetToken } from '@logbook/search';
import { DATABASE } from '../shared/tokens';
import { WebhookFlavor } from './webhook-catalog';
import { webhookNotFound } from './webhook.decider';
import { WebhookStatus } from './webhook.events';
import { StoredSecret } from './webhooks.projection';

/** A row of registry.webhooks: secrets and the Authorization header as ciphertext. */
export interface WebhookRow {
  webhook_id: string;
  flavor: WebhookFlavor;
  name: string | null;
  description: string | null;
  url: string;
  events: string[];
  model_name: string | null;
  status: WebhookStatus;
  secrets: StoredSecret[];
  authorization_header: string | null;
  enable_ssl_verification: boolean;
  paused_reason: string | null;
  paused_at: string | number | null;
  creation_timestamp: string | number;
  last_updated_timestamp: string | number;
}

/** A page of webhooks as the store keeps them: MLflow's offset token, newest first. */
export interface WebhookPage {
  rows: WebhookRow[];
  nextPageToken: string | null;
}

/** MLflow's list_webhooks: 0 or nothing is 100, and anything outside 1..1000 is refused. */
export const LIST_WEBHOOKS = { fallback: 100, maximum: 1000 } as const;

export function checkWebhookMaxResults(value: number | undefined): number {
  const max = value || LIST_WEBHOOKS.fallback;
  if (max < 1 || max > LIST_WEBHOOKS.maximum) {
    throw invalidParameter(`max_results must be between 1 and ${LIST_WEBHOOKS.maximum}.`);
  }
  return max;
}

const SELECT = `SELECT webhook_id, flavor, name, description, url, events, model_name, status, secrets,
  authorization_header, enable_ssl_verification, paused_reason, paused_at, creation_timestamp,
  last_updated_timestamp FROM registry.webhooks`;

@Injectable()
export class WebhooksQueries implements OwnerLookup {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** A live webhook of the flavour, or MLflow's 404: each API sees only its own webhooks. */
  async get(webhookId: string, flavor: WebhookFlavor): Promise<WebhookRow> {
    const { rows } = await this.db.query<WebhookRow>(`${SELECT} WHERE webhook_id = $1 AND flavor = $2`, [
      webhookId,
      flavor,
    ]);
    if (rows.length === 0) throw webhookNotFound(webhookId);
    return rows[0];
  }

  /**
   * A page of one flavour's webhooks, newest first; a Databricks listing may keep those of one model and
   * those that subscribe to any of `events`.
   */
  async list(
    flavor: WebhookFlavor,
    request: { maxResults?: number; pageToken?: string; modelName?: string; events?: string[] },
  ): Promise<WebhookPage> {
    const maxResults = checkWebhookMaxResults(request.maxResults);
    const offset = decodeOffsetToken(request.pageToken);
    const { rows } = await this.db.query<WebhookRow>(
      `${SELECT} WHERE flavor = $1 AND ($2::text IS NULL OR model_name = $2)
         AND ($3::jsonb IS NULL OR events ?| ARRAY(SELECT jsonb_array_elements_text($3::jsonb)))
       ORDER BY creation_timestamp DESC, webhook_id LIMIT $4 OFFSET $5`,
      [
        flavor,
        request.modelName ?? null,
        request.events?.length ? JSON.stringify(request.events) : null,
        maxResults + 1,
        offset,
      ],
    );
    return rows.length > maxResults
      ? { rows: rows.slice(0, maxResults), nextPageToken: encodeOffsetToken(offset + maxResults) }
      : { rows, nextPageToken: null };
  }

  /** The model a Databricks webhook is about: what MANAGE is checked on (none: registry-wide, or no such webhook). */
  async ownerOf(webhookId: string): Promise<string | null> {
    const { rows } = await this.db.query<{ model_name: string | null }>(
      `SELECT model_name FROM registry.webhooks WHERE webhook_id = $1`,
      [webhookId],
    );
    return rows[0]?.model_name ?? null;
  }

  async modelExists(name: string): Promise<boolean> {
    const { rows } = await this.db.query(`SELECT 1 FROM registry.registered_models WHERE name = $1`, [name]);
    return rows.length > 0;
  }
}
