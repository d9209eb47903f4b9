import { z } from 'zod';
import { eventContract, TopicContract } from './contract';
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

export const REGISTRY_POLICY_TOPIC: TopicContract = {
  name: eventTopic(REGISTRY_PRODUCER, 'policy'),
  producer: REGISTRY_PRODUCER,
  streamType: 'policy',
  meaning: 'The versions of each approval policy: creation, each change (a new version, whole), deletion.',
  key: '`policy-<name>`, the stream id',
  events: [PolicyCreatedV1, PolicyUpdatedV1, PolicyDeletedV1],
};

export const REGISTRY_TOPICS = [REGISTRY_REGISTERED_MODEL_TOPIC, REGISTRY_MODEL_VERSION_TOPIC, REGISTRY_POLICY_TOPIC];
