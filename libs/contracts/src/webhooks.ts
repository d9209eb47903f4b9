import { z } from 'zod';

/**
 * What the registry's webhooks deliver, per flavour and event: the exact body a receiver gets. An MLflow
 * webhook gets MLflow's envelope `{entity, action, timestamp, data}` (and Logbook's provenance after it);
 * a Databricks registry webhook gets Databricks' flat payload (Logbook's event id and actor at its end).
 */
export type WebhookPayloadFlavor = 'mlflow' | 'databricks';
/** Whose list names the event: MLflow's own entity/action pairs, Databricks' own events, or Logbook's. */
export type WebhookPayloadCatalogue = 'mlflow' | 'databricks' | 'logbook';

export interface WebhookPayloadContract<Body extends z.ZodObject = z.ZodObject> {
  flavor: WebhookPayloadFlavor;
  /** The event as a webhook of this flavour names it. */
  event: string;
  catalogue: WebhookPayloadCatalogue;
  meaning: string;
  /** The registry events (docs/events.md) it is delivered for; none for MLflow's budget event. */
  firedBy: readonly string[];
  body: Body;
  example: z.input<Body>;
}

const MS = 'milliseconds since the Unix epoch';
const exampleTime = 1764864000000;
const exampleTimestamp = '2025-12-04T16:00:00+00:00';
const exampleEventId = '5d0c8a4e-2b1f-4e6a-9c3d-7f8e9a0b1c2d';
const exampleWebhookId = 'c5596721253c4b429368cf6f4341b88a';

const WebhookActor = z
  .strictObject({
    id: z.string().min(1).describe("The actor's id"),
    kind: z
      .enum(['user', 'service', 'system', 'anonymous'])
      .describe('A person, an API token, Logbook itself, or nobody known'),
    name: z.string().describe('The name people know the actor by'),
    authMethod: z.enum(['basic', 'token', 'oidc', 'kafka', 'none']).describe('How the actor proved who it is'),
  })
  .meta({ id: 'WebhookActor' })
  .describe('Who made the change, as the event envelope records it');
const exampleActor = { id: '7', kind: 'user' as const, name: 'alice', authMethod: 'basic' as const };

const LogbookProvenance = z
  .strictObject({
    event_id: z.string().min(1).describe('Id of the registry event: the same for every delivery and retry of it'),
    event_type: z.string().min(1).describe('Type of the registry event (docs/events.md)'),
    actor: WebhookActor,
    correlation_id: z.string().describe('Id of the request that made the change'),
  })
  .meta({ id: 'LogbookProvenance' })
  .describe("Logbook's provenance of the delivery; absent in a test delivery");
const exampleProvenance = (eventType: string) => ({
  event_id: exampleEventId,
  event_type: eventType,
  actor: exampleActor,
  correlation_id: 'b7e3f0a2-6c1d-4f58-9e2a-3d4c5b6a7f80',
});

const modelName = z.string().min(1).describe('Name of the registered model (or prompt) when it happened');
const version = z.string().min(1).describe('Version number, as a string as MLflow writes versions');
const tagKey = z.string().describe('Tag name');
const tagValue = z.string().describe('Tag value');
const tagMap = z.record(z.string(), z.string()).describe('Tags, name to value');
const aliasName = z.string().min(1).describe('Alias name');
const stage = z.enum(['None', 'Staging', 'Production', 'Archived']);
const requestId = z.string().min(1).describe("Logbook's id of the transition request");
const comment = z.string().nullable().describe('What the person wrote; null when nothing');
const digest = z.string().min(1).describe("The version's bound digest (content and the evidence its policy reads)");
const outcome = z
  .enum(['approved', 'pending', 'rejected', 'expired', 'void'])
  .nullable()
  .describe("The policy's verdict; null when no policy governs the target");
const WebhookPerson = z
  .strictObject({ id: z.string().min(1).describe("The person's id"), name: z.string().describe('Their user name') })
  .meta({ id: 'WebhookPerson' });
const toStage = z
  .enum(['Staging', 'Production', 'Archived'])
  .nullable()
  .describe('The stage asked for; null when the request is for an alias');
