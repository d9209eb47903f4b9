import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Kafka, Producer } from 'kafkajs';
import pino from 'pino';
import {
  REGISTRY_REGISTERED_MODEL_TOPIC,
  REGISTRY_TRANSITION_REQUEST_COMMANDS_TOPIC,
  REGISTRY_TRANSITION_REQUEST_RESULTS_TOPIC,
  REGISTRY_TRANSITION_REQUEST_TOPIC,
} from '@logbook/contracts';
import { createKafka, deadLetterTopic, inNamespace } from '@logbook/messaging';
import { systemActor } from '@logbook/platform';
import { readTopics, testInfra, uniqueName } from '@logbook/testing';
import { ModelVersionsService } from '../../services/registry/src/model-versions/model-versions.service';
import { ok } from './identity-fixtures';
import { AuthorizedRegistryApi, startAuthorizedRegistry } from './registry-authorization-fixtures';

const ADMIN: [string, string] = ['root', 'root password 123'];
const PASSWORD = 'a password of some length';
const SOURCE = `runs:/${'c'.repeat(32)}/model`;

interface Published {
  type: string;
  correlationId: string;
  data: Record<string, any>;
}

/**
 * A workflow engine's view of approvals: it publishes commands on the registry's command topic and reads
 * the registry's event topics and the commands' results, nothing else (no HTTP once the model exists).
 */
