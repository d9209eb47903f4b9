import { z } from 'zod';
import { CommandTopicContract, eventContract, TopicContract } from './contract';
import { eventTopic } from './topics';
import { Tag } from './tracking';

export const REGISTRY_PRODUCER = 'registry';

const MS = 'milliseconds since the Unix epoch';
const registeredModelId = z
  .string()
  .min(1)
  .describe("Logbook's id of the registered model: stable across renames, new when a deleted name is registered again");
const name = z.string().min(1).describe('Name of the registered model when it happened');
const version = z.int().min(1).describe('Version number, from 1 per registered model');
const alias = z.string().min(1).describe('Alias name, unique per registered model');
const time = z.int().describe(`When it happened, ${MS}`);
export const MODEL_VERSION_STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
const stage = z.enum(MODEL_VERSION_STAGES);

const exampleId = '3f2b8c1d9e7a4b6c8d0e1f2a3b4c5d6e';
const exampleTime = 1764864000000;
const exampleKey = { registeredModelId: exampleId, name: 'fraud' };
const exampleVersion = { ...exampleKey, version: 3 };

// Registered models

export const RegisteredModelCreatedV1 = eventContract({
  name: 'RegisteredModelCreated',
  schemaVersion: 1,
  meaning: 'A registered model (or a prompt, tagged mlflow.prompt.is_prompt) was created.',
  data: z.object({
    registeredModelId,
    name: z.string().min(1).describe('Name, unique among live registered models'),
    description: z.string().nullable().describe('Description given at creation'),
    tags: z.array(Tag).describe('Tags given at creation'),
    time,
  }),
  example: {
    ...exampleKey,
    description: 'Card fraud classifier',
    tags: [{ key: 'team', value: 'risk' }],
    time: exampleTime,
  },
});

export const RegisteredModelRenamedV1 = eventContract({
  name: 'RegisteredModelRenamed',
  schemaVersion: 1,
  meaning: 'A registered model was renamed; its versions carry the new name from now on.',
  data: z.object({
    registeredModelId,
    name: z.string().min(1).describe('The new name'),
    previousName: z.string().min(1).describe('The name before'),
    time,
  }),
  example: { registeredModelId: exampleId, name: 'fraud-v2', previousName: 'fraud', time: exampleTime },
});

export const RegisteredModelDescriptionUpdatedV1 = eventContract({
  name: 'RegisteredModelDescriptionUpdated',
  schemaVersion: 1,
  meaning: "A registered model's description was set (empty when it was cleared).",
  data: z.object({ registeredModelId, name, description: z.string().describe('The new description'), time }),
  example: { ...exampleKey, description: 'Gradient boosting, weekly retrain', time: exampleTime },
});

export const RegisteredModelDeletedV1 = eventContract({
  name: 'RegisteredModelDeleted',
  schemaVersion: 1,
  meaning: 'A registered model was deleted, with its versions, tags and aliases.',
  data: z.object({ registeredModelId, name, time }),
  example: { ...exampleKey, time: exampleTime },
});

export const RegisteredModelTagSetV1 = eventContract({
  name: 'RegisteredModelTagSet',
  schemaVersion: 1,
  meaning: 'A tag of a registered model was set (created or overwritten).',
  data: z.object({
    registeredModelId,
    name,
    key: z.string().describe('Tag name'),
    value: z.string().describe('Tag value'),
    time,
  }),
  example: { ...exampleKey, key: 'team', value: 'risk', time: exampleTime },
});

export const RegisteredModelTagDeletedV1 = eventContract({
  name: 'RegisteredModelTagDeleted',
  schemaVersion: 1,
  meaning: 'A tag of a registered model was removed.',
  data: z.object({ registeredModelId, name, key: z.string().describe('Tag name'), time }),
  example: { ...exampleKey, key: 'team', time: exampleTime },
});

export const RegisteredModelAliasSetV1 = eventContract({
  name: 'RegisteredModelAliasSet',
  schemaVersion: 1,
  meaning: 'An alias was pointed at a version: created, or moved from the version it pointed to before.',
  data: z.object({
    registeredModelId,
    name,
    alias,
    version: version.describe('The version it points to now'),
    previousVersion: z.int().min(1).nullable().describe('The version it pointed to before; null when it is new'),
    requestId: z
      .string()
      .min(1)
      .optional()
      .describe('The approved transition request the system applied it for; absent when a user changed it directly'),
    time,
  }),
  example: { ...exampleKey, alias: 'champion', version: 3, previousVersion: 2, time: exampleTime },
});

export const RegisteredModelAliasDeletedV1 = eventContract({
  name: 'RegisteredModelAliasDeleted',
  schemaVersion: 1,
  meaning: 'An alias was removed.',
  data: z.object({ registeredModelId, name, alias, version: version.describe('The version it pointed to'), time }),
  example: { ...exampleKey, alias: 'champion', version: 3, time: exampleTime },
});

export const ModelVersionNumberAssignedV1 = eventContract({
  name: 'ModelVersionNumberAssigned',
  schemaVersion: 1,
  meaning:
    'The registered model counted a new version (ModelVersionCreated on the model-version topic follows, from the same transaction).',
  data: z.object({ registeredModelId, name, version, time }),
  example: { ...exampleVersion, time: exampleTime },
});

