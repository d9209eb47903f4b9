import { randomUUID } from 'node:crypto';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { EventStore } from '@logbook/eventstore';
import { CommandMetadata, invalidParameter } from '@logbook/platform';
import { modelNotFound } from '../registered-models/registered-model.decider';
import { EVENT_STORE, WEBHOOK_SETTINGS } from '../shared/tokens';
import { SendOutcome, WebhookHttpSender } from './delivery/http-sender';
import { deliveryHeaders } from './delivery/signing';
import { webhookUrlRefusal } from './delivery/url-policy';
import { WebhookSettings } from './delivery/webhook-settings';
import { exampleOccurrence } from './payloads/example-occurrences';
import { MLFLOW_WEBHOOK_EVENTS, WebhookFlavor } from './webhook-catalog';
import { WebhookCommand, webhookStream, webhookStreamId } from './webhook.decider';
import { WebhookChanges, WebhookStatus } from './webhook.events';
import {
  checkDatabricksEvents,
  checkLogbookEvents,
  checkMlflowEvents,
  checkWebhookName,
  unique,
} from './webhook-validation';
import { WebhookRow, WebhooksQueries } from './webhooks.queries';

type CommandOf<T extends WebhookCommand['type']> = Extract<WebhookCommand, { type: T }>['data'];

/** An MLflow webhook's fields as the API takes them, its events already read as keys. */
export interface MlflowWebhookInput {
  name?: string;
  description?: string;
  url?: string;
  /** MLflow's events (`model_version.created`, ...). */
  events?: string[];
  logbookEvents?: string[];
  secret?: string;
  status?: WebhookStatus;
}

/** A Databricks registry webhook's fields as the API takes them. */
export interface DatabricksWebhookInput {
  description?: string;
  events?: string[];
  modelName?: string;
  status?: WebhookStatus;
  httpUrlSpec?: { url: string; secret?: string; authorization?: string; enable_ssl_verification?: boolean };
  jobSpec?: object;
}

const KEY = 'MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY';