const toAlias = z.string().nullable().describe('The protected alias asked to point at the version; null for a stage');

// MLflow's envelope

const mlflowTimestamp = z
  .string()
  .describe(
    `When it happened, as Python's isoformat() of a UTC time (${exampleTimestamp}); the sending time in a test`,
  );

function mlflowPayload<Data extends z.ZodObject>(definition: {
  event: string;
  catalogue: 'mlflow' | 'logbook';
  meaning: string;
  firedBy: readonly string[];
  data: Data;
  example: z.input<Data>;
}): WebhookPayloadContract {
  const [entity, action] = definition.event.split('.');
  const body = z.strictObject({
    entity: z.literal(entity).describe('The entity of the event'),
    action: z.literal(action).describe('What happened to it'),
    timestamp: mlflowTimestamp,
    data: definition.data.describe("The event's fields"),
    logbook: LogbookProvenance.optional().describe("Logbook's provenance of the delivery; absent in a test delivery"),
  });
  const example = {
    entity,
    action,
    timestamp: exampleTimestamp,
    data: definition.example,
    ...(definition.firedBy.length > 0 ? { logbook: exampleProvenance(definition.firedBy[0]) } : {}),
  };
  return {
    flavor: 'mlflow',
    event: definition.event,
    catalogue: definition.catalogue,
    meaning: definition.meaning,
    firedBy: definition.firedBy,
    body,
    example,
  };
}

// MLflow's own events, exactly as MLflow 3.17 sends them (mlflow/webhooks/types.py)

const exampleModel = 'example_model';
const examplePrompt = 'example_prompt';
const exampleTags = { example_key: 'example_value' };