export const ModelVersionStageTransitionedV1 = eventContract({
  name: 'ModelVersionStageTransitioned',
  schemaVersion: 1,
  meaning:
    'A version moved to a stage; with archive_existing_versions, the other versions in that stage moved to Archived in the same change.',
  data: z.object({
    registeredModelId,
    name,
    version,
    stage: stage.describe('The stage it is in now'),
    previousStage: stage.describe('The stage it was in'),
    archivedVersions: z.array(z.int().min(1)).describe('Other versions moved from `stage` to Archived'),
    requestId: z
      .string()
      .min(1)
      .optional()
      .describe('The approved transition request the system applied it for; absent when a user changed it directly'),
    time,
  }),
  example: {
    ...exampleVersion,
    stage: 'Production',
    previousStage: 'Staging',
    archivedVersions: [2],
    time: exampleTime,
  },
});

export const ModelVersionWithdrawnV1 = eventContract({
  name: 'ModelVersionWithdrawn',
  schemaVersion: 1,
  meaning:
    'A deleted version left its registered model: its stage and the aliases that pointed to it are gone (ModelVersionDeleted follows).',
  data: z.object({
    registeredModelId,
    name,
    version,
    removedAliases: z.array(z.string()).describe('Aliases that pointed to it and were removed'),
    time,
  }),
  example: { ...exampleVersion, removedAliases: ['champion'], time: exampleTime },
});

// Model versions

export const ModelVersionCreatedV1 = eventContract({
  name: 'ModelVersionCreated',
  schemaVersion: 1,
  meaning:
    'A version was registered from a source and awaits verification (PENDING_REGISTRATION): the artifacts service checks and copies the source, and the registry then records the outcome.',
  data: z.object({
    registeredModelId,
    name,
    version,
    source: z
      .string()
      .min(1)
      .describe('Where the model comes from: runs:/, models:/, mlflow-artifacts:/ or a store URI'),
    runId: z.string().nullable().describe('Run that produced it'),
    runIdInferred: z
      .literal(true)
      .optional()
      .describe("Set when the client named no run and runId is the source's logged model's run"),
    runLink: z.string().nullable().describe('Link to the run, as the client gave it'),
    description: z.string().nullable().describe('Description given at creation'),
    modelId: z.string().nullable().describe('The MLflow 3 logged model it promotes'),
    tags: z.array(Tag).describe('Tags given at creation'),
    time,
  }),
  example: {
    ...exampleVersion,
    source: 'models:/m-4a1b2c3d4e5f60718293a4b5c6d7e8f9',
    runId: '0f6c3e1a9b8d4c2e8f7a6b5c4d3e2f10',
    runLink: null,
    description: null,
    modelId: 'm-4a1b2c3d4e5f60718293a4b5c6d7e8f9',
    tags: [],
    time: exampleTime,
  },
});

export const ModelVersionRegistrationCompletedV1 = eventContract({
  name: 'ModelVersionRegistrationCompleted',
  schemaVersion: 1,
  meaning: 'The source was verified and copied: the version is READY, with the digest of its content.',
  data: z.object({
    registeredModelId,
    name,
    version,
    digest: z.string().min(1).describe("Digest of the version's model files"),
    storageLocation: z
      .string()
      .nullable()
      .describe('Where the registry copy lives; null when the source is served as is'),
    time,
  }),
  example: {
    ...exampleVersion,
    digest: 'sha256:9f2c0b7d5c1e4a8b6f3d2e1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a',
    storageLocation: 'mlflow-artifacts:/registry/fraud/3',
    time: exampleTime,
  },
});

export const ModelVersionRegistrationFailedV1 = eventContract({
  name: 'ModelVersionRegistrationFailed',
  schemaVersion: 1,
  meaning: 'The source could not be verified or copied: the version is FAILED_REGISTRATION.',
  data: z.object({ registeredModelId, name, version, statusMessage: z.string().describe('Why, for the user'), time }),
  example: { ...exampleVersion, statusMessage: 'No MLmodel file at the source', time: exampleTime },
});

export const ModelVersionDescriptionUpdatedV1 = eventContract({
  name: 'ModelVersionDescriptionUpdated',
  schemaVersion: 1,
  meaning: "A version's description was set; null when the request left it out.",
  data: z.object({
    registeredModelId,
    name,
    version,
    description: z.string().nullable().describe('The new description'),
    time,
  }),
  example: { ...exampleVersion, description: 'Retrained on November data', time: exampleTime },
});

export const ModelVersionTagSetV1 = eventContract({
  name: 'ModelVersionTagSet',
  schemaVersion: 1,
  meaning: 'A tag of a version was set (created or overwritten).',
  data: z.object({
    registeredModelId,
    name,
    version,
    key: z.string().describe('Tag name'),
    value: z.string().describe('Tag value'),
    time,
  }),
  example: { ...exampleVersion, key: 'validated', value: 'true', time: exampleTime },
});