@Injectable()
export class WebhooksService implements OnModuleDestroy {
  private sender: WebhookHttpSender | null = null;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(WEBHOOK_SETTINGS) private readonly settings: WebhookSettings,
    private readonly queries: WebhooksQueries,
  ) {}

  async onModuleDestroy(): Promise<void> {
    await this.sender?.close();
  }

  /** MLflow's create_webhook: name, then URL, then events, as MLflow checks them; answers the new id. */
  async createMlflow(
    input: MlflowWebhookInput & { name: string; url: string; events: string[] },
    meta: CommandMetadata,
  ) {
    checkWebhookName(input.name);
    await this.checkUrl(input.url);
    checkMlflowEvents(input.events);
    checkLogbookEvents(input.logbookEvents ?? []);
    const webhookId = randomUUID();
    await this.execute(
      webhookId,
      'CreateWebhook',
      {
        webhookId,
        flavor: 'mlflow',
        name: input.name,
        description: input.description || null,
        url: input.url,
        events: unique([...input.events, ...(input.logbookEvents ?? [])]),
        modelName: null,
        status: input.status ?? 'ACTIVE',
        secretCiphertext: this.encrypted(input.secret || null),
        authorizationCiphertext: null,
        enableSslVerification: true,
      },
      meta,
    );
    return webhookId;
  }

  /**
   * MLflow's update_webhook: the webhook must exist, then what is given is checked and replaces its own.
   * An empty name, URL or event list keeps the value; an empty description or secret clears it.
   */
  async updateMlflow(webhookId: string, input: MlflowWebhookInput, meta: CommandMetadata): Promise<void> {
    const current = await this.queries.get(webhookId, 'mlflow');
    const changes: WebhookChanges = {};
    if (input.name) {
      checkWebhookName(input.name);
      changes.name = input.name;
    }
    if (input.url) {
      await this.checkUrl(input.url);
      changes.url = input.url;
    }
    if (input.logbookEvents) checkLogbookEvents(input.logbookEvents);
    if (input.events?.length || input.logbookEvents) {
      const mlflowEvents = input.events?.length ? input.events : current.events.filter(isMlflowEvent);
      const logbookEvents = input.logbookEvents ?? current.events.filter((key) => !isMlflowEvent(key));
      changes.events = unique([...mlflowEvents, ...logbookEvents]);
    }
    if (input.description !== undefined) changes.description = input.description;
    if (input.status !== undefined) changes.status = input.status;
    const secret = input.secret === undefined ? undefined : this.encrypted(input.secret || null);
    await this.update(webhookId, changes, secret, meta);
  }

  /** Databricks' create: an HTTP URL (no jobs), events, and a model that exists when one is named. */
  async createDatabricks(
    input: DatabricksWebhookInput & {
      events: string[];
      httpUrlSpec: NonNullable<DatabricksWebhookInput['httpUrlSpec']>;
    },
    meta: CommandMetadata,
  ) {
    if (input.jobSpec) throw jobsNotSupported();
    const spec = input.httpUrlSpec;
    checkDatabricksEvents(input.events);
    if (input.modelName !== undefined && !(await this.queries.modelExists(input.modelName))) {
      throw modelNotFound(input.modelName);
    }
    await this.checkUrl(spec.url);
    const webhookId = randomUUID();
    await this.execute(
      webhookId,
      'CreateWebhook',
      {
        webhookId,
        flavor: 'databricks',
        name: null,
        description: input.description || null,
        url: spec.url,
        events: unique(input.events),
        modelName: input.modelName ?? null,
        status: input.status ?? 'ACTIVE',
        secretCiphertext: this.encrypted(spec.secret || null),
        authorizationCiphertext: this.encrypted(spec.authorization || null),
        enableSslVerification: spec.enable_ssl_verification ?? true,
      },
      meta,
    );
    return webhookId;
  }

  /**
   * Databricks' update: the fields given replace the webhook's (an empty event list keeps them, as
   * MLflow's update does); an empty secret or authorization removes it.
   */
  async updateDatabricks(webhookId: string, input: DatabricksWebhookInput, meta: CommandMetadata): Promise<void> {
    await this.queries.get(webhookId, 'databricks');
    if (input.jobSpec) throw jobsNotSupported();
    const changes: WebhookChanges = {};
    if (input.events?.length) {
      checkDatabricksEvents(input.events);
      changes.events = unique(input.events);
    }
    const spec = input.httpUrlSpec;
    if (spec) {
      await this.checkUrl(spec.url);
      changes.url = spec.url;
      if (spec.enable_ssl_verification !== undefined) changes.enableSslVerification = spec.enable_ssl_verification;
      if (spec.authorization !== undefined)
        changes.authorizationCiphertext = this.encrypted(spec.authorization || null);
    }
    if (input.description !== undefined) changes.description = input.description;
    if (input.status !== undefined) changes.status = input.status;
    const secret = spec?.secret === undefined ? undefined : this.encrypted(spec.secret || null);
    await this.update(webhookId, changes, secret, meta);
  }

  async delete(webhookId: string, flavor: WebhookFlavor, meta: CommandMetadata): Promise<void> {
    await this.queries.get(webhookId, flavor);
    await this.execute(webhookId, 'DeleteWebhook', { webhookId }, meta);
  }

  /** The delivery worker's: the webhook keeps failing; nothing happens when it is paused already. */
  async pause(webhookId: string, reason: string, meta: CommandMetadata): Promise<void> {
    await this.execute(webhookId, 'PauseWebhook', { webhookId, reason }, meta);
  }

  /** The delivery worker's: a probe got through; nothing happens when the webhook is not paused. */
  async resume(webhookId: string, reason: string, meta: CommandMetadata): Promise<void> {
    await this.execute(webhookId, 'ResumeWebhook', { webhookId, reason }, meta);
  }

  /**
   * Sends the webhook an example of `eventKey` (its first event when none is named) now, signed as its
   * deliveries are, and answers what came back. Nothing is recorded.
   */
  async test(webhook: WebhookRow, eventKey: string | undefined): Promise<SendOutcome> {
    const now = Date.now();
    const body = exampleOccurrence(webhook.flavor, eventKey ?? webhook.events[0], now).body(webhook.webhook_id);
    const headers = deliveryHeaders(webhook.flavor, {
      deliveryId: randomUUID(),
      timestampSeconds: String(Math.floor(now / 1000)),
      body,
      secrets: webhook.secrets
        .filter((secret) => secret.until === null || secret.until > now)
        .map((secret) => this.decrypted(secret.ciphertext)),
      authorization: webhook.authorization_header === null ? null : this.decrypted(webhook.authorization_header),
    });
    this.sender ??= new WebhookHttpSender(this.settings);
    return this.sender.send({ url: webhook.url, headers, body, verifyTls: webhook.enable_ssl_verification });
  }

  private async update(
    webhookId: string,
    changes: WebhookChanges,
    secretCiphertext: string | null | undefined,
    meta: CommandMetadata,
  ): Promise<void> {
    const rotationOverlapMs = this.settings.rotationOverlapMs;
    await this.execute(webhookId, 'UpdateWebhook', { webhookId, changes, secretCiphertext, rotationOverlapMs }, meta);
  }

  private async checkUrl(url: string): Promise<void> {
    const refusal = await webhookUrlRefusal(url, this.settings);
    if (refusal !== null) throw invalidParameter(refusal);
  }

  /** A secret or Authorization header as it is stored: Fernet ciphertext, or refused without a key. */
  private encrypted(plain: string | null): string | null {
    if (plain === null) return null;
    if (!this.settings.secretBox) {
      throw invalidParameter(
        `Webhook secrets are stored encrypted, and ${KEY} is not set: set it to a Fernet key to give webhooks a secret.`,
      );
    }
    return this.settings.secretBox.encrypt(plain);
  }

  /** The start refuses to run with stored secrets and no key that decrypts them, so one is there. */
  private decrypted(ciphertext: string): string {
    return this.settings.secretBox!.decrypt(ciphertext);
  }

  private async execute<T extends WebhookCommand['type']>(
    webhookId: string,
    type: T,
    data: CommandOf<T>,
    metadata: CommandMetadata,
  ): Promise<void> {
    await this.store.handle(
      webhookStream,
      webhookStreamId(webhookId),
      { type, data, metadata } as WebhookCommand,
      metadata,
    );
  }
}

const isMlflowEvent = (key: string) => MLFLOW_WEBHOOK_EVENTS.includes(key);

const jobsNotSupported = () =>
  invalidParameter("job_spec is not supported: Logbook's registry webhooks call an HTTP URL (http_url_spec).");