const MLFLOW_PAIRS: WebhookPayloadContract[] = [
  mlflowPayload({
    event: 'registered_model.created',
    catalogue: 'mlflow',
    meaning: 'A registered model (not a prompt) was created.',
    firedBy: ['RegisteredModelCreated'],
    data: z.strictObject({
      name: modelName,
      tags: tagMap.describe('Tags given at creation'),
      description: z.string().nullable().describe('Description given at creation; "" when none (as MLflow sends it)'),
    }),
    example: { name: exampleModel, tags: exampleTags, description: 'An example registered model' },
  }),
  mlflowPayload({
    event: 'model_version.created',
    catalogue: 'mlflow',
    meaning: 'A version of a registered model was created (before its registration completes).',
    firedBy: ['ModelVersionCreated'],
    data: z.strictObject({
      name: modelName,
      version,
      source: z.string().describe('Where the model comes from'),
      run_id: z.string().nullable().describe('Run that produced it; null when none'),
      tags: tagMap.describe('Tags given at creation'),
      description: z.string().nullable().describe('Description given at creation; null when none'),
    }),
    example: {
      name: exampleModel,
      version: '1',
      source: 'models:/123',
      run_id: 'abcd1234abcd5678',
      tags: exampleTags,
      description: 'An example model version',
    },
  }),
  mlflowPayload({
    event: 'model_version_tag.set',
    catalogue: 'mlflow',
    meaning: 'A tag of a model version was set.',
    firedBy: ['ModelVersionTagSet'],
    data: z.strictObject({ name: modelName, version, key: tagKey, value: tagValue }),
    example: { name: exampleModel, version: '1', key: 'example_key', value: 'example_value' },
  }),
  mlflowPayload({
    event: 'model_version_tag.deleted',
    catalogue: 'mlflow',
    meaning: 'A tag of a model version was deleted.',
    firedBy: ['ModelVersionTagDeleted'],
    data: z.strictObject({ name: modelName, version, key: tagKey }),
    example: { name: exampleModel, version: '1', key: 'example_key' },
  }),
  mlflowPayload({
    event: 'model_version_alias.created',
    catalogue: 'mlflow',
    meaning: 'An alias was pointed at a version, new or moved (MLflow gives no previous version).',
    firedBy: ['RegisteredModelAliasSet'],
    data: z.strictObject({ name: modelName, alias: aliasName, version: version.describe('The version it points to') }),
    example: { name: exampleModel, alias: 'example_alias', version: '1' },
  }),
  mlflowPayload({
    event: 'model_version_alias.deleted',
    catalogue: 'mlflow',
    meaning: 'An alias was deleted.',
    firedBy: ['RegisteredModelAliasDeleted'],
    data: z.strictObject({ name: modelName, alias: aliasName }),
    example: { name: exampleModel, alias: 'example_alias' },
  }),
  mlflowPayload({
    event: 'prompt.created',
    catalogue: 'mlflow',
    meaning: 'A prompt (a registered model tagged mlflow.prompt.is_prompt) was created.',
    firedBy: ['RegisteredModelCreated'],
    data: z.strictObject({
      name: modelName,
      tags: tagMap.describe("Tags given at creation, without MLflow's prompt markers"),
      description: z.string().nullable().describe('Description given at creation; "" when none (as MLflow sends it)'),
    }),
    example: { name: examplePrompt, tags: exampleTags, description: 'An example prompt' },
  }),
  mlflowPayload({
    event: 'prompt_version.created',
    catalogue: 'mlflow',
    meaning: 'A version of a prompt was created.',
    firedBy: ['ModelVersionCreated'],
    data: z.strictObject({
      name: modelName,
      version,
      template: z.string().nullable().describe('The template (tag mlflow.prompt.text); null when none'),
      tags: tagMap.describe("Tags given at creation, without the template and MLflow's prompt markers"),
      description: z.string().nullable().describe('Description given at creation; null when none'),
    }),
    example: {
      name: examplePrompt,
      version: '1',
      template: 'Hello {{name}}!',
      tags: exampleTags,
      description: 'An example prompt version',
    },
  }),
  mlflowPayload({
    event: 'prompt_tag.set',
    catalogue: 'mlflow',
    meaning: 'A tag of a prompt was set.',
    firedBy: ['RegisteredModelTagSet'],
    data: z.strictObject({ name: modelName, key: tagKey, value: tagValue }),
    example: { name: examplePrompt, key: 'example_key', value: 'example_value' },
  }),
  mlflowPayload({
    event: 'prompt_tag.deleted',
    catalogue: 'mlflow',
    meaning: 'A tag of a prompt was deleted.',
    firedBy: ['RegisteredModelTagDeleted'],
    data: z.strictObject({ name: modelName, key: tagKey }),
    example: { name: examplePrompt, key: 'example_key' },
  }),
  mlflowPayload({
    event: 'prompt_version_tag.set',
    catalogue: 'mlflow',
    meaning: 'A tag of a prompt version was set.',
    firedBy: ['ModelVersionTagSet'],
    data: z.strictObject({ name: modelName, version, key: tagKey, value: tagValue }),
    example: { name: examplePrompt, version: '1', key: 'example_key', value: 'example_value' },
  }),
  mlflowPayload({
    event: 'prompt_version_tag.deleted',
    catalogue: 'mlflow',
    meaning: 'A tag of a prompt version was deleted.',
    firedBy: ['ModelVersionTagDeleted'],
    data: z.strictObject({ name: modelName, version, key: tagKey }),
    example: { name: examplePrompt, version: '1', key: 'example_key' },
  }),
  mlflowPayload({
    event: 'prompt_alias.created',
    catalogue: 'mlflow',
    meaning: 'An alias of a prompt was pointed at a version, new or moved.',
    firedBy: ['RegisteredModelAliasSet'],
    data: z.strictObject({ name: modelName, alias: aliasName, version: version.describe('The version it points to') }),
    example: { name: examplePrompt, alias: 'example_alias', version: '1' },
  }),
  mlflowPayload({
    event: 'prompt_alias.deleted',
    catalogue: 'mlflow',
    meaning: 'An alias of a prompt was deleted.',
    firedBy: ['RegisteredModelAliasDeleted'],
    data: z.strictObject({ name: modelName, alias: aliasName }),
    example: { name: examplePrompt, alias: 'example_alias' },
  }),
  mlflowPayload({
    event: 'budget_policy.exceeded',
    catalogue: 'mlflow',
    meaning:
      "MLflow AI Gateway's budget event: Logbook has no gateway and never fires it; a webhook may name it and test it.",
    firedBy: [],
    data: z.strictObject({
      budget_policy_id: z.string().describe('Id of the budget policy'),
      budget_unit: z.literal('USD').describe('Unit of the budget'),
      budget_amount: z.number().describe('The budget limit'),
      current_spend: z.number().describe('What was spent when the limit was passed'),
      duration_unit: z.enum(['MINUTES', 'HOURS', 'DAYS', 'WEEKS', 'MONTHS']).describe('Unit of the budget window'),
      duration_value: z.int().describe('Length of the budget window'),
      target_scope: z.enum(['GLOBAL', 'WORKSPACE', 'ENDPOINT', 'USER']).describe('What the budget applies to'),
      workspace: z.string().describe('The workspace of the budget'),
      target_value: z.string().nullable().describe('The endpoint or user it applies to; null for GLOBAL and WORKSPACE'),
      window_start: z.int().describe(`Start of the budget window, ${MS}`),
    }),
    example: {
      budget_policy_id: 'bp-abc123',
      budget_unit: 'USD',
      budget_amount: 100.0,
      current_spend: 105.5,
      duration_unit: 'MONTHS',
      duration_value: 1,
      target_scope: 'ENDPOINT',
      workspace: 'default',
      target_value: 'ep-abc123',
      window_start: 1704067200000,
    },
  }),
];