export const ModelVersionTagDeletedV1 = eventContract({
  name: 'ModelVersionTagDeleted',
  schemaVersion: 1,
  meaning: 'A tag of a version was removed.',
  data: z.object({ registeredModelId, name, version, key: z.string().describe('Tag name'), time }),
  example: { ...exampleVersion, key: 'validated', time: exampleTime },
});

export const ModelVersionDeletedV1 = eventContract({
  name: 'ModelVersionDeleted',
  schemaVersion: 1,
  meaning: "A version was deleted (MLflow's soft delete: its number stays taken, its source and run are redacted).",
  data: z.object({ registeredModelId, name, version, time }),
  example: { ...exampleVersion, time: exampleTime },
});

// Comments on model versions (Databricks' comments)

const commentId = z.string().min(1).describe('Id of the comment, as the comments API names it');
const commentText = z.string().min(1).describe('The text of the comment');
const exampleComment = { ...exampleVersion, commentId: '9b1c7e2d4f6a48b0a1c3e5d7f9b2c4e6' };

export const CommentCreatedV1 = eventContract({
  name: 'CommentCreated',
  schemaVersion: 1,
  meaning: 'A user commented on a model version.',
  data: z.object({
    registeredModelId,
    name,
    version,
    commentId,
    comment: commentText,
    authorId: z.string().min(1).describe('Id of the author (the actor), the only one who may edit it'),
    userId: z.string().min(1).describe("The author's name, shown as the comment's user_id"),
    time,
  }),
  example: {
    ...exampleComment,
    comment: 'Validated on the November holdout',
    authorId: '7',
    userId: 'ada',
    time: exampleTime,
  },
});

export const CommentEditedV1 = eventContract({
  name: 'CommentEdited',
  schemaVersion: 1,
  meaning: "A comment's author changed its text.",
  data: z.object({ registeredModelId, name, version, commentId, comment: commentText.describe('The new text'), time }),
  example: { ...exampleComment, comment: 'Validated on the November and December holdouts', time: exampleTime },
});

export const CommentDeletedV1 = eventContract({
  name: 'CommentDeleted',
  schemaVersion: 1,
  meaning: 'A comment was deleted, by its author or an admin.',
  data: z.object({ registeredModelId, name, version, commentId, time }),
  example: { ...exampleComment, time: exampleTime },
});

// Approval policies

const policyName = z.string().min(1).describe('Policy name, unique among live policies; the stream is named after it');
const policyVersion = z.int().min(1).describe('Version of the policy, from 1; a policy created again counts on');
const PolicyTargets = z
  .object({
    stages: z
      .array(z.enum(['Staging', 'Production', 'Archived']))
      .describe('Stages a version enters only with approval'),
    aliases: z.array(z.string().min(1)).describe('Protected aliases, moved only with approval'),
  })
  .meta({ id: 'PolicyTargets' });
const ApprovalRequirement = z
  .object({
    count: z.int().min(1).describe('Approvals needed'),
    from: z.array(z.string().min(1)).describe('Roles or groups (OIDC), one of which each approver must hold'),
  })
  .meta({ id: 'ApprovalRequirement' });
const MetricThreshold = z
  .object({
    key: z.string().min(1).describe('Metric of the source run'),
    op: z.enum(['>=', '>', '<=', '<', '==']).describe('How its latest value compares with `value`'),
    value: z.number().describe('The threshold'),
  })
  .meta({ id: 'MetricThreshold' });
const PolicyEvidence = z
  .object({
    tags: z.record(z.string(), z.string()).describe('Version tags that must hold these values: key to value'),
    metrics: z.array(MetricThreshold).describe('Thresholds on the latest metrics of the source run'),
    ready: z.boolean().describe('Whether the version must be READY'),
  })
  .meta({ id: 'PolicyEvidence' });
const BreakGlass = z
  .object({
    principals: z.array(z.string().min(1)).describe('User names that may apply without approvals, giving a reason'),
  })
  .meta({ id: 'BreakGlass' });
const PolicyDefinition = z
  .object({
    name: policyName,
    description: z.string().describe('What the policy is for'),
    applies_to: z.string().min(1).describe('A registered model name, or a glob (`*`, `?`) over names: `fraud-*`'),
    targets: PolicyTargets.describe('What the policy governs'),
    approvals: z
      .array(ApprovalRequirement)
      .describe('Requirements, every one of which must be met; one person counts toward one requirement'),
    evidence: PolicyEvidence.describe('Checked when a request is made and again when it is applied'),
    expires_after: z
      .string()
      .nullable()
      .describe('How long a request waits for its approvals (`72h`, `7d`); null: no limit'),
    break_glass: BreakGlass.describe('Who may bypass the approvals'),
  })
  .meta({ id: 'PolicyDefinition' });
const policyRef = z.object({ name: policyName, version: policyVersion }).meta({ id: 'PolicyRef' });
const policyHash = z
  .string()
  .min(1)
  .describe("sha256: of the definition's canonical JSON; equal definitions hash alike");

