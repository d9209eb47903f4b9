import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contractValidators, REGISTRY_TOPICS } from '@logbook/contracts';
import { Decider, DomainEvent, fold } from '@logbook/eventstore';
import { CommandMetadata } from '@logbook/platform';
import { CommentCommand, commentDecider } from './comments/comment.decider';
import { parsePolicyDefinition } from './governance/policy-definition';
import { PolicyCommand, policyDecider } from './governance/policy.decider';
import { ModelVersionCommand, modelVersionDecider } from './model-versions/model-version.decider';
import { UNGOVERNED } from './governance/governed-targets';
import { RegisteredModelCommand, registeredModelDecider } from './registered-models/registered-model.decider';
import { registryToContract } from './registry.contracts';
import {
  AnswerCommand,
  CommandOutcome,
  transitionRequestCommandDecider,
} from './transition-requests/transition-request-command.decider';
import {
  GovernanceFacts,
  TransitionRequestCommand,
  transitionRequestDecider,
} from './transition-requests/transition-request.decider';
import { WebhookCommand, webhookDecider } from './webhooks/webhook.decider';

const metadata: CommandMetadata = {
  now: 1_764_864_000_000,
  actor: { id: 'ada', kind: 'user', name: 'ada', authMethod: 'basic' },
  requestId: 'req-1',
};
const registeredModelId = '3f2b8c1d9e7a4b6c8d0e1f2a3b4c5d6e';
const name = 'fraud';
const tags = [{ key: 'team', value: 'risk' }];

/** Runs the commands one after another on one stream; every event the decider emitted, in order. */
function play<State, Command, Event extends DomainEvent>(
  decider: Decider<State, Command, Event>,
  commands: Command[],
): Event[] {
  const history: Event[] = [];
  for (const command of commands) history.push(...decider.decide(command, fold(decider, history)));
  return history;
}

type Scripted<C> = C extends { metadata: CommandMetadata } ? Omit<C, 'metadata'> : never;
const withMetadata = <C>(commands: Scripted<C>[]) => commands.map((c) => ({ ...c, metadata }) as C);

const modelEvents = play(
  registeredModelDecider,
  withMetadata<RegisteredModelCommand>([
    { type: 'CreateRegisteredModel', data: { registeredModelId, name, tags, holder: null } },
    { type: 'AssignModelVersionNumber', data: { name } },
    { type: 'AssignModelVersionNumber', data: { name } },
    {
      type: 'RenameRegisteredModel',
      data: { name, newName: 'fraud-v2', holder: null, governed: UNGOVERNED, governedAfter: UNGOVERNED },
    },
    { type: 'UpdateRegisteredModel', data: { name: 'fraud-v2', description: 'boosted trees' } },
    { type: 'SetRegisteredModelTag', data: { name: 'fraud-v2', key: 'owner', value: 'ada' } },
    { type: 'DeleteRegisteredModelTag', data: { name: 'fraud-v2', key: 'owner' } },
    {
      type: 'SetRegisteredModelAlias',
      data: { name: 'fraud-v2', alias: 'champion', version: '1', governed: UNGOVERNED },
    },
    {
      type: 'SetRegisteredModelAlias',
      data: { name: 'fraud-v2', alias: 'champion', version: '2', governed: UNGOVERNED },
    },
    { type: 'DeleteRegisteredModelAlias', data: { name: 'fraud-v2', alias: 'champion', governed: UNGOVERNED } },
    {
      type: 'TransitionModelVersionStage',
      data: {
        name: 'fraud-v2',
        version: '1',
        stage: 'Production',
        archiveExistingVersions: false,
        governed: UNGOVERNED,
      },
    },
    {
      type: 'TransitionModelVersionStage',
      data: {
        name: 'fraud-v2',
        version: '2',
        stage: 'Production',
        archiveExistingVersions: true,
        governed: UNGOVERNED,
      },
    },
    { type: 'WithdrawModelVersion', data: { name: 'fraud-v2', version: '1', governed: UNGOVERNED } },
    { type: 'DeleteRegisteredModel', data: { name: 'fraud-v2' } },
  ]),
);