// Logbook's further events: the same fields in both flavours

interface LogbookEventDefinition<Fields extends z.ZodRawShape = z.ZodRawShape> {
  event: string;
  meaning: string;
  firedBy: readonly string[];
  /** Whether the event is about one version (the payload then has `version`). */
  aboutVersion: boolean;
  fields: Fields;
  example: z.input<z.ZodObject<Fields>>;
  /** The sentence of the Databricks flavour's example. */
  exampleText: string;
}

const logbookEvent = <Fields extends z.ZodRawShape>(definition: LogbookEventDefinition<Fields>) =>
  definition as unknown as LogbookEventDefinition;

const exampleName = 'fraud';
const exampleRequestId = '9c1f0e7d2b3a4c5d6e7f8a9b0c1d2e3f';
const exampleDigest = 'sha256:3e1b0c6f4a2d8e7c9b5a1f0e2d4c6b8a0e2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c';

const LOGBOOK_EVENTS: LogbookEventDefinition[] = [
  logbookEvent({
    event: 'registered_model.renamed',
    meaning: 'A registered model was renamed; `name` is the new name.',
    firedBy: ['RegisteredModelRenamed'],
    aboutVersion: false,
    fields: { previous_name: z.string().min(1).describe('The name before') },
    example: { previous_name: 'fraud-v1' },
    exampleText: "Registered model 'fraud-v1' was renamed to 'fraud'.",
  }),
  logbookEvent({
    event: 'registered_model.deleted',
    meaning: 'A registered model was deleted, with its versions.',
    firedBy: ['RegisteredModelDeleted'],
    aboutVersion: false,
    fields: {},
    example: {},
    exampleText: "Registered model 'fraud' was deleted.",
  }),
  logbookEvent({
    event: 'model_version.ready',
    meaning: 'A version was registered: its source was verified and copied; it is READY.',
    firedBy: ['ModelVersionRegistrationCompleted'],
    aboutVersion: true,
    fields: {
      digest: z.string().min(1).describe("Digest of the version's model files"),
      storage_location: z.string().nullable().describe('Where the registry copy lives; null when served as is'),
    },
    example: {
      digest: 'sha256:9f2c0b7d5c1e4a8b6f3d2e1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a',
      storage_location: 'mlflow-artifacts:/registry/fraud/3',
    },
    exampleText: "Registered model 'fraud' version 3 is ready.",
  }),
  logbookEvent({
    event: 'model_version.registration_failed',
    meaning: 'A version could not be registered: it is FAILED_REGISTRATION.',
    firedBy: ['ModelVersionRegistrationFailed'],
    aboutVersion: true,
    fields: { status_message: z.string().describe('Why, for the user') },
    example: { status_message: 'No MLmodel file at the source' },
    exampleText: "Registered model 'fraud' version 3 failed registration: No MLmodel file at the source",
  }),
  logbookEvent({
    event: 'model_version.stage_transitioned',
    meaning: 'A version moved to a stage, with the versions archived in the same change.',
    firedBy: ['ModelVersionStageTransitioned'],
    aboutVersion: true,
    fields: {
      from_stage: stage.describe('The stage it was in'),
      to_stage: stage.describe('The stage it is in now'),
      archived_versions: z.array(z.string()).describe('Other versions moved from `to_stage` to Archived'),
      request_id: requestId.nullable().describe('The approved request it applied; null when a user moved it'),
    },
    example: { from_stage: 'Staging', to_stage: 'Production', archived_versions: ['2'], request_id: null },
    exampleText: "Registered model 'fraud' version 3 transitioned from Staging to Production. Version(s) 2 archived.",
  }),
  logbookEvent({
    event: 'model_version.deleted',
    meaning: 'A version was deleted.',
    firedBy: ['ModelVersionDeleted'],
    aboutVersion: true,
    fields: {},
    example: {},
    exampleText: "Registered model 'fraud' version 3 was deleted.",
  }),
  logbookEvent({
    event: 'model_version_alias.set',
    meaning: 'An alias was pointed at a version: created, or moved from another.',
    firedBy: ['RegisteredModelAliasSet'],
    aboutVersion: true,
    fields: {
      alias: aliasName,
      from_version: z.string().nullable().describe('The version it pointed to before; null when it is new'),
      to_version: z.string().describe('The version it points to now (`version`)'),
      request_id: requestId.nullable().describe('The approved request it applied; null when a user moved it'),
    },
    example: { alias: 'champion', from_version: '2', to_version: '3', request_id: null },
    exampleText: "Alias 'champion' of registered model 'fraud' moved from version 2 to version 3.",
  }),
  logbookEvent({
    event: 'model_version_alias.deleted',
    meaning:
      'An alias was removed: deleted, or gone with the version it pointed to (one delivery per alias). `version` is the version it pointed to.',
    firedBy: ['RegisteredModelAliasDeleted', 'ModelVersionWithdrawn'],
    aboutVersion: true,
    fields: {
      alias: aliasName,
      version_deleted: z.boolean().describe('Whether it went because its version was deleted'),
    },
    example: { alias: 'champion', version_deleted: false },
    exampleText: "Alias 'champion' of registered model 'fraud' (version 3) was deleted.",
  }),
  logbookEvent({
    event: 'transition_request.created',
    meaning: 'Someone asked for a version to enter a stage, or for a protected alias to point at it.',
    firedBy: ['TransitionRequested'],
    aboutVersion: true,
    fields: {
      request_id: requestId,
      to_stage: toStage,
      alias: toAlias,
      from_stage: stage.describe('The stage the version was in'),
      requester: WebhookPerson.describe('Who asked'),
      comment,
      digest,
      policy: z
        .strictObject({ name: z.string().describe('Policy name'), version: z.int().describe('Policy version') })
        .meta({ id: 'WebhookPolicyRef' })
        .nullable()
        .describe('The policy it is held to; null when none governs the target'),
      outcome,
      expires_at: z.int().nullable().describe(`When it expires, ${MS}; null: never`),
    },
    example: {
      request_id: exampleRequestId,
      to_stage: 'Production',
      alias: null,
      from_stage: 'Staging',
      requester: { id: '12', name: 'carol' },
      comment: 'AUC 0.93 on the holdout set',
      digest: exampleDigest,
      policy: { name: 'fraud-production', version: 2 },
      outcome: 'pending',
      expires_at: exampleTime + 259_200_000,
    },
    exampleText:
      'carol requested to move registered model \'fraud\' version 3 from Staging to Production: "AUC 0.93 on the holdout set"',
  }),
  logbookEvent({
    event: 'transition_request.approved',
    meaning: 'Someone approved a transition request (transition_request.applied follows when it was the last needed).',
    firedBy: ['ApprovalGiven'],
    aboutVersion: true,
    fields: {
      request_id: requestId,
      approver: WebhookPerson.describe('Who approved'),
      roles: z.array(z.string()).describe('The roles and groups they held'),
      comment,
      digest,
      outcome,
    },
    example: {
      request_id: exampleRequestId,
      approver: { id: '7', name: 'alice' },
      roles: ['risk'],
      comment: 'Backtest looks fine',
      digest: exampleDigest,
      outcome: 'pending',
    },
    exampleText: `alice approved request ${exampleRequestId} for registered model 'fraud' version 3: "Backtest looks fine"`,
  }),
  logbookEvent({
    event: 'transition_request.rejected',
    meaning: 'A transition request was rejected; it is closed.',
    firedBy: ['RequestRejected'],
    aboutVersion: true,
    fields: { request_id: requestId, rejected_by: WebhookPerson.describe('Who rejected it'), comment },
    example: { request_id: exampleRequestId, rejected_by: { id: '7', name: 'alice' }, comment: 'Drift on segment B' },
    exampleText: `alice rejected request ${exampleRequestId} for registered model 'fraud' version 3: "Drift on segment B"`,
  }),
  logbookEvent({
    event: 'transition_request.cancelled',
    meaning: 'Whoever made a transition request withdrew it; it is closed.',
    firedBy: ['RequestCancelled'],
    aboutVersion: true,
    fields: { request_id: requestId, cancelled_by: WebhookPerson.describe('Who cancelled it'), comment },
    example: { request_id: exampleRequestId, cancelled_by: { id: '12', name: 'carol' }, comment: null },
    exampleText: `carol cancelled request ${exampleRequestId} for registered model 'fraud' version 3.`,
  }),
  logbookEvent({
    event: 'transition_request.expired',
    meaning: 'A transition request was not approved in time; it is closed.',
    firedBy: ['RequestExpired'],
    aboutVersion: true,
    fields: { request_id: requestId, expires_at: z.int().describe(`When it expired, ${MS}`) },
    example: { request_id: exampleRequestId, expires_at: exampleTime },
    exampleText: `Request ${exampleRequestId} for registered model 'fraud' version 3 expired without the approvals it needed.`,
  }),
  logbookEvent({
    event: 'transition_request.voided',
    meaning: "The version's content or evidence changed after the request: its approvals are void; it is closed.",
    firedBy: ['RequestVoided'],
    aboutVersion: true,
    fields: { request_id: requestId, reason: z.string().describe('What changed, in words'), digest },
    example: {
      request_id: exampleRequestId,
      reason: "the version's content changed since the request: its approvals are void",
      digest: 'sha256:9d0a6b2c4e8f1a3b5c7d9e0f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b',
    },
    exampleText: `Request ${exampleRequestId} for registered model 'fraud' version 3 is void: the version's content changed since the request: its approvals are void`,
  }),
  logbookEvent({
    event: 'transition_request.applied',
    meaning: 'The system applied an approved request: the version entered the stage, or the alias moved.',
    firedBy: ['TransitionApplied'],
    aboutVersion: true,
    fields: {
      request_id: requestId,
      to_stage: toStage.describe('The stage the version entered; null when an alias moved'),
      alias: toAlias.describe('The alias that moved to the version; null for a stage'),
      archive_existing_versions: z.boolean().describe('Whether the other versions in the stage moved to Archived'),
      outcome,
      break_glass: z
        .strictObject({
          principal: WebhookPerson.describe('Who applied it without approvals'),
          reason: z.string().describe('The reason they gave'),
        })
        .meta({ id: 'WebhookBreakGlass' })
        .nullable()
        .describe('Set when a break-glass principal applied it without approvals'),
    },
    example: {
      request_id: exampleRequestId,
      to_stage: 'Production',
      alias: null,
      archive_existing_versions: true,
      outcome: 'approved',
      break_glass: null,
    },
    exampleText: `Request ${exampleRequestId} was applied: registered model 'fraud' version 3 to Production.`,
  }),
  logbookEvent({
    event: 'comment.created',
    meaning: 'A user commented on a model version.',
    firedBy: ['CommentCreated'],
    aboutVersion: true,
    fields: {
      comment: z.string().min(1).describe('The text of the comment'),
      comment_id: z.string().min(1).describe('Id of the comment'),
      user_id: z.string().min(1).describe("The author's name"),
    },
    example: {
      comment: 'Validated on the November holdout',
      comment_id: '9b1c7e2d4f6a48b0a1c3e5d7f9b2c4e6',
      user_id: 'ada',
    },
    exampleText: "ada commented on registered model 'fraud' version 3.",
  }),
];