const examplePolicy = {
  name: 'fraud-production',
  description: 'Risk and the owners sign off promotions of fraud models',
  applies_to: 'fraud-*',
  targets: { stages: ['Production' as const], aliases: ['champion'] },
  approvals: [
    { count: 1, from: ['risk'] },
    { count: 1, from: ['model-owners'] },
  ],
  evidence: { tags: { validation: 'passed' }, metrics: [{ key: 'auc', op: '>=' as const, value: 0.9 }], ready: true },
  expires_after: '72h',
  break_glass: { principals: ['oncall-lead'] },
};
const exampleHash = 'sha256:fecf36d09c2c4106b6e4b71f3fe8d3022072294d5839d91f2d2be8bb7945a825';

export const PolicyCreatedV1 = eventContract({
  name: 'PolicyCreated',
  schemaVersion: 1,
  meaning: 'An approval policy was created (through the API, or from the policies file at start).',
  data: z.object({
    name: policyName,
    version: policyVersion,
    definition: PolicyDefinition.describe('The whole definition of this version'),
    hash: policyHash,
    time,
  }),
  example: { name: 'fraud-production', version: 1, definition: examplePolicy, hash: exampleHash, time: exampleTime },
});

export const PolicyUpdatedV1 = eventContract({
  name: 'PolicyUpdated',
  schemaVersion: 1,
  meaning:
    'An approval policy changed: a new version, with its whole definition. Requests keep the version they were evaluated against.',
  data: z.object({
    name: policyName,
    version: policyVersion,
    definition: PolicyDefinition.describe('The whole definition of this version'),
    hash: policyHash,
    time,
  }),
  example: {
    name: 'fraud-production',
    version: 2,
    definition: { ...examplePolicy, expires_after: '7d' },
    hash: 'sha256:765d7c4738bf887233dbf50a4b222f863c3e8318d4e44934d8399589e80cd0c6',
    time: exampleTime,
  },
});

export const PolicyDeletedV1 = eventContract({
  name: 'PolicyDeleted',
  schemaVersion: 1,
  meaning: 'An approval policy was deleted: what it governed is no longer governed by it. Its versions stay readable.',
  data: z.object({ name: policyName, version: policyVersion.describe('The last version'), time }),
  example: { name: 'fraud-production', version: 2, time: exampleTime },
});

export const REGISTRY_REGISTERED_MODEL_TOPIC: TopicContract = {
  name: eventTopic(REGISTRY_PRODUCER, 'registered-model'),
  producer: REGISTRY_PRODUCER,
  streamType: 'registered-model',
  meaning:
    'The life of each registered model: creation, renames, description, tags, aliases, version numbers, stage transitions, deletion.',
  key: '`registered-model-<registeredModelId>`, the stream id',
  events: [
    RegisteredModelCreatedV1,
    RegisteredModelRenamedV1,
    RegisteredModelDescriptionUpdatedV1,
    RegisteredModelDeletedV1,
    RegisteredModelTagSetV1,
    RegisteredModelTagDeletedV1,
    RegisteredModelAliasSetV1,
    RegisteredModelAliasDeletedV1,
    ModelVersionNumberAssignedV1,
    ModelVersionStageTransitionedV1,
    ModelVersionWithdrawnV1,
  ],
};

export const REGISTRY_MODEL_VERSION_TOPIC: TopicContract = {
  name: eventTopic(REGISTRY_PRODUCER, 'model-version'),
  producer: REGISTRY_PRODUCER,
  streamType: 'model-version',
  meaning: 'The life of each model version: creation, the outcome of its registration, description, tags, deletion.',
  key: '`model-version-<registeredModelId>-<version>`, the stream id',
  events: [
    ModelVersionCreatedV1,
    ModelVersionRegistrationCompletedV1,
    ModelVersionRegistrationFailedV1,
    ModelVersionDescriptionUpdatedV1,
    ModelVersionTagSetV1,
    ModelVersionTagDeletedV1,
    ModelVersionDeletedV1,
  ],
};

export const REGISTRY_COMMENT_TOPIC: TopicContract = {
  name: eventTopic(REGISTRY_PRODUCER, 'comment'),
  producer: REGISTRY_PRODUCER,
  streamType: 'comment',
  meaning: 'The life of each comment on a model version: written, edited, deleted.',
  key: '`comment-<commentId>`, the stream id',
  events: [CommentCreatedV1, CommentEditedV1, CommentDeletedV1],
};

export const REGISTRY_POLICY_TOPIC: TopicContract = {
  name: eventTopic(REGISTRY_PRODUCER, 'policy'),
  producer: REGISTRY_PRODUCER,
  streamType: 'policy',
  meaning: 'The versions of each approval policy: creation, each change (a new version, whole), deletion.',
  key: '`policy-<name>`, the stream id',
  events: [PolicyCreatedV1, PolicyUpdatedV1, PolicyDeletedV1],
};

// Transition requests

const requestId = z.string().min(1).describe("Logbook's id of the transition request");
const person = z
  .object({ id: z.string().min(1).describe("The person's id"), name: z.string().describe('Their user name') })
  .meta({ id: 'Person' });
const requestTarget = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('stage'), stage: z.enum(['Staging', 'Production', 'Archived']) }),
    z.object({ kind: z.literal('alias'), alias }),
  ])
  .meta({ id: 'RequestTarget' })
  .describe('What the version is to become: in a stage, or the version a protected alias points at');