const address = { registeredModelId, name, version: 1 };
const versionEvents = (outcome: Scripted<ModelVersionCommand>) =>
  play(
    modelVersionDecider,
    withMetadata<ModelVersionCommand>([
      {
        type: 'CreateModelVersion',
        data: { ...address, source: 'models:/m-4a1b', runId: 'r1', modelId: 'm-4a1b', tags },
      },
      outcome,
      { type: 'UpdateModelVersion', data: { ...address, description: 'retrained' } },
      { type: 'SetModelVersionTag', data: { ...address, key: 'validated', value: 'true' } },
      { type: 'DeleteModelVersionTag', data: { ...address, key: 'validated' } },
      { type: 'DeleteModelVersion', data: address },
    ]),
  );

const commentEvents = play(
  commentDecider,
  withMetadata<CommentCommand>([
    { type: 'CreateComment', data: { commentId: 'c1', name, version: 1, comment: 'looks good', found: address } },
    { type: 'EditComment', data: { commentId: 'c1', comment: 'looks great', found: address } },
    { type: 'DeleteComment', data: { commentId: 'c1', byAdmin: false, found: address } },
  ]),
);

const policy = parsePolicyDefinition({
  name: 'fraud-production',
  applies_to: 'fraud-*',
  targets: { stages: ['Production'], aliases: ['champion'] },
  approvals: [{ count: 1, from: ['risk'] }],
  evidence: { tags: { validation: 'passed' }, metrics: [{ key: 'auc', op: '>=', value: 0.9 }], ready: true },
  expires_after: '72h',
  break_glass: { principals: ['oncall-lead'] },
});
const policyEvents = play(
  policyDecider,
  withMetadata<PolicyCommand>([
    { type: 'CreatePolicy', data: { definition: policy } },
    { type: 'UpdatePolicy', data: { name: policy.name, changes: { expires_after: '7d' } } },
    { type: 'DeletePolicy', data: { name: policy.name } },
  ]),
);

const requestCommand = (command: Scripted<TransitionRequestCommand>, offset = 0) =>
  ({ ...command, metadata: { ...metadata, now: metadata.now + offset } }) as TransitionRequestCommand;
const requested = (requestId: string, facts: GovernanceFacts) =>
  requestCommand({
    type: 'RequestTransition',
    data: {
      requestId,
      registeredModelId,
      name,
      version: 1,
      target: { kind: 'stage', stage: 'Production' },
      fromStage: 'Staging',
      requester: { id: 'carol', name: 'carol' },
      comment: null,
      facts,
      openRequestBy: null,
      breakGlassReason: null,
    },
  });
const evidence = { tags: { validation: 'passed' }, metrics: { auc: 0.95 }, status: 'READY', digest: 'sha256:ab' };
const governed: GovernanceFacts = { policy: { version: 1, definition: policy }, evidence };
const ungoverned: GovernanceFacts = { policy: null, evidence };
const approval = (facts: GovernanceFacts, offset = 0) =>
  requestCommand(
    {
      type: 'ApproveRequest',
      data: {
        approver: { id: 'ada', name: 'ada' },
        roles: ['risk'],
        comment: 'ok',
        archiveExistingVersions: true,
        facts,
      },
    },
    offset,
  );
const closing = (type: 'RejectRequest' | 'CancelRequest') =>
  requestCommand(
    type === 'RejectRequest'
      ? { type, data: { rejectedBy: { id: 'ada', name: 'ada' }, comment: 'not yet' } }
      : { type, data: { cancelledBy: { id: 'carol', name: 'carol' }, comment: null } },
  );
