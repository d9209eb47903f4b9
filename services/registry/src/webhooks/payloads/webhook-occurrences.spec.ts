import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REGISTRY_TOPICS, webhookPayloadContract } from '@logbook/contracts';
import { EventEnvelope } from '@logbook/eventstore';
import {
  DATABRICKS_FLAVOR_EVENTS,
  LOGBOOK_WEBHOOK_EVENTS,
  MLFLOW_WEBHOOK_EVENTS,
  WebhookFlavor,
} from '../webhook-catalog';
import { exampleOccurrence } from './example-occurrences';
import { WebhookOccurrence, webhookOccurrences } from './webhook-occurrences';

const occurredAt = '2026-12-04T18:00:00.123Z';
const alice = { id: '7', kind: 'user' as const, name: 'alice', authMethod: 'basic' as const };

function envelope(type: string, data: unknown): EventEnvelope {
  return {
    eventId: '5d0c8a4e-2b1f-4e6a-9c3d-7f8e9a0b1c2d',
    type,
    schemaVersion: 1,
    streamId: 'registered-model-x',
    streamType: 'registered-model',
    streamPosition: 1,
    globalPosition: 1,
    occurredAt,
    producer: 'registry',
    actor: alice,
    correlationId: 'req-1',
    causationId: null,
    data,
  };
}

const exampleOf = (type: string) => {
  const contract = REGISTRY_TOPICS.flatMap((topic) => topic.events).find((event) => event.name === type);
  assert.ok(contract, type);
  return contract.example as Record<string, unknown>;
};

const occurrences = (type: string, data: unknown, isPrompt = false) =>
  webhookOccurrences(envelope(type, data), { isPrompt });
const keysOf = (found: WebhookOccurrence[], flavor: WebhookFlavor) =>
  found.filter((occurrence) => occurrence.flavor === flavor).map((occurrence) => occurrence.eventKey);
const only = (found: WebhookOccurrence[], flavor: WebhookFlavor, eventKey: string) => {
  const matching = found.filter((occurrence) => occurrence.flavor === flavor && occurrence.eventKey === eventKey);
  assert.equal(matching.length, 1, `${flavor} ${eventKey}`);
  return matching[0];
};
const dataOf = (occurrence: WebhookOccurrence) => JSON.parse(occurrence.body('wh-1')).data;