const requestComment = z.string().nullable().describe('What the person wrote; null when nothing');
const RequirementProgress = z
  .object({
    count: z.int().min(1).describe('Approvals needed'),
    from: z.array(z.string()).describe('Roles or groups an approver must hold one of'),
    approvers: z.array(person).describe('Approvers counted toward it; each counts toward one requirement'),
    met: z.boolean(),
  })
  .meta({ id: 'RequirementProgress' });
const UncountedApproval = z
  .object({ approver: person, reason: z.string().describe('Why it does not count') })
  .meta({ id: 'UncountedApproval' });
const BreakGlassUse = z
  .object({ principal: person, reason: z.string().min(1).describe('The reason they gave') })
  .meta({ id: 'BreakGlassUse' });
const PolicyEvaluation = z
  .object({
    policy: policyRef,
    outcome: z.enum(['approved', 'pending', 'rejected', 'expired', 'void']),
    reasons: z.array(z.string()).describe('Why the outcome is what it is, in words'),
    satisfied: z.array(z.string()).describe('Requirements met, with who met them'),
    missing: z.array(z.string()).describe('Requirements not met yet'),
    evidenceFailures: z.array(z.string()).describe('Evidence the version lacks'),
    requirements: z.array(RequirementProgress),
    notCounted: z.array(UncountedApproval).describe('Approvals that do not count, and why'),
    breakGlass: z.boolean().describe('Applied without approvals by a break-glass principal'),
    evaluatedAt: time.describe(`When it was evaluated, ${MS}`),
    expiresAt: z.int().nullable().describe(`When the request expires, ${MS}; null: never`),
  })
  .meta({ id: 'PolicyEvaluation' })
  .describe("A policy's verdict on a request");
const requestKey = { requestId, registeredModelId, name, version };
const exampleRequest = { requestId: '9c1f0e7d2b3a4c5d6e7f8a9b0c1d2e3f', ...exampleVersion };
const exampleEvaluation = {
  policy: { name: 'fraud-production', version: 2 },
  outcome: 'pending' as const,
  reasons: ['waiting for 2 of 2 requirements'],
  satisfied: [],
  missing: ['1 approval from risk: has 0 of 1', '1 approval from model-owners: has 0 of 1'],
  evidenceFailures: [],
  requirements: [
    { count: 1, from: ['risk'], approvers: [], met: false },
    { count: 1, from: ['model-owners'], approvers: [], met: false },
  ],
  notCounted: [],
  breakGlass: false,
  evaluatedAt: exampleTime,
  expiresAt: exampleTime + 259_200_000,
};

export const TransitionRequestedV1 = eventContract({
  name: 'TransitionRequested',
  schemaVersion: 1,
  meaning:
    'Someone asked for a version to enter a stage (or for a protected alias to point at it). When a policy governs the target, the request is held to that policy version.',
  data: z.object({
    ...requestKey,
    target: requestTarget,
    fromStage: stage.describe('The stage the version was in'),
    requester: person.describe('Who asked'),
    comment: requestComment,
    digest: z
      .string()
      .min(1)
      .describe("What approvals bind to: the version's content digest with the evidence its policy reads"),
    policy: policyRef
      .nullable()
      .describe('The policy it is held to; null: none governs the target, and one approval applies it'),
    evaluation: PolicyEvaluation.nullable().describe('The first evaluation; null without a policy'),
    expiresAt: z.int().nullable().describe(`When it expires, ${MS}; null: never`),
    time,
  }),
  example: {
    ...exampleRequest,
    target: { kind: 'stage', stage: 'Production' },
    fromStage: 'Staging',
    requester: { id: '12', name: 'carol' },
    comment: 'AUC 0.93 on the holdout set',
    digest: 'sha256:3e1b0c6f4a2d8e7c9b5a1f0e2d4c6b8a0e2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c',
    policy: { name: 'fraud-production', version: 2 },
    evaluation: exampleEvaluation,
    expiresAt: exampleTime + 259_200_000,
    time: exampleTime,
  },
});

export const ApprovalGivenV1 = eventContract({
  name: 'ApprovalGiven',
  schemaVersion: 1,
  meaning:
    'Someone approved a transition request; TransitionApplied follows in the same change when it was the last approval needed.',
  data: z.object({
    ...requestKey,
    approver: person.describe('Who approved'),
    roles: z.array(z.string()).describe('The roles and groups they held when they approved'),
    comment: requestComment,
    digest: z.string().min(1).describe('The bound digest they approved'),
    evaluation: PolicyEvaluation.nullable().describe(
      "The policy's verdict with this approval counted; null without a policy",
    ),
    time,
  }),
  example: {
    ...exampleRequest,
    approver: { id: '7', name: 'alice' },
    roles: ['risk'],
    comment: 'Backtest looks fine',
    digest: 'sha256:3e1b0c6f4a2d8e7c9b5a1f0e2d4c6b8a0e2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c',
    evaluation: exampleEvaluation,
    time: exampleTime,
  },
});