const requestEvents = [
  play(transitionRequestDecider, [requested('r1', ungoverned), approval(ungoverned)]),
  play(transitionRequestDecider, [requested('r2', governed), approval(governed)]),
  play(transitionRequestDecider, [requested('r3', governed), closing('RejectRequest')]),
  play(transitionRequestDecider, [requested('r4', governed), closing('CancelRequest')]),
  play(transitionRequestDecider, [requested('r5', governed), approval(governed, 72 * 3_600_000)]),
  play(transitionRequestDecider, [
    requested('r6', governed),
    approval({ ...governed, evidence: { ...evidence, digest: 'sha256:cd' } }),
  ]),
].flat();
const commandId = '0b6f3a52-8f1e-4c7d-9a2b-5e4f6d7c8b9a';
const answered = (outcome: CommandOutcome) =>
  play(
    transitionRequestCommandDecider,
    withMetadata<AnswerCommand>([
      { type: 'AnswerCommand', data: { commandId, command: 'ApproveRequest', user: 'ada', outcome } },
    ]),
  );
const commandEvents = [
  ...answered({ requestId: 'r1' }),
  ...answered({ errorCode: 'PERMISSION_DENIED', message: 'ada made the request and cannot approve it.' }),
];

const webhookId = 'b1c7a0de-5f3e-4c1a-9d2b-7e6f5a4b3c2d';
const webhookEvents = play(
  webhookDecider,
  withMetadata<WebhookCommand>([
    {
      type: 'CreateWebhook',
      data: {
        webhookId,
        flavor: 'databricks',
        name: null,
        description: null,
        url: 'https://hooks.example.com/databricks',
        events: ['MODEL_VERSION_CREATED', 'TRANSITION_REQUEST_APPROVED'],
        modelName: name,
        status: 'ACTIVE',
        secretCiphertext: 'gAAAA-first',
        authorizationCiphertext: 'gAAAA-bearer',
        enableSslVerification: true,
      },
    },
    {
      type: 'UpdateWebhook',
      data: {
        webhookId,
        changes: { url: 'https://hooks.example.com/v2', authorizationCiphertext: null },
        secretCiphertext: 'gAAAA-second',
        rotationOverlapMs: 86_400_000,
      },
    },
    { type: 'PauseWebhook', data: { webhookId, reason: '4 failed attempts in a row' } },
    { type: 'ResumeWebhook', data: { webhookId, reason: 'probe delivered' } },
    { type: 'DeleteWebhook', data: { webhookId } },
  ]),
);

describe("the registry's publisher: what the deciders emit leaves as valid contracts", () => {
  const validators = contractValidators(REGISTRY_TOPICS.flatMap((topic) => topic.events));
  const emitted: DomainEvent[] = [
    ...modelEvents,
    ...policyEvents,
    ...requestEvents,
    ...versionEvents({ type: 'CompleteRegistration', data: { ...address, digest: 'sha256:ab' } }),
    ...versionEvents({ type: 'FailRegistration', data: { ...address, message: 'No MLmodel file' } }),
    ...commentEvents,
    ...commandEvents,
    ...webhookEvents,
  ];

  it('given a history covering every registry event type, then each is published as a contract its consumers accept', () => {
    const published = emitted.flatMap((event) => registryToContract({ ...event, schemaVersion: 1 }));
    const problems = published.flatMap((event) =>
      validators[event.type](event.data, event).map((problem) => `${event.type}: ${problem}`),
    );
    assert.deepEqual(problems, []);
    const contracted = REGISTRY_TOPICS.flatMap((topic) => topic.events.map((event) => event.name)).sort();
    assert.deepEqual([...new Set(published.map((event) => event.type))].sort(), contracted);
  });

  it('publishes no webhook secret nor Authorization header, only whether there is one', () => {
    const published = webhookEvents.flatMap((event) => registryToContract({ ...event, schemaVersion: 1 }));
    assert.doesNotMatch(JSON.stringify(published), /gAAAA|Ciphertext/);
    assert.deepEqual(
      published.slice(0, 2).map(({ data }) => {
        const { hasSecret, hasAuthorization, secretChanged, previousSecretUntil } = data as Record<string, unknown>;
        return { hasSecret, hasAuthorization, secretChanged, previousSecretUntil };
      }),
      [
        { hasSecret: true, hasAuthorization: true, secretChanged: undefined, previousSecretUntil: undefined },
        {
          hasSecret: true,
          hasAuthorization: false,
          secretChanged: true,
          previousSecretUntil: metadata.now + 86_400_000,
        },
      ],
    );
  });
});