function logbookMlflowPayload(definition: LogbookEventDefinition): WebhookPayloadContract {
  const data = z.strictObject({
    name: modelName,
    ...(definition.aboutVersion ? { version } : {}),
    ...definition.fields,
  });
  const example = {
    name: exampleName,
    ...(definition.aboutVersion ? { version: '3' } : {}),
    ...definition.example,
  };
  return mlflowPayload({ ...definition, catalogue: 'logbook', data, example: example as z.input<typeof data> });
}

// Databricks' flat payload

/** How a Databricks webhook names a Logbook event: `transition_request.approved` → TRANSITION_REQUEST_APPROVED. */
const inDatabricksSpelling = (event: string) => event.replace('.', '_').toUpperCase();

function databricksPayload(definition: {
  event: string;
  catalogue: 'databricks' | 'logbook';
  meaning: string;
  firedBy: readonly string[];
  aboutVersion: boolean;
  fields: z.ZodRawShape;
  example: Record<string, unknown>;
  exampleText: string;
}): WebhookPayloadContract {
  const body = z.strictObject({
    event: z.literal(definition.event).describe('The event'),
    webhook_id: z.string().min(1).describe('Id of the webhook it is delivered to'),
    event_timestamp: z.int().describe(`When it happened, ${MS}; the sending time in a test`),
    model_name: modelName,
    ...(definition.aboutVersion ? { version } : {}),
    ...definition.fields,
    text: z.string().describe('What happened, in a sentence for chat tools'),
    logbook_event_id: z
      .string()
      .min(1)
      .optional()
      .describe('Id of the registry event: the same for every delivery and retry of it; absent in a test delivery'),
    actor: WebhookActor.optional().describe('Who made the change; absent in a test delivery'),
  });
  const example = {
    event: definition.event,
    webhook_id: exampleWebhookId,
    event_timestamp: exampleTime,
    model_name: exampleName,
    ...(definition.aboutVersion ? { version: '3' } : {}),
    ...definition.example,
    text: definition.exampleText,
    logbook_event_id: exampleEventId,
    actor: exampleActor,
  };
  const { event, catalogue, meaning, firedBy } = definition;
  return { flavor: 'databricks', event, catalogue, meaning, firedBy, body, example: example as z.input<typeof body> };
}