export const RequestRejectedV1 = eventContract({
  name: 'RequestRejected',
  schemaVersion: 1,
  meaning: 'A transition request was rejected; it is closed.',
  data: z.object({ ...requestKey, rejectedBy: person.describe('Who rejected it'), comment: requestComment, time }),
  example: {
    ...exampleRequest,
    rejectedBy: { id: '7', name: 'alice' },
    comment: 'Drift on segment B',
    time: exampleTime,
  },
});

export const RequestCancelledV1 = eventContract({
  name: 'RequestCancelled',
  schemaVersion: 1,
  meaning: 'Whoever made a transition request withdrew it; it is closed.',
  data: z.object({
    ...requestKey,
    cancelledBy: person.describe('Who cancelled it: the requester'),
    comment: requestComment,
    time,
  }),
  example: { ...exampleRequest, cancelledBy: { id: '12', name: 'carol' }, comment: null, time: exampleTime },
});

export const RequestExpiredV1 = eventContract({
  name: 'RequestExpired',
  schemaVersion: 1,
  meaning: 'A transition request was not approved within the time its policy allows; it is closed.',
  data: z.object({ ...requestKey, expiresAt: time.describe(`When it expired, ${MS}`), time }),
  example: { ...exampleRequest, expiresAt: exampleTime, time: exampleTime + 1000 },
});

export const RequestVoidedV1 = eventContract({
  name: 'RequestVoided',
  schemaVersion: 1,
  meaning:
    "The version's content or the evidence its policy reads changed after the request was made: its approvals are void and it is closed.",
  data: z.object({
    ...requestKey,
    reason: z.string().describe('What changed, in words'),
    digest: z.string().min(1).describe('The bound digest now'),
    evaluation: PolicyEvaluation.nullable().describe('The evaluation that found the change; null without a policy'),
    time,
  }),
  example: {
    ...exampleRequest,
    reason: "the version's content changed since the request: its approvals are void",
    digest: 'sha256:9d0a6b2c4e8f1a3b5c7d9e0f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b',
    evaluation: { ...exampleEvaluation, outcome: 'void' as const },
    time: exampleTime,
  },
});

export const TransitionAppliedV1 = eventContract({
  name: 'TransitionApplied',
  schemaVersion: 1,
  meaning:
    "The system applied a request: the version entered the stage (or the alias moved), in the same change as this event, with the evaluation that allowed it. The registered model's ModelVersionStageTransitioned or RegisteredModelAliasSet names the request.",
  data: z.object({
    ...requestKey,
    target: requestTarget,
    archiveExistingVersions: z.boolean().describe('Whether the other versions in the stage moved to Archived'),
    evaluation: PolicyEvaluation.nullable().describe('What allowed it; null without a policy (one approval)'),
    breakGlass: BreakGlassUse.nullable().describe(
      'Set when a break-glass principal applied it without approvals, with their reason',
    ),
    time,
  }),
  example: {
    ...exampleRequest,
    target: { kind: 'stage', stage: 'Production' },
    archiveExistingVersions: true,
    evaluation: { ...exampleEvaluation, outcome: 'approved' as const, reasons: ['every approval requirement is met'] },
    breakGlass: null,
    time: exampleTime,
  },
});

export const REGISTRY_TRANSITION_REQUEST_TOPIC: TopicContract = {
  name: eventTopic(REGISTRY_PRODUCER, 'transition-request'),
  producer: REGISTRY_PRODUCER,
  streamType: 'transition-request',
  meaning:
    'Each transition request from its making to its end: approvals, rejection, cancellation, expiry, voiding, and the transition applied.',
  key: '`transition-request-<requestId>`, the stream id',
  events: [
    TransitionRequestedV1,
    ApprovalGivenV1,
    RequestRejectedV1,
    RequestCancelledV1,
    RequestExpiredV1,
    RequestVoidedV1,
    TransitionAppliedV1,
  ],
};

// Commands driving transition requests, and their results

const commandId = z
  .uuid()
  .describe('The id the sender gave the command: a command sent again with the same id takes effect once');
const commandType = z
  .enum(['RequestTransition', 'ApproveRequest', 'RejectRequest', 'CancelRequest'])
  .describe('The command it answers');
const commandUser = z.string().min(1).describe('The user the command acted as');
const commandVersion = z.string().min(1).describe('Version number, as MLflow sends it');
const commandStage = z
  .string()
  .optional()
  .describe('The stage to request (Staging, Production, Archived; any case); exactly one of stage and alias');
const commandAlias = z
  .string()
  .optional()
  .describe('The protected alias to point at the version; exactly one of stage and alias');
const commandComment = z.string().optional().describe('What the user writes with it');
const commandTarget = {
  name: name.describe('Name of the registered model'),
  version: commandVersion,
  stage: commandStage,
  alias: commandAlias,
};
const exampleCommandTarget = { name: 'fraud', version: '3', stage: 'Production' };

export const RequestTransitionV1 = eventContract({
  name: 'RequestTransition',
  schemaVersion: 1,
  meaning:
    'Asks for a version to enter a stage (or a protected alias to point at it), as POST transition-requests/create does; the user needs what that route needs.',
  data: z.object({
    ...commandTarget,
    comment: commandComment,
    break_glass_reason: z
      .string()
      .optional()
      .describe("Apply at once as one of the policy's break-glass principals, for this reason"),
  }),
  example: { ...exampleCommandTarget, comment: 'AUC 0.93 on the holdout set' },
});