describe('transition requests driven by commands on Kafka and followed by their events', () => {
  const namespace = uniqueName('commands');
  const topic = (name: string) => inNamespace(namespace, name);
  let api: AuthorizedRegistryApi;
  let kafka: Kafka;
  let producer: Producer;

  const admin = (path: string, body: Record<string, unknown>) =>
    api.call('POST', path, { as: `${ADMIN[0]}:admin`, body });
  const command = (user: string, type: string, data: Record<string, unknown>) => ({
    commandId: randomUUID(),
    type,
    schemaVersion: 1,
    user,
    data,
  });
  const publish = (key: string, values: Array<object | string>) =>
    producer.send({
      topic: topic(REGISTRY_TRANSITION_REQUEST_COMMANDS_TOPIC.name),
      acks: -1,
      messages: values.map((value) => ({ key, value: typeof value === 'string' ? value : JSON.stringify(value) })),
    });
  const read = async (topics: string[], expected: number) =>
    (await readTopics(kafka, topics.map(topic), expected, 60_000)).map(
      (message) => ({ ...JSON.parse(message.value), topic: message.topic }) as Published & { topic: string },
    );

  /** A model whose READY version 1 carries the evidence the policy asks for. */
  const governedModel = async () => {
    const name = `fraud-${randomUUID().slice(0, 8)}`;
    ok(await api.call('POST', '/api/2.0/mlflow/registered-models/create', { as: 'carol', body: { name } }));
    ok(
      await api.call('POST', '/api/2.0/mlflow/model-versions/create', { as: 'carol', body: { name, source: SOURCE } }),
    );
    const { rows } = await api.registry.db.query<{ registered_model_id: string }>(
      `SELECT registered_model_id FROM registry.registered_models WHERE name = $1`,
      [name],
    );
    await api.app
      .get(ModelVersionsService)
      .completeRegistration(
        rows[0].registered_model_id,
        1,
        { digest: 'sha256:v1' },
        { now: Date.now(), actor: systemActor('artifacts'), requestId: 'verification' },
      );
    ok(
      await api.call('POST', '/api/2.0/mlflow/model-versions/set-tag', {
        as: 'carol',
        body: { name, version: '1', key: 'validation', value: 'passed' },
      }),
    );
    return name;
  };

  before(async () => {
    api = await startAuthorizedRegistry('registry_commands', ADMIN, 'EDIT', namespace);
    for (const username of ['carol', 'alice', 'dave']) {
      ok(await admin('/api/2.0/mlflow/users/create', { username, password: PASSWORD }));
    }
    for (const [role, member] of [
      ['risk', 'alice'],
      ['model-owners', 'dave'],
    ]) {
      const created = ok(await admin('/api/3.0/mlflow/roles/create', { name: role, workspace: 'default' })).role;
      ok(await admin('/api/3.0/mlflow/roles/assign', { username: member, role_id: created.id }));
    }
    ok(
      await admin('/api/2.0/logbook/policies/create', {
        name: 'fraud-production',
        applies_to: 'fraud-*',
        targets: { stages: ['Production'] },
        approvals: [
          { count: 1, from: ['risk'] },
          { count: 1, from: ['model-owners'] },
        ],
        evidence: { tags: { validation: 'passed' } },
      }),
    );
    kafka = createKafka(testInfra().kafka, uniqueName('workflow-engine'), pino({ level: 'silent' }));
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  after(async () => {
    await producer?.disconnect();
    await api?.close();
  });

  it('requests a promotion, refuses the requester’s own approval, takes a duplicate once and applies it after two approvers', async () => {
    const name = await governedModel();
    const target = { name, version: '1', stage: 'production' };
    const requested = command('carol', 'RequestTransition', { ...target, comment: 'AUC 0.93' });
    const ownApproval = command('carol', 'ApproveRequest', { ...target, archive_existing_versions: false });
    const risk = command('alice', 'ApproveRequest', { ...target, archive_existing_versions: false, comment: 'ok' });
    const owner = command('dave', 'ApproveRequest', { ...target, archive_existing_versions: false });
    // Poison first: a message that is no command is dead-lettered and the commands behind it still run.
    await publish(`${name}/1`, ['not a command', requested, ownApproval, risk, risk, owner]);

    const results = await read([REGISTRY_TRANSITION_REQUEST_RESULTS_TOPIC.name], 4);
    const resultOf = (sent: { commandId: string }) => results.filter((r) => r.data.commandId === sent.commandId);
    assert.deepEqual(
      [requested, ownApproval, risk, owner].map((sent) => resultOf(sent).map((r) => r.type)),
      [
        ['TransitionRequestCommandAccepted'],
        ['TransitionRequestCommandRefused'],
        ['TransitionRequestCommandAccepted'],
        ['TransitionRequestCommandAccepted'],
      ],
      'one result per command id, the duplicate included',
    );
    const [refusal] = resultOf(ownApproval);
    assert.equal(refusal.data.errorCode, 'PERMISSION_DENIED');
    assert.match(refusal.data.message, /carol/);
    const requestId = resultOf(requested)[0].data.requestId;
    assert.match(requestId, /^[0-9a-f]{32}$/);
    assert.deepEqual(
      [risk, owner].map((sent) => resultOf(sent)[0].data.requestId),
      [requestId, requestId],
    );

    const events = (
      await read([REGISTRY_TRANSITION_REQUEST_TOPIC.name, REGISTRY_REGISTERED_MODEL_TOPIC.name], 7)
    ).filter((event) => event.data.name === name);
    const ofRequest = events.filter((event) => event.topic === topic(REGISTRY_TRANSITION_REQUEST_TOPIC.name));
    assert.deepEqual(
      ofRequest.map((event) => [event.type, event.data.requester?.name ?? event.data.approver?.name ?? null]),
      [
        ['TransitionRequested', 'carol'],
        ['ApprovalGiven', 'alice'],
        ['ApprovalGiven', 'dave'],
        ['TransitionApplied', null],
      ],
      'the refused approval changed nothing and the duplicate approved once',
    );
    assert.ok(ofRequest.every((event) => event.data.requestId === requestId));
    assert.deepEqual(
      ofRequest.map((event) => event.correlationId),
      [requested, risk, owner, owner].map((sent) => sent.commandId),
      "each event's correlation id is the command that caused it",
    );
    assert.equal(ofRequest[3].data.evaluation.outcome, 'approved');
    const transitioned = events.filter((event) => event.type === 'ModelVersionStageTransitioned');
    assert.deepEqual(
      transitioned.map((event) => ({ stage: event.data.stage, requestId: event.data.requestId })),
      [{ stage: 'Production', requestId }],
    );

    const deadLetters = await readTopics(
      kafka,
      [deadLetterTopic(topic(REGISTRY_TRANSITION_REQUEST_COMMANDS_TOPIC.name))],
      1,
    );
    assert.deepEqual(
      deadLetters.map((letter) => [letter.value, letter.headers['dlq-reason']]),
      [['not a command', 'unparseable']],
    );
  });

  it('answers a command on an unknown model, or by a user identity does not know, with a refusal', async () => {
    const unknownModel = command('alice', 'ApproveRequest', {
      name: `fraud-missing-${randomUUID().slice(0, 8)}`,
      version: '1',
      stage: 'Production',
      archive_existing_versions: false,
    });
    const stranger = command('mallory', 'RequestTransition', { name: 'fraud-x', version: '1', stage: 'Production' });
    await publish('refusals', [unknownModel, stranger]);
    const results = await read([REGISTRY_TRANSITION_REQUEST_RESULTS_TOPIC.name], 6);
    assert.deepEqual(
      [unknownModel, stranger].map((sent) =>
        results.filter((result) => result.data.commandId === sent.commandId).map((r) => [r.type, r.data.errorCode]),
      ),
      [
        [['TransitionRequestCommandRefused', 'RESOURCE_DOES_NOT_EXIST']],
        [['TransitionRequestCommandRefused', 'UNAUTHENTICATED']],
      ],
    );
  });
});