const transitionFields = {
  to_stage: stage.describe('The stage it is in now'),
  from_stage: stage.describe('The stage it was in'),
};
const transitionExample = { to_stage: 'Production', from_stage: 'Staging' };
const transitionText = "Registered model 'fraud' version 3 transitioned from Staging to Production.";
const requestFields = {
  to_stage: z.enum(['Staging', 'Production', 'Archived']).describe('The stage asked for'),
  from_stage: stage.describe('The stage the version is in'),
};
const requestText = "carol requested a transition of registered model 'fraud' version 3 from Staging to Production.";

const perStage = (pattern: (upper: string) => string, what: (stage: string) => string) =>
  (['Staging', 'Production', 'Archived'] as const).map((stageName) => ({
    event: pattern(stageName.toUpperCase()),
    stageName,
    meaning: what(stageName),
  }));

const DATABRICKS_OWN_EVENTS: ReadonlySet<string> = new Set(['TRANSITION_REQUEST_CREATED', 'COMMENT_CREATED']);

const DATABRICKS_EVENTS: WebhookPayloadContract[] = [
  databricksPayload({
    event: 'MODEL_VERSION_CREATED',
    catalogue: 'databricks',
    meaning: 'A new model version was created for the model.',
    firedBy: ['ModelVersionCreated'],
    aboutVersion: true,
    fields: {},
    example: {},
    exampleText: "A new version of registered model 'fraud' was created: version 3.",
  }),
  databricksPayload({
    event: 'REGISTERED_MODEL_CREATED',
    catalogue: 'databricks',
    meaning: 'A new registered model was created (registry-wide webhooks only).',
    firedBy: ['RegisteredModelCreated'],
    aboutVersion: false,
    fields: {},
    example: {},
    exampleText: "Registered model 'fraud' was created.",
  }),
  databricksPayload({
    event: 'MODEL_VERSION_TAG_SET',
    catalogue: 'databricks',
    meaning: 'A user set a tag on a model version.',
    firedBy: ['ModelVersionTagSet'],
    aboutVersion: true,
    fields: {
      tags: z
        .array(z.strictObject({ key: tagKey, value: tagValue }).meta({ id: 'WebhookTag' }))
        .describe('The tags set'),
    },
    example: { tags: [{ key: 'validated', value: 'true' }] },
    exampleText: "alice set version tag(s) 'validated' => 'true' for registered model 'fraud' version 3.",
  }),
  databricksPayload({
    event: 'MODEL_VERSION_TRANSITIONED_STAGE',
    catalogue: 'databricks',
    meaning: "A model version's stage changed.",
    firedBy: ['ModelVersionStageTransitioned'],
    aboutVersion: true,
    fields: transitionFields,
    example: transitionExample,
    exampleText: transitionText,
  }),
  ...perStage(
    (upper) => `MODEL_VERSION_TRANSITIONED_TO_${upper}`,
    (stageName) => `A model version was transitioned to ${stageName} (with MODEL_VERSION_TRANSITIONED_STAGE).`,
  ).map(({ event, stageName, meaning }) =>
    databricksPayload({
      event,
      catalogue: 'databricks',
      meaning,
      firedBy: ['ModelVersionStageTransitioned'],
      aboutVersion: true,
      fields: transitionFields,
      example: { ...transitionExample, to_stage: stageName },
      exampleText: transitionText.replace('Production', stageName),
    }),
  ),
  ...perStage(
    (upper) => `TRANSITION_REQUEST_TO_${upper}_CREATED`,
    (stageName) =>
      `A user requested a model version be transitioned to ${stageName} (with TRANSITION_REQUEST_CREATED).`,
  ).map(({ event, stageName, meaning }) =>
    databricksPayload({
      event,
      catalogue: 'databricks',
      meaning,
      firedBy: ['TransitionRequested'],
      aboutVersion: true,
      fields: requestFields,
      example: { to_stage: stageName, from_stage: 'Staging' },
      exampleText: requestText.replace('Production', stageName),
    }),
  ),
  ...LOGBOOK_EVENTS.map((definition) => {
    const event = inDatabricksSpelling(definition.event);
    // TRANSITION_REQUEST_CREATED and COMMENT_CREATED are Databricks' own: Logbook's payload adds to theirs.
    const catalogue = DATABRICKS_OWN_EVENTS.has(event) ? 'databricks' : 'logbook';
    return databricksPayload({
      ...definition,
      event,
      catalogue,
      example: definition.example as Record<string, unknown>,
    });
  }),
];

/** Every payload a webhook can be delivered, by flavour and event. */
export const WEBHOOK_PAYLOADS: readonly WebhookPayloadContract[] = [
  ...MLFLOW_PAIRS,
  ...LOGBOOK_EVENTS.map(logbookMlflowPayload),
  ...DATABRICKS_EVENTS,
];

/** The contract of a delivered payload; undefined when no webhook of the flavour names the event so. */
export function webhookPayloadContract(
  flavor: WebhookPayloadFlavor,
  event: string,
  catalogue: WebhookPayloadCatalogue,
): WebhookPayloadContract | undefined {
  return WEBHOOK_PAYLOADS.find(
    (contract) => contract.flavor === flavor && contract.event === event && contract.catalogue === catalogue,
  );
}