export const ApproveRequestV1 = eventContract({
  name: 'ApproveRequest',
  schemaVersion: 1,
  meaning:
    "Approves the open request for the target, as POST transition-requests/approve does: the user must hold a role the request's policy takes approvals from, and never counts on their own request.",
  data: z.object({
    ...commandTarget,
    archive_existing_versions: z.boolean().describe('Move the other versions in the stage to Archived when it applies'),
    comment: commandComment,
  }),
  example: { ...exampleCommandTarget, archive_existing_versions: true, comment: 'Backtest looks fine' },
});

export const RejectRequestV1 = eventContract({
  name: 'RejectRequest',
  schemaVersion: 1,
  meaning: 'Rejects the open request for the target, as POST transition-requests/reject does.',
  data: z.object({ ...commandTarget, comment: commandComment }),
  example: { ...exampleCommandTarget, comment: 'Drift on segment B' },
});

export const CancelRequestV1 = eventContract({
  name: 'CancelRequest',
  schemaVersion: 1,
  meaning:
    'Withdraws the open request for the target that the user made, as DELETE transition-requests/delete does with the user as its creator.',
  data: z.object({ ...commandTarget, comment: commandComment }),
  example: { ...exampleCommandTarget },
});

export const TransitionRequestCommandAcceptedV1 = eventContract({
  name: 'TransitionRequestCommandAccepted',
  schemaVersion: 1,
  meaning:
    'A command took effect: its events (TransitionRequested, ApprovalGiven, ...) are on the transition-request topic, from the same change.',
  data: z.object({
    commandId,
    command: commandType,
    user: commandUser,
    requestId: requestId.describe('The transition request it made or acted on'),
    time,
  }),
  example: {
    commandId: '0b6f3a52-8f1e-4c7d-9a2b-5e4f6d7c8b9a',
    command: 'ApproveRequest',
    user: 'alice',
    requestId: '9c1f0e7d2b3a4c5d6e7f8a9b0c1d2e3f',
    time: exampleTime,
  },
});

export const TransitionRequestCommandRefusedV1 = eventContract({
  name: 'TransitionRequestCommandRefused',
  schemaVersion: 1,
  meaning: 'A command was refused, as the same HTTP request would have been: nothing changed.',
  data: z.object({
    commandId,
    command: commandType,
    user: commandUser,
    errorCode: z.string().min(1).describe("MLflow's error code (PERMISSION_DENIED, RESOURCE_DOES_NOT_EXIST, ...)"),
    message: z.string().describe('Why, in words'),
    time,
  }),
  example: {
    commandId: '0b6f3a52-8f1e-4c7d-9a2b-5e4f6d7c8b9a',
    command: 'ApproveRequest',
    user: 'carol',
    errorCode: 'PERMISSION_DENIED',
    message: 'carol made the request and cannot approve it.',
    time: exampleTime,
  },
});

export const REGISTRY_TRANSITION_REQUEST_RESULTS_TOPIC: TopicContract = {
  name: eventTopic(REGISTRY_PRODUCER, 'transition-request-command'),
  producer: REGISTRY_PRODUCER,
  streamType: 'transition-request-command',
  meaning:
    'The outcome of each command the registry consumed from `registry.transition-request.commands.v1`: one event per command id.',
  key: '`transition-request-command-<commandId>`, the stream id',
  events: [TransitionRequestCommandAcceptedV1, TransitionRequestCommandRefusedV1],
};

export const REGISTRY_TRANSITION_REQUEST_COMMANDS_TOPIC: CommandTopicContract = {
  name: 'registry.transition-request.commands.v1',
  consumer: REGISTRY_PRODUCER,
  meaning:
    "Commands that drive transition requests as the HTTP routes do: the registry runs each as the user it names, with that user's permissions and roles.",
  key: 'any; the version the command names (`<name>/<version>`) keeps the commands on one version in order',
  commands: [RequestTransitionV1, ApproveRequestV1, RejectRequestV1, CancelRequestV1],
  results: REGISTRY_TRANSITION_REQUEST_RESULTS_TOPIC,
};

// Webhooks

const webhookId = z.string().min(1).describe("The webhook's id (MLflow's webhook_id, Databricks' id)");
const webhookStatus = z
  .enum(['ACTIVE', 'DISABLED', 'TEST_MODE'])
  .describe('ACTIVE: called on its events; DISABLED: not called; TEST_MODE (Databricks): only by the test endpoint');
const webhookEvents = z
  .array(z.string().min(1))
  .describe(
    "The events it is called on, in its flavour's spelling: MLflow's `entity.action` and Logbook's (`transition_request.approved`), or Databricks' upper-case names",
  );
const exampleWebhookId = 'b1c7a0de-5f3e-4c1a-9d2b-7e6f5a4b3c2d';

