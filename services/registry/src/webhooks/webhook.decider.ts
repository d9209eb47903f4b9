import { Decider } from '@logbook/eventstore';
import { alreadyExists, CommandMetadata, invalidParameter, notFound } from '@logbook/platform';
import { DATABRICKS_REGISTRY_WIDE_ONLY_EVENTS, WebhookFlavor } from './webhook-catalog';
import { WebhookChanges, WebhookCreated, WebhookEvent, WebhookStatus } from './webhook.events';

/** What the decider knows of a webhook; never a secret, since the audit trail records states. */
export interface WebhookState {
  status: 'absent' | 'live' | 'deleted';
  flavor: WebhookFlavor | null;
  name: string | null;
  url: string | null;
  events: string[];
  modelName: string | null;
  webhookStatus: WebhookStatus | null;
  hasSecret: boolean;
  hasAuthorization: boolean;
  paused: { reason: string; since: number } | null;
}

type Created = Omit<WebhookCreated['data'], 'time'>;

export type WebhookCommand = { metadata: CommandMetadata } & (
  | { type: 'CreateWebhook'; data: Created }
  | {
      type: 'UpdateWebhook';
      data: {
        webhookId: string;
        changes: WebhookChanges;
        /** Left out: the secret stays; null: removed; else the new secret's ciphertext. */
        secretCiphertext?: string | null;
        /** How long the secret being replaced keeps signing (settings: the rotation overlap). */
        rotationOverlapMs: number;
      };
    }
  | { type: 'DeleteWebhook'; data: { webhookId: string } }
  | { type: 'PauseWebhook'; data: { webhookId: string; reason: string } }
  | { type: 'ResumeWebhook'; data: { webhookId: string; reason: string } }
);

const initialState = (): WebhookState => ({
  status: 'absent',
  flavor: null,
  name: null,
  url: null,
  events: [],
  modelName: null,
  webhookStatus: null,
  hasSecret: false,
  hasAuthorization: false,
  paused: null,
});

export const webhookNotFound = (webhookId: string) => notFound(`Webhook with ID ${webhookId} not found.`);

function checkScope(flavor: WebhookFlavor | null, modelName: string | null, events: readonly string[]): void {
  if (flavor !== 'databricks' || modelName === null) return;
  const registryWide = events.filter((event) => DATABRICKS_REGISTRY_WIDE_ONLY_EVENTS.includes(event));
  if (registryWide.length > 0) {
    throw invalidParameter(
      `Event ${registryWide.join(', ')} can only be subscribed to by a registry-wide webhook (one without model_name).`,
    );
  }
}

function decide(command: WebhookCommand, state: WebhookState): WebhookEvent[] {
  const time = command.metadata.now;
  if (command.type === 'CreateWebhook') {
    const { data } = command;
    if (state.status !== 'absent') throw alreadyExists(`Webhook with ID ${data.webhookId} already exists.`);
    checkScope(data.flavor, data.modelName, data.events);
    return [{ type: 'WebhookCreated', data: { ...data, time } }];
  }
  const { webhookId } = command.data;
  const live = state.status === 'live';
  switch (command.type) {
    case 'UpdateWebhook': {
      if (!live) throw webhookNotFound(webhookId);
      const { changes, secretCiphertext, rotationOverlapMs } = command.data;
      if (changes.events) checkScope(state.flavor, state.modelName, changes.events);
      const overlaps = state.hasSecret && secretCiphertext !== null && rotationOverlapMs > 0;
      const secret =
        secretCiphertext === undefined
          ? null
          : { ciphertext: secretCiphertext, previousUntil: overlaps ? time + rotationOverlapMs : null };
      return [{ type: 'WebhookUpdated', data: { webhookId, changes, secret, time } }];
    }
    case 'DeleteWebhook':
      if (!live) throw webhookNotFound(webhookId);
      return [{ type: 'WebhookDeleted', data: { webhookId, time } }];
    // The delivery worker's: a webhook deleted meanwhile, or already so, is left as it is.
    case 'PauseWebhook':
      if (!live || state.paused) return [];
      return [{ type: 'WebhookPaused', data: { webhookId, reason: command.data.reason, time } }];
    case 'ResumeWebhook':
      if (!live || !state.paused) return [];
      return [{ type: 'WebhookResumed', data: { webhookId, reason: command.data.reason, time } }];
  }
}

function evolve(state: WebhookState, event: WebhookEvent): WebhookState {
  switch (event.type) {
    case 'WebhookCreated': {
      const { data } = event;
      return {
        status: 'live',
        flavor: data.flavor,
        name: data.name,
        url: data.url,
        events: data.events,
        modelName: data.modelName,
        webhookStatus: data.status,
        hasSecret: data.secretCiphertext !== null,
        hasAuthorization: data.authorizationCiphertext !== null,
        paused: null,
      };
    }
    case 'WebhookUpdated': {
      const { changes, secret } = event.data;
      return {
        ...state,
        name: changes.name ?? state.name,
        url: changes.url ?? state.url,
        events: changes.events ?? state.events,
        webhookStatus: changes.status ?? state.webhookStatus,
        hasSecret: secret ? secret.ciphertext !== null : state.hasSecret,
        hasAuthorization:
          changes.authorizationCiphertext === undefined
            ? state.hasAuthorization
            : changes.authorizationCiphertext !== null,
      };
    }
    case 'WebhookDeleted':
      return { ...initialState(), status: 'deleted' };
    case 'WebhookPaused':
      return { ...state, paused: { reason: event.data.reason, since: event.data.time } };
    case 'WebhookResumed':
      return { ...state, paused: null };
  }
}

export const webhookDecider: Decider<WebhookState, WebhookCommand, WebhookEvent> = { initialState, evolve, decide };

export const webhookStream = { streamType: 'webhook', decider: webhookDecider, stateVersion: 1 };

export const webhookStreamId = (webhookId: string) => `webhook-${webhookId}`;
