import { DomainEvent } from '@logbook/eventstore';
import { WebhookFlavor } from './webhook-catalog';

/** ACTIVE and DISABLED are MLflow's; Databricks adds TEST_MODE (only the test endpoint calls it). */
export type WebhookStatus = 'ACTIVE' | 'DISABLED' | 'TEST_MODE';

/**
 * Secrets and Databricks' `authorization` header are recorded only as Fernet ciphertext: the log, the
 * projection and anything rebuilt from them never hold them in the clear.
 */
export type WebhookCreated = DomainEvent<
  'WebhookCreated',
  {
    webhookId: string;
    flavor: WebhookFlavor;
    /** MLflow's name; Databricks' webhooks have none. */
    name: string | null;
    description: string | null;
    url: string;
    /** The event keys, in the flavour's spelling (webhook-catalog.ts). */
    events: string[];
    /** Databricks: the one model it is about; null: registry-wide (and always for MLflow). */
    modelName: string | null;
    status: WebhookStatus;
    secretCiphertext: string | null;
    authorizationCiphertext: string | null;
    enableSslVerification: boolean;
    time: number;
  }
>;

/** The fields an update changed; a field left out kept its value. */
export interface WebhookChanges {
  name?: string;
  description?: string;
  url?: string;
  events?: string[];
  status?: WebhookStatus;
  enableSslVerification?: boolean;
  /** null: no Authorization header any more. */
  authorizationCiphertext?: string | null;
}

/**
 * A new secret (`ciphertext`, null when the secret was removed): the one signing until now stays valid
 * until `previousUntil` so receivers can switch over (null: nothing to keep, no overlap).
 */
export interface SecretChange {
  ciphertext: string | null;
  previousUntil: number | null;
}

export type WebhookUpdated = DomainEvent<
  'WebhookUpdated',
  { webhookId: string; changes: WebhookChanges; secret: SecretChange | null; time: number }
>;

export type WebhookDeleted = DomainEvent<'WebhookDeleted', { webhookId: string; time: number }>;

/** The delivery worker stopped calling the webhook (it kept failing) and probes it now and then. */
export type WebhookPaused = DomainEvent<'WebhookPaused', { webhookId: string; reason: string; time: number }>;
export type WebhookResumed = DomainEvent<'WebhookResumed', { webhookId: string; reason: string; time: number }>;

export type WebhookEvent = WebhookCreated | WebhookUpdated | WebhookDeleted | WebhookPaused | WebhookResumed;