export const WebhookCreatedV1 = eventContract({
  name: 'WebhookCreated',
  schemaVersion: 1,
  meaning:
    'A webhook was created: an MLflow 3 webhook (`/mlflow/webhooks`) or a Databricks registry webhook (`/mlflow/registry-webhooks`). Its secret and Authorization header never leave the registry: only whether it has them.',
  data: z.object({
    webhookId,
    flavor: z
      .enum(['mlflow', 'databricks'])
      .describe('Which API made it, and so how its deliveries are shaped and signed'),
    name: z.string().min(1).nullable().describe("MLflow's webhook name; null for a Databricks webhook"),
    description: z.string().nullable().describe('What it is for, in words; null when none was given'),
    url: z.string().min(1).describe('Where deliveries are POSTed'),
    events: webhookEvents,
    modelName: z.string().min(1).nullable().describe('The model a Databricks webhook is about; null: registry-wide'),
    status: webhookStatus,
    hasSecret: z.boolean().describe('Deliveries are signed'),
    hasAuthorization: z.boolean().describe('Deliveries carry an Authorization header (Databricks)'),
    enableSslVerification: z.boolean().describe("The receiver's TLS certificate is verified"),
    time,
  }),
  example: {
    webhookId: exampleWebhookId,
    flavor: 'mlflow',
    name: 'promotions',
    description: 'Tell the deploy bot',
    url: 'https://hooks.example.com/mlflow',
    events: ['model_version.created', 'model_version_alias.created', 'transition_request.approved'],
    modelName: null,
    status: 'ACTIVE',
    hasSecret: true,
    hasAuthorization: false,
    enableSslVerification: true,
    time: exampleTime,
  },
});

export const WebhookUpdatedV1 = eventContract({
  name: 'WebhookUpdated',
  schemaVersion: 1,
  meaning:
    'A webhook was changed: the fields given are its new values, the others kept theirs. A new secret signs from now on; the one it replaced keeps signing beside it until `previousSecretUntil`.',
  data: z.object({
    webhookId,
    name: z.string().min(1).optional().describe('The new name'),
    description: z.string().optional().describe('The new description'),
    url: z.string().min(1).optional().describe('The new URL'),
    events: webhookEvents.optional().describe('The new events, replacing the list'),
    status: webhookStatus.optional().describe('The new status'),
    enableSslVerification: z.boolean().optional().describe("Whether the receiver's TLS certificate is verified now"),
    hasAuthorization: z.boolean().optional().describe('Set when the Authorization header was changed or removed'),
    secretChanged: z.boolean().describe('A new secret was set, or the secret was removed'),
    hasSecret: z.boolean().optional().describe('With secretChanged: whether deliveries are signed from now on'),
    previousSecretUntil: z
      .int()
      .nullable()
      .describe(`Until when the replaced secret still signs, ${MS}; null: it stopped at once (or there was none)`),
    time,
  }),
  example: {
    webhookId: exampleWebhookId,
    url: 'https://hooks.example.com/mlflow/v2',
    secretChanged: true,
    hasSecret: true,
    previousSecretUntil: exampleTime + 86_400_000,
    time: exampleTime,
  },
});

export const WebhookDeletedV1 = eventContract({
  name: 'WebhookDeleted',
  schemaVersion: 1,
  meaning: 'A webhook was deleted: nothing is delivered to it any more.',
  data: z.object({ webhookId, time }),
  example: { webhookId: exampleWebhookId, time: exampleTime },
});

export const WebhookPausedV1 = eventContract({
  name: 'WebhookPaused',
  schemaVersion: 1,
  meaning:
    'Deliveries to a webhook kept failing: it is paused (its deliveries wait), and probed now and then until one gets through.',
  data: z.object({ webhookId, reason: z.string().min(1).describe('Why, in words'), time }),
  example: { webhookId: exampleWebhookId, reason: '4 failed attempts in a row: HTTP 503', time: exampleTime },
});

export const WebhookResumedV1 = eventContract({
  name: 'WebhookResumed',
  schemaVersion: 1,
  meaning: 'A paused webhook answered again: its waiting deliveries go out, in order.',
  data: z.object({ webhookId, reason: z.string().min(1).describe('Why, in words'), time }),
  example: { webhookId: exampleWebhookId, reason: 'probe delivered: HTTP 200', time: exampleTime },
});

export const REGISTRY_WEBHOOK_TOPIC: TopicContract = {
  name: eventTopic(REGISTRY_PRODUCER, 'webhook'),
  producer: REGISTRY_PRODUCER,
  streamType: 'webhook',
  meaning:
    'The life of each webhook, both flavours: creation, changes, deletion, and pauses of the delivery worker. Never a secret.',
  key: '`webhook-<webhookId>`, the stream id',
  events: [WebhookCreatedV1, WebhookUpdatedV1, WebhookDeletedV1, WebhookPausedV1, WebhookResumedV1],
};

export const REGISTRY_TOPICS = [
  REGISTRY_REGISTERED_MODEL_TOPIC,
  REGISTRY_MODEL_VERSION_TOPIC,
  REGISTRY_COMMENT_TOPIC,
  REGISTRY_POLICY_TOPIC,
  REGISTRY_TRANSITION_REQUEST_TOPIC,
  REGISTRY_TRANSITION_REQUEST_RESULTS_TOPIC,
  REGISTRY_WEBHOOK_TOPIC,
];