/** Each registry contract's example event, and the events each flavour's webhooks hear of it. */
const EXPECTED: Record<string, { mlflow: string[]; databricks: string[] }> = {
  RegisteredModelCreated: { mlflow: ['registered_model.created'], databricks: ['REGISTERED_MODEL_CREATED'] },
  RegisteredModelRenamed: { mlflow: ['registered_model.renamed'], databricks: ['REGISTERED_MODEL_RENAMED'] },
  RegisteredModelDescriptionUpdated: { mlflow: [], databricks: [] },
  RegisteredModelDeleted: { mlflow: ['registered_model.deleted'], databricks: ['REGISTERED_MODEL_DELETED'] },
  RegisteredModelTagSet: { mlflow: [], databricks: [] },
  RegisteredModelTagDeleted: { mlflow: [], databricks: [] },
  RegisteredModelAliasSet: {
    mlflow: ['model_version_alias.created', 'model_version_alias.set'],
    databricks: ['MODEL_VERSION_ALIAS_SET'],
  },
  RegisteredModelAliasDeleted: {
    mlflow: ['model_version_alias.deleted', 'model_version_alias.removed'],
    databricks: ['MODEL_VERSION_ALIAS_REMOVED'],
  },
  ModelVersionNumberAssigned: { mlflow: [], databricks: [] },
  ModelVersionStageTransitioned: {
    mlflow: ['model_version.stage_transitioned'],
    databricks: [
      'MODEL_VERSION_TRANSITIONED_STAGE',
      'MODEL_VERSION_TRANSITIONED_TO_PRODUCTION',
      'MODEL_VERSION_STAGE_TRANSITIONED',
    ],
  },
  ModelVersionWithdrawn: { mlflow: ['model_version_alias.removed'], databricks: ['MODEL_VERSION_ALIAS_REMOVED'] },
  ModelVersionCreated: { mlflow: ['model_version.created'], databricks: ['MODEL_VERSION_CREATED'] },
  ModelVersionRegistrationCompleted: { mlflow: ['model_version.ready'], databricks: ['MODEL_VERSION_READY'] },
  ModelVersionRegistrationFailed: {
    mlflow: ['model_version.registration_failed'],
    databricks: ['MODEL_VERSION_REGISTRATION_FAILED'],
  },
  ModelVersionDescriptionUpdated: { mlflow: [], databricks: [] },
  ModelVersionTagSet: { mlflow: ['model_version_tag.set'], databricks: ['MODEL_VERSION_TAG_SET'] },
  ModelVersionTagDeleted: { mlflow: ['model_version_tag.deleted'], databricks: [] },
  ModelVersionDeleted: { mlflow: ['model_version.deleted'], databricks: ['MODEL_VERSION_DELETED'] },
  CommentCreated: { mlflow: ['comment.created'], databricks: ['COMMENT_CREATED'] },
  CommentEdited: { mlflow: [], databricks: [] },
  CommentDeleted: { mlflow: [], databricks: [] },
  PolicyCreated: { mlflow: [], databricks: [] },
  PolicyUpdated: { mlflow: [], databricks: [] },
  PolicyDeleted: { mlflow: [], databricks: [] },
  TransitionRequested: {
    mlflow: ['transition_request.created'],
    databricks: ['TRANSITION_REQUEST_TO_PRODUCTION_CREATED', 'TRANSITION_REQUEST_CREATED'],
  },
  ApprovalGiven: { mlflow: ['transition_request.approved'], databricks: ['TRANSITION_REQUEST_APPROVED'] },
  RequestRejected: { mlflow: ['transition_request.rejected'], databricks: ['TRANSITION_REQUEST_REJECTED'] },
  RequestCancelled: { mlflow: ['transition_request.cancelled'], databricks: ['TRANSITION_REQUEST_CANCELLED'] },
  RequestExpired: { mlflow: ['transition_request.expired'], databricks: ['TRANSITION_REQUEST_EXPIRED'] },
  RequestVoided: { mlflow: ['transition_request.voided'], databricks: ['TRANSITION_REQUEST_VOIDED'] },
  TransitionApplied: { mlflow: ['transition_request.applied'], databricks: ['TRANSITION_REQUEST_APPLIED'] },
  TransitionRequestCommandAccepted: { mlflow: [], databricks: [] },
  TransitionRequestCommandRefused: { mlflow: [], databricks: [] },
  WebhookCreated: { mlflow: [], databricks: [] },
  WebhookUpdated: { mlflow: [], databricks: [] },
  WebhookDeleted: { mlflow: [], databricks: [] },
  WebhookPaused: { mlflow: [], databricks: [] },
  WebhookResumed: { mlflow: [], databricks: [] },
};

const allExamples = REGISTRY_TOPICS.flatMap((topic) => topic.events);

