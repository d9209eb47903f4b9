import { describe, it } from 'node:test';
import { CommandMetadata } from '@logbook/platform';
import { spec } from '@logbook/testing';
import { WebhookCommand, webhookDecider } from './webhook.decider';
import { WebhookEvent } from './webhook.events';

const now = 1_700_000_000_000;
const metadata: CommandMetadata = {
  now,
  actor: { id: 'admin', kind: 'user', name: 'admin', authMethod: 'basic' },
  requestId: 'req-1',
};
const given = spec(webhookDecider).given;
const webhookId = 'b1c7a0de-5f3e-4c1a-9d2b-7e6f5a4b3c2d';
const overlap = 86_400_000;

const mlflowWebhook = {
  webhookId,
  flavor: 'mlflow' as const,
  name: 'promotions',
  description: null,
  url: 'https://hooks.example.com/mlflow',
  events: ['model_version.created'],
  modelName: null,
  status: 'ACTIVE' as const,
  secretCiphertext: 'gAAAA-first',
  authorizationCiphertext: null,
  enableSslVerification: true,
};
const databricksWebhook = {
  ...mlflowWebhook,
  flavor: 'databricks' as const,
  name: null,
  events: ['MODEL_VERSION_CREATED'],
  modelName: 'fraud',
  secretCiphertext: null,
};

const created: WebhookEvent = { type: 'WebhookCreated', data: { ...mlflowWebhook, time: now - 100 } };
const createdWithoutSecret: WebhookEvent = {
  type: 'WebhookCreated',
  data: { ...mlflowWebhook, secretCiphertext: null, time: now - 100 },
};
const scoped: WebhookEvent = { type: 'WebhookCreated', data: { ...databricksWebhook, time: now - 100 } };
const deleted: WebhookEvent = { type: 'WebhookDeleted', data: { webhookId, time: now - 50 } };
const paused: WebhookEvent = {
  type: 'WebhookPaused',
  data: { webhookId, reason: '4 failures in a row', time: now - 10 },
};

const command = <T extends WebhookCommand['type']>(type: T, data: Extract<WebhookCommand, { type: T }>['data']) =>
  ({ type, data, metadata }) as WebhookCommand;
const update = (data: Partial<Extract<WebhookCommand, { type: 'UpdateWebhook' }>['data']>) =>
  command('UpdateWebhook', { webhookId, changes: {}, rotationOverlapMs: overlap, ...data });

describe('webhook decider', () => {
  describe('CreateWebhook', () => {
    it('records the webhook with its secret as ciphertext', () =>
      given([])
        .when(command('CreateWebhook', mlflowWebhook))
        .then([{ type: 'WebhookCreated', data: { ...mlflowWebhook, time: now } }]));

    it('refuses REGISTERED_MODEL_CREATED on a webhook scoped to one model', () =>
      given([])
        .when(command('CreateWebhook', { ...databricksWebhook, events: ['REGISTERED_MODEL_CREATED'] }))
        .thenThrows(
          'INVALID_PARAMETER_VALUE',
          'REGISTERED_MODEL_CREATED can only be subscribed to by a registry-wide',
        ));

    it('takes REGISTERED_MODEL_CREATED on a registry-wide one', () =>
      given([])
        .when(command('CreateWebhook', { ...databricksWebhook, modelName: null, events: ['REGISTERED_MODEL_CREATED'] }))
        .then([
          {
            type: 'WebhookCreated',
            data: { ...databricksWebhook, modelName: null, events: ['REGISTERED_MODEL_CREATED'], time: now },
          },
        ]));
  });

  describe('UpdateWebhook', () => {
    it('records the changed fields, and nothing about the secret when none is given', () =>
      given([created])
        .when(update({ changes: { url: 'https://hooks.example.com/v2' } }))
        .then([
          {
            type: 'WebhookUpdated',
            data: { webhookId, changes: { url: 'https://hooks.example.com/v2' }, secret: null, time: now },
          },
        ]));

    it('keeps the replaced secret signing until the overlap ends', () =>
      given([created])
        .when(update({ secretCiphertext: 'gAAAA-second' }))
        .then([
          {
            type: 'WebhookUpdated',
            data: {
              webhookId,
              changes: {},
              secret: { ciphertext: 'gAAAA-second', previousUntil: now + overlap },
              time: now,
            },
          },
        ]));

    it('has nothing to keep when the webhook had no secret, no overlap is configured, or the secret is removed', () => {
      given([createdWithoutSecret])
        .when(update({ secretCiphertext: 'gAAAA-first' }))
        .then([
          {
            type: 'WebhookUpdated',
            data: { webhookId, changes: {}, secret: { ciphertext: 'gAAAA-first', previousUntil: null }, time: now },
          },
        ]);
      given([created])
        .when(update({ secretCiphertext: 'gAAAA-second', rotationOverlapMs: 0 }))
        .then([
          {
            type: 'WebhookUpdated',
            data: { webhookId, changes: {}, secret: { ciphertext: 'gAAAA-second', previousUntil: null }, time: now },
          },
        ]);
      given([created])
        .when(update({ secretCiphertext: null }))
        .then([
          {
            type: 'WebhookUpdated',
            data: { webhookId, changes: {}, secret: { ciphertext: null, previousUntil: null }, time: now },
          },
        ]);
    });

    it('keeps the scope rule on new events', () =>
      given([scoped])
        .when(update({ changes: { events: ['MODEL_VERSION_CREATED', 'REGISTERED_MODEL_CREATED'] } }))
        .thenThrows('INVALID_PARAMETER_VALUE', 'REGISTERED_MODEL_CREATED'));

    it("answers MLflow's 404 for a webhook that does not exist or was deleted", () => {
      given([]).when(update({})).thenThrows('RESOURCE_DOES_NOT_EXIST', `Webhook with ID ${webhookId} not found.`);
      given([created, deleted]).when(update({})).thenThrows('RESOURCE_DOES_NOT_EXIST');
    });
  });

  describe('DeleteWebhook', () => {
    it('records the deletion once', () => {
      given([created])
        .when(command('DeleteWebhook', { webhookId }))
        .then([{ type: 'WebhookDeleted', data: { webhookId, time: now } }]);
      given([created, deleted]).when(command('DeleteWebhook', { webhookId })).thenThrows('RESOURCE_DOES_NOT_EXIST');
    });
  });

  describe('PauseWebhook and ResumeWebhook (the delivery worker)', () => {
    it('pauses a live webhook with its reason, once', () => {
      given([created])
        .when(command('PauseWebhook', { webhookId, reason: '4 failures in a row' }))
        .then([{ type: 'WebhookPaused', data: { webhookId, reason: '4 failures in a row', time: now } }]);
      given([created, paused])
        .when(command('PauseWebhook', { webhookId, reason: 'again' }))
        .thenNothing();
    });

    it('resumes a paused webhook, and leaves a running one alone', () => {
      given([created, paused])
        .when(command('ResumeWebhook', { webhookId, reason: 'probe delivered' }))
        .then([{ type: 'WebhookResumed', data: { webhookId, reason: 'probe delivered', time: now } }]);
      given([created])
        .when(command('ResumeWebhook', { webhookId, reason: 'probe delivered' }))
        .thenNothing();
    });

    it('does nothing to a deleted or unknown webhook', () => {
      given([created, deleted])
        .when(command('PauseWebhook', { webhookId, reason: 'x' }))
        .thenNothing();
      given([])
        .when(command('ResumeWebhook', { webhookId, reason: 'x' }))
        .thenNothing();
    });
  });
});