describe('webhook occurrences of the registry events', () => {
  it('names every registry contract in the table', () => {
    assert.deepEqual(allExamples.map((contract) => contract.name).sort(), Object.keys(EXPECTED).sort());
  });

  for (const contract of allExamples) {
    it(`${contract.name} gives each flavour the events its webhooks name, each body as its contract says`, () => {
      const found = occurrences(contract.name, contract.example);
      assert.deepEqual(keysOf(found, 'mlflow'), EXPECTED[contract.name].mlflow);
      assert.deepEqual(keysOf(found, 'databricks'), EXPECTED[contract.name].databricks);
      for (const occurrence of found) {
        const payload = webhookPayloadContract(occurrence.flavor, occurrence.eventKey, occurrence.catalogue);
        assert.ok(payload, `${occurrence.flavor} ${occurrence.catalogue} ${occurrence.eventKey} has a contract`);
        const parsed = payload.body.safeParse(JSON.parse(occurrence.body('wh-1')));
        assert.ok(parsed.success, `${occurrence.eventKey}: ${parsed.error?.message}`);
        assert.equal(occurrence.modelName, (contract.example as { name?: string }).name);
      }
      const keys = found.map((occurrence) => occurrence.occurrenceKey);
      assert.equal(new Set(keys).size, keys.length, 'each occurrence has its own key');
    });
  }

  it('sends the MLflow envelope as the bytes Python json.dumps gives MLflow, with provenance after data', () => {
    const data = {
      ...exampleOf('ModelVersionCreated'),
      source: 'models:/m-1',
      runId: null,
      description: null,
      tags: [
        { key: 'b', value: '1' },
        { key: '10', value: 'x' },
        { key: 'a', value: 'ü' },
      ],
    };
    const body = only(occurrences('ModelVersionCreated', data), 'mlflow', 'model_version.created').body('wh-1');
    // What MLflow 3.17's delivery sends for the same version (json.dumps of its envelope), then Logbook's provenance.
    const mlflowText = String.raw`{"entity": "model_version", "action": "created", "timestamp": "2026-12-04T18:00:00.123000+00:00", "data": {"name": "fraud", "version": "3", "source": "models:/m-1", "run_id": null, "tags": {"b": "1", "10": "x", "a": "\u00fc"}, "description": null}`;
    assert.equal(
      body,
      `${mlflowText}, "logbook": {"event_id": "5d0c8a4e-2b1f-4e6a-9c3d-7f8e9a0b1c2d", "event_type": "ModelVersionCreated", "actor": {"id": "7", "kind": "user", "name": "alice", "authMethod": "basic"}, "correlation_id": "req-1"}}`,
    );
  });

  it('sends the run the client named, not the one Logbook inferred from the logged model, as MLflow does', () => {
    const named = { ...exampleOf('ModelVersionCreated'), runId: 'run-1' };
    const inferred = { ...named, runIdInferred: true };
    const runIdOf = (data: object) =>
      dataOf(only(occurrences('ModelVersionCreated', data), 'mlflow', 'model_version.created')).run_id;
    assert.equal(runIdOf(named), 'run-1');
    assert.equal(runIdOf(inferred), null);
  });

  it('gives versions as strings and a registered model without description "" as MLflow does', () => {
    const created = occurrences('RegisteredModelCreated', {
      ...exampleOf('RegisteredModelCreated'),
      description: null,
    });
    assert.equal(dataOf(only(created, 'mlflow', 'registered_model.created')).description, '');
    const tagged = occurrences('ModelVersionTagSet', exampleOf('ModelVersionTagSet'));
    assert.equal(dataOf(only(tagged, 'mlflow', 'model_version_tag.set')).version, '3');
    assert.equal(JSON.parse(only(tagged, 'databricks', 'MODEL_VERSION_TAG_SET').body('wh-1')).version, '3');
    const moved = occurrences('RegisteredModelAliasSet', exampleOf('RegisteredModelAliasSet'));
    assert.deepEqual(dataOf(only(moved, 'mlflow', 'model_version_alias.created')), {
      name: 'fraud',
      alias: 'champion',
      version: '3',
    });
    assert.deepEqual(dataOf(only(moved, 'mlflow', 'model_version_alias.set')), {
      name: 'fraud',
      version: '3',
      alias: 'champion',
      from_version: '2',
      to_version: '3',
      request_id: null,
    });
  });

  describe('prompts', () => {
    const promptTags = [
      { key: 'mlflow.prompt.is_prompt', value: 'TRUE' },
      { key: '_mlflow_prompt_type', value: 'text' },
      { key: 'team', value: 'risk' },
    ];

    it('a model created with the prompt tag is a prompt, its markers left out of the tags', () => {
      const found = occurrences('RegisteredModelCreated', { ...exampleOf('RegisteredModelCreated'), tags: promptTags });
      assert.deepEqual(keysOf(found, 'mlflow'), ['prompt.created']);
      assert.deepEqual(dataOf(found[0]), {
        name: 'fraud',
        tags: { team: 'risk' },
        description: 'Card fraud classifier',
      });
    });

    it('the last value of the prompt tag decides, as in MLflow', () => {
      const tags = [
        { key: 'mlflow.prompt.is_prompt', value: 'true' },
        { key: 'mlflow.prompt.is_prompt', value: 'false' },
      ];
      const found = occurrences('RegisteredModelCreated', { ...exampleOf('RegisteredModelCreated'), tags });
      assert.deepEqual(keysOf(found, 'mlflow'), ['registered_model.created']);
    });

    it('a prompt version carries its template from mlflow.prompt.text, the markers left out', () => {
      const tags = [...promptTags, { key: 'mlflow.prompt.text', value: 'Hello {{name}}!' }];
      const found = occurrences('ModelVersionCreated', { ...exampleOf('ModelVersionCreated'), tags });
      assert.deepEqual(dataOf(only(found, 'mlflow', 'prompt_version.created')), {
        name: 'fraud',
        version: '3',
        template: 'Hello {{name}}!',
        tags: { team: 'risk' },
        description: null,
      });
    });

    it("tags and aliases of a prompt are the prompt's events, and a prompt's own tags fire only for prompts", () => {
      const cases: [string, string][] = [
        ['RegisteredModelTagSet', 'prompt_tag.set'],
        ['RegisteredModelTagDeleted', 'prompt_tag.deleted'],
        ['ModelVersionTagSet', 'prompt_version_tag.set'],
        ['ModelVersionTagDeleted', 'prompt_version_tag.deleted'],
        ['RegisteredModelAliasSet', 'prompt_alias.created'],
        ['RegisteredModelAliasDeleted', 'prompt_alias.deleted'],
      ];
      for (const [type, key] of cases) {
        const found = occurrences(type, exampleOf(type), true);
        const mlflowOwn = found.filter(
          (occurrence) => occurrence.flavor === 'mlflow' && occurrence.catalogue === 'mlflow',
        );
        assert.deepEqual(
          mlflowOwn.map((occurrence) => occurrence.eventKey),
          [key],
          type,
        );
      }
      assert.deepEqual(
        dataOf(
          only(
            occurrences('RegisteredModelTagSet', exampleOf('RegisteredModelTagSet'), true),
            'mlflow',
            'prompt_tag.set',
          ),
        ),
        {
          name: 'fraud',
          key: 'team',
          value: 'risk',
        },
      );
    });
  });

  it('a deleted version takes each alias away in its own delivery', () => {
    const found = occurrences('ModelVersionWithdrawn', {
      ...exampleOf('ModelVersionWithdrawn'),
      removedAliases: ['champion', 'shadow'],
    });
    const deleted = found.filter((occurrence) => occurrence.flavor === 'mlflow');
    assert.deepEqual(
      deleted.map((occurrence) => [occurrence.catalogue, dataOf(occurrence).alias, dataOf(occurrence).version_deleted]),
      [
        ['logbook', 'champion', true],
        ['logbook', 'shadow', true],
      ],
    );
    assert.notEqual(deleted[0].occurrenceKey, deleted[1].occurrenceKey);
  });

  it("keeps MLflow's alias deletion exact beside Logbook's, told apart by catalogue", () => {
    const found = occurrences('RegisteredModelAliasDeleted', exampleOf('RegisteredModelAliasDeleted'));
    const [mlflow, logbook] = found.filter((occurrence) => occurrence.flavor === 'mlflow');
    assert.equal(mlflow.catalogue, 'mlflow');
    assert.deepEqual(dataOf(mlflow), { name: 'fraud', alias: 'champion' });
    assert.equal(logbook.catalogue, 'logbook');
    assert.deepEqual(dataOf(logbook), { name: 'fraud', version: '3', alias: 'champion', version_deleted: false });
  });

  describe('Databricks', () => {
    it('sends the flat payload to the webhook it is for, with the stage names MLflow spells', () => {
      const found = occurrences('ModelVersionStageTransitioned', exampleOf('ModelVersionStageTransitioned'));
      const body = JSON.parse(only(found, 'databricks', 'MODEL_VERSION_TRANSITIONED_TO_PRODUCTION').body('hook-9'));
      assert.deepEqual(body, {
        event: 'MODEL_VERSION_TRANSITIONED_TO_PRODUCTION',
        webhook_id: 'hook-9',
        event_timestamp: Date.parse(occurredAt),
        model_name: 'fraud',
        version: '3',
        to_stage: 'Production',
        from_stage: 'Staging',
        text: "Registered model 'fraud' version 3 transitioned from Staging to Production.",
        logbook_event_id: '5d0c8a4e-2b1f-4e6a-9c3d-7f8e9a0b1c2d',
        actor: alice,
      });
    });

    it('has no per-stage event for a move to None, nor for a request for an alias', () => {
      const toNone = occurrences('ModelVersionStageTransitioned', {
        ...exampleOf('ModelVersionStageTransitioned'),
        stage: 'None',
      });
      assert.deepEqual(keysOf(toNone, 'databricks'), [
        'MODEL_VERSION_TRANSITIONED_STAGE',
        'MODEL_VERSION_STAGE_TRANSITIONED',
      ]);
      const forAlias = occurrences('TransitionRequested', {
        ...exampleOf('TransitionRequested'),
        target: { kind: 'alias', alias: 'champion' },
      });
      assert.deepEqual(keysOf(forAlias, 'databricks'), ['TRANSITION_REQUEST_CREATED']);
      const body = JSON.parse(only(forAlias, 'databricks', 'TRANSITION_REQUEST_CREATED').body('hook-9'));
      assert.equal(body.to_stage, null);
      assert.equal(body.alias, 'champion');
    });

    it('names the user who set a tag, with the tags as a list', () => {
      const found = occurrences('ModelVersionTagSet', exampleOf('ModelVersionTagSet'));
      const body = JSON.parse(only(found, 'databricks', 'MODEL_VERSION_TAG_SET').body('hook-9'));
      assert.deepEqual(body.tags, [{ key: 'validated', value: 'true' }]);
      assert.match(
        body.text,
        /^alice set version tag\(s\) 'validated' => 'true' for registered model 'fraud' version 3\.$/,
      );
    });
  });
});

describe('test deliveries', () => {
  const now = 1764864000000;

  it("send MLflow's example() data for MLflow's events, byte for byte, without provenance", () => {
    const body = exampleOccurrence('mlflow', 'model_version.created', now).body('wh-1');
    assert.equal(
      body,
      '{"entity": "model_version", "action": "created", "timestamp": "2025-12-04T16:00:00+00:00", "data": {"name": "example_model", "version": "1", "source": "models:/123", "run_id": "abcd1234abcd5678", "tags": {"example_key": "example_value"}, "description": "An example model version"}}',
    );
    const budget = exampleOccurrence('mlflow', 'budget_policy.exceeded', now).body('wh-1');
    assert.match(budget, /"budget_amount": 100\.0, "current_spend": 105\.5,/);
  });

  it("match MLflow's examples as the payload contracts record them, for each of MLflow's events", () => {
    for (const key of MLFLOW_WEBHOOK_EVENTS) {
      const contract = webhookPayloadContract('mlflow', key, 'mlflow');
      assert.ok(contract, key);
      const sent = JSON.parse(exampleOccurrence('mlflow', key, now).body('wh-1'));
      assert.deepEqual(sent.data, (contract.example as { data: unknown }).data, key);
    }
  });

  const every: [WebhookFlavor, string][] = [
    ...MLFLOW_WEBHOOK_EVENTS.map((key): [WebhookFlavor, string] => ['mlflow', key]),
    ...LOGBOOK_WEBHOOK_EVENTS.map((key): [WebhookFlavor, string] => ['mlflow', key]),
    ...DATABRICKS_FLAVOR_EVENTS.map((key): [WebhookFlavor, string] => ['databricks', key]),
  ];
  it('exist for every event a webhook can name, each body as its contract says', () => {
    for (const [flavor, key] of every) {
      const occurrence = exampleOccurrence(flavor, key, now);
      assert.equal(occurrence.eventKey, key);
      const body = JSON.parse(occurrence.body('wh-1'));
      const payload = webhookPayloadContract(flavor, key, occurrence.catalogue);
      assert.ok(payload, `${flavor} ${key}`);
      const parsed = payload.body.safeParse(body);
      assert.ok(parsed.success, `${flavor} ${key}: ${parsed.error?.message}`);
      assert.equal(body.logbook, undefined);
      assert.equal(body.logbook_event_id, undefined);
    }
  });

  it('refuse an event no webhook of the flavour can name', () => {
    assert.throws(() => exampleOccurrence('databricks', 'model_version.created', now), /No databricks webhook event/);
  });
});
