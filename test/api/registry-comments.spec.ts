import 'reflect-metadata';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import Fastify from 'fastify';
import pino from 'pino';
import { createHttpApp, Principal } from '@logbook/platform';
import { runRebuildCommand } from '@logbook/runtime';
import { contractValidators, REGISTRY_COMMENT_TOPIC } from '@logbook/contracts';
import { createKafka } from '@logbook/messaging';
import { createTestDatabase, readTopics, testInfra, topicSize, waitFor } from '@logbook/testing';
import { registerRoutes, routingTable } from '../../services/gateway/src/routing';
import { upstreamPools } from '../../services/gateway/src/upstream-pool';
import { loadRegistryConfig, RegistryConfig } from '../../services/registry/src/config';
import { RegistryModule } from '../../services/registry/src/registry.module';
import {
  openRegistryStore,
  registryProjections,
  RegistryRuntime,
  registryStreams,
  startRegistryRuntime,
} from '../../services/registry/src/registry.runtime';
import { LIMITS } from '../../services/registry/src/shared/limits';
import { Answer, injectAnswer, Method, ok, PRINCIPAL_HEADER } from './identity-fixtures';
import { registryProjectionRows } from './registry-fixtures';

const silent = pino({ level: 'silent' });
const SOURCE = `runs:/${'a'.repeat(32)}/model`;

interface Backend {
  label: string;
  /** Whether its registry publishes to Kafka (the distributed shape); the embedded one publishes in-process. */
  kafka: boolean;
  /** The registry's configuration on this backend, and how to remove what it leaves behind. */
  open(): Promise<{ config: RegistryConfig; cleanup(): Promise<void> }>;
}

const BACKENDS: Backend[] = [
  {
    label: 'real Postgres',
    kafka: true,
    async open() {
      const database = await createTestDatabase('registry_comments');
      const config = loadRegistryConfig({
        LOGBOOK_MODE: 'distributed',
        DATABASE_URL: database.url,
        KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
      });
      return { config, cleanup: () => database.drop() };
    },
  },
  {
    label: 'PGlite (the embedded shape)',
    kafka: false,
    async open() {
      const dataDir = mkdtempSync(join(tmpdir(), 'logbook-comments-'));
      const config = loadRegistryConfig({
        LOGBOOK_MODE: 'embedded',
        LOGBOOK_DATA_DIR: dataDir,
        LOGBOOK_EMBEDDED_DATABASE: 'pglite',
      });
      return { config, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
    },
  },
];

/** A refusal with MLflow's status and error code, its message including `message`. */
function fails(answer: Answer, status: number, errorCode: string, message?: string): void {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.json.error_code, errorCode, answer.text);
  if (message !== undefined) assert.ok(String(answer.json.message).includes(message), answer.json.message);
}

/** The principal the gateway would leave for `name` (`name:admin` for an admin); none: authentication off. */
function principalOf(header: string | string[] | undefined): Principal | undefined {
  if (typeof header !== 'string') return undefined;
  const [name, role] = header.split(':');
  return { actor: { id: `id-${name}`, kind: 'user', name, authMethod: 'basic' }, isAdmin: role === 'admin' };
}

for (const backend of BACKENDS) {
  describe(`comments and activity lists of model versions on ${backend.label}`, () => {
    let app: NestFastifyApplication;
    let runtime: RegistryRuntime;
    let config: RegistryConfig;
    let cleanup: () => Promise<void>;

    const call = (method: Method, path: string, as?: string, body?: unknown, prefix = 'api') =>
      injectAnswer(app, method, `/${prefix}/2.0/mlflow/${path}`, { as, body });
    const query = (params: Record<string, string>) => new URLSearchParams(params).toString();
    const activities = async (name: string, version: string, as?: string) =>
      (ok(await call('GET', `model-versions/get-activities?${query({ name, version })}`, as)).activities ??
        []) as Array<Record<string, any>>;
    const eventCount = async () =>
      Number((await runtime.db.query<{ n: string }>(`SELECT count(*) AS n FROM registry.events`)).rows[0].n);

    const newModel = async (versions = 1) => {
      const name = `model-${randomUUID().slice(0, 8)}`;
      ok(await call('POST', 'registered-models/create', undefined, { name }));
      for (let i = 0; i < versions; i++) {
        ok(await call('POST', 'model-versions/create', undefined, { name, source: SOURCE }));
      }
      return name;
    };
    const comment = async (name: string, version: string, text: string, as?: string) =>
      ok(await call('POST', 'comments/create', as, { name, version, comment: text })).comment as Record<string, any>;
    const transition = async (name: string, version: string, stage: string, archive = false) =>
      ok(
        await call('POST', 'model-versions/transition-stage', 'ada', {
          name,
          version,
          stage,
          archive_existing_versions: archive,
        }),
      );

    before(async () => {
      const opened = await backend.open();
      config = opened.config;
      cleanup = opened.cleanup;
      runtime = await startRegistryRuntime(config, silent);
      @Module({ imports: [RegistryModule.with(runtime)] })
      class TestModule {}
      app = await createHttpApp(TestModule, { logger: silent, bodyLimitBytes: 2 * 1024 * 1024 });
      const fastify = app.getHttpAdapter().getInstance();
      fastify.addHook('onRequest', async (request) => {
        request.principal = principalOf(request.headers[PRINCIPAL_HEADER]);
      });
      await app.listen(0, '127.0.0.1');
    });

    after(async () => {
      await app.close();
      await runtime.close();
      await cleanup();
    });

    it('creates, updates and deletes a comment, in Databricks’ shapes, under both prefixes', async () => {
      const name = await newModel();
      const created = await comment(name, '1', 'Validated on the November holdout', 'ada');
      assert.match(created.id, /^[0-9a-f]{32}$/);
      assert.equal(created.user_id, 'ada');
      assert.equal(created.comment, 'Validated on the November holdout');
      assert.equal(typeof created.creation_timestamp, 'number');
      assert.equal(created.last_updated_timestamp, created.creation_timestamp);
      assert.deepEqual(created.available_actions, ['EDIT_COMMENT', 'DELETE_COMMENT']);

      const [listed] = await activities(name, '1', 'ada');
      assert.deepEqual(listed, { ...created, activity_type: 'NEW_COMMENT' });

      const updated = ok(
        await call('PATCH', 'comments/update', 'ada', { id: created.id, comment: 'Validated twice' }, 'ajax-api'),
      ).comment;
      assert.equal(updated.id, created.id);
      assert.equal(updated.comment, 'Validated twice');
      assert.equal(updated.creation_timestamp, created.creation_timestamp);
      assert.ok(updated.last_updated_timestamp >= created.creation_timestamp);
      assert.equal((await activities(name, '1'))[0]?.comment, 'Validated twice');

      assert.deepEqual(ok(await call('DELETE', `comments/delete?${query({ id: created.id })}`, 'ada')), {});
      assert.deepEqual(await activities(name, '1'), []);
      fails(
        await call('DELETE', `comments/delete?${query({ id: created.id })}`, 'ada'),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Comment with id=${created.id} not found`,
      );
      fails(
        await call('PATCH', 'comments/update', 'ada', { id: created.id, comment: 'back' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });

    it("refuses another user's edit and delete; an admin deletes it; each caller is offered only what it may do", async () => {
      const name = await newModel();
      const ada = await comment(name, '1', 'mine', 'ada');
      const before = await eventCount();
      fails(
        await call('PATCH', 'comments/update', 'bob', { id: ada.id, comment: 'ours' }),
        403,
        'PERMISSION_DENIED',
        'Only the author of a comment may edit it.',
      );
      fails(
        await call('PATCH', 'comments/update', 'root:admin', { id: ada.id, comment: 'admins too' }),
        403,
        'PERMISSION_DENIED',
      );
      fails(
        await call('DELETE', `comments/delete?${query({ id: ada.id })}`, 'bob'),
        403,
        'PERMISSION_DENIED',
        'Only the author of a comment may delete it.',
      );
      assert.equal(await eventCount(), before, 'a refused change writes nothing');
      const bob = await comment(name, '1', 'and mine', 'bob');

      const actionsFor = async (as: string) =>
        (await activities(name, '1', as)).map((activity) => [activity.comment, activity.available_actions]);
      assert.deepEqual(await actionsFor('ada'), [
        ['mine', ['EDIT_COMMENT', 'DELETE_COMMENT']],
        ['and mine', undefined],
      ]);
      assert.deepEqual(await actionsFor('bob'), [
        ['mine', undefined],
        ['and mine', ['EDIT_COMMENT', 'DELETE_COMMENT']],
      ]);
      assert.deepEqual(await actionsFor('root:admin'), [
        ['mine', ['DELETE_COMMENT']],
        ['and mine', ['DELETE_COMMENT']],
      ]);

      ok(await call('DELETE', `comments/delete?${query({ id: ada.id })}`, 'root:admin'));
      assert.deepEqual(
        (await activities(name, '1')).map((activity) => [activity.id, activity.user_id]),
        [[bob.id, 'bob']],
      );
    });

    it('answers bad input with MLflow-shaped 4xx and writes nothing', async () => {
      const name = await newModel();
      ok(await call('POST', 'model-versions/create', undefined, { name, source: SOURCE }));
      ok(await call('DELETE', 'model-versions/delete', undefined, { name, version: '2' }));
      const existing = await comment(name, '1', 'kept');
      const before = await eventCount();
      const create = (body: Record<string, unknown>) => call('POST', 'comments/create', undefined, body);
      fails(await create({ name, version: '1' }), 400, 'INVALID_PARAMETER_VALUE', "parameter 'comment'");
      fails(await create({ name, version: '1', comment: '' }), 400, 'INVALID_PARAMETER_VALUE', "'comment'");
      fails(await create({ name, version: '1', comment: ' \n ' }), 400, 'INVALID_PARAMETER_VALUE', 'blank');
      fails(
        await create({ name, version: '1', comment: 'x'.repeat(LIMITS.comment + 1) }),
        400,
        'INVALID_PARAMETER_VALUE',
        `'comment' exceeds the maximum length of ${LIMITS.comment} characters`,
      );
      fails(await create({ name, version: '1', comment: 7 }), 400, 'INVALID_PARAMETER_VALUE', "'comment'");
      fails(await create({ name, version: '1', comment: 'a\u0000b' }), 400, 'INVALID_PARAMETER_VALUE', 'NUL');
      fails(await create({ version: '1', comment: 'x' }), 400, 'INVALID_PARAMETER_VALUE', "parameter 'name'");
      fails(await create({ name, version: 'one', comment: 'x' }), 400, 'INVALID_PARAMETER_VALUE', "'version'");
      fails(
        await create({ name, version: '9', comment: 'x' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Model Version (name=${name}, version=9) not found`,
      );
      fails(
        await create({ name, version: '2', comment: 'x' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Model Version (name=${name}, version=2) not found`,
      );
      fails(await create({ name: 'no-such-model', version: '1', comment: 'x' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      fails(
        await call('PATCH', 'comments/update', undefined, { comment: 'x' }),
        400,
        'INVALID_PARAMETER_VALUE',
        "parameter 'id'",
      );
      fails(
        await call('PATCH', 'comments/update', undefined, { id: existing.id, comment: '  ' }),
        400,
        'INVALID_PARAMETER_VALUE',
        'blank',
      );
      fails(
        await call('PATCH', 'comments/update', undefined, { id: 'no-such-comment', comment: 'x' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        'Comment with id=no-such-comment not found',
      );
      fails(await call('DELETE', 'comments/delete'), 400, 'INVALID_PARAMETER_VALUE', "parameter 'id'");
      fails(await call('DELETE', `comments/delete?${query({ id: 'nope' })}`), 404, 'RESOURCE_DOES_NOT_EXIST');
      fails(
        await call('GET', `model-versions/get-activities?${query({ name, version: '2' })}`),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Model Version (name=${name}, version=2) not found`,
      );
      fails(
        await call('GET', `model-versions/get-activities?${query({ name })}`),
        400,
        'INVALID_PARAMETER_VALUE',
        "parameter 'version'",
      );
      assert.equal(await eventCount(), before);
      assert.deepEqual(
        (await activities(name, '1')).map((activity) => activity.comment),
        ['kept'],
      );
    });

    it('lists transitions oldest first: applied by the user, and the versions archive_existing_versions moved', async () => {
      const name = await newModel(3);
      await transition(name, '1', 'Staging');
      await transition(name, '1', 'Production');
      await comment(name, '1', 'in production now', 'ada');
      await transition(name, '2', 'Production', true);
      await transition(name, '3', 'Production');

      const shape = (activity: Record<string, any>) => [
        activity.activity_type,
        activity.from_stage,
        activity.to_stage,
        activity.user_id,
        activity.comment ?? activity.system_comment,
      ];
      assert.deepEqual((await activities(name, '1')).map(shape), [
        ['APPLIED_TRANSITION', 'None', 'Staging', 'ada', undefined],
        ['APPLIED_TRANSITION', 'Staging', 'Production', 'ada', undefined],
        ['NEW_COMMENT', undefined, undefined, 'ada', 'in production now'],
        [
          'SYSTEM_TRANSITION',
          'Production',
          'Archived',
          'ada',
          'Archived when version 2 was transitioned to Production (archive_existing_versions).',
        ],
      ]);
      assert.deepEqual((await activities(name, '2')).map(shape), [
        ['APPLIED_TRANSITION', 'None', 'Production', 'ada', undefined],
      ]);
      // Without archive_existing_versions, version 2 stays in Production: nothing is recorded for it.
      assert.equal((await activities(name, '2')).length, 1);
      const all = [
        ...(await activities(name, '1')),
        ...(await activities(name, '2')),
        ...(await activities(name, '3')),
      ];
      assert.equal(new Set(all.map((activity) => activity.id)).size, all.length, 'every activity has its own id');
      for (const activity of all) {
        assert.ok(activity.creation_timestamp <= activity.last_updated_timestamp);
        if (activity.activity_type !== 'NEW_COMMENT') assert.equal(activity.available_actions, undefined);
      }
    });

    it("follows a renamed model's versions; a deleted version or model takes its activities with it", async () => {
      const name = await newModel(2);
      await transition(name, '1', 'Staging');
      const first = await comment(name, '1', 'before the rename', 'ada');
      const renamed = `${name}-renamed`;
      ok(await call('POST', 'registered-models/rename', undefined, { name, new_name: renamed }));
      assert.deepEqual(
        (await activities(renamed, '1')).map((activity) => activity.activity_type),
        ['APPLIED_TRANSITION', 'NEW_COMMENT'],
      );
      fails(
        await call('GET', `model-versions/get-activities?${query({ name, version: '1' })}`),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      ok(await call('PATCH', 'comments/update', 'ada', { id: first.id, comment: 'after the rename' }));
      await comment(renamed, '2', 'on version 2', 'ada');

      ok(await call('DELETE', 'model-versions/delete', undefined, { name: renamed, version: '1' }));
      fails(
        await call('GET', `model-versions/get-activities?${query({ name: renamed, version: '1' })}`),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      fails(
        await call('PATCH', 'comments/update', 'ada', { id: first.id, comment: 'still here?' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      assert.equal((await activities(renamed, '2')).length, 1);

      ok(await call('DELETE', 'registered-models/delete', undefined, { name: renamed }));
      fails(
        await call('GET', `model-versions/get-activities?${query({ name: renamed, version: '2' })}`),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      // A new model of the name starts with empty activity lists.
      ok(await call('POST', 'registered-models/create', undefined, { name: renamed }));
      ok(await call('POST', 'model-versions/create', undefined, { name: renamed, source: SOURCE }));
      ok(await call('POST', 'model-versions/create', undefined, { name: renamed, source: SOURCE }));
      assert.deepEqual(await activities(renamed, '2'), []);
      const { rows } = await runtime.db.query(
        `SELECT 1 FROM registry.version_activities a
         WHERE NOT EXISTS (SELECT 1 FROM registry.model_versions v
           WHERE v.registered_model_id = a.registered_model_id AND v.version = a.version)`,
      );
      assert.deepEqual(rows, [], 'no activity outlives its version');
    });

    it('is routed to the registry by the distributed gateway, under both prefixes', async () => {
      const name = await newModel();
      const registry = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
      const gateway = Fastify();
      // Nothing listens on port 9: a route that went to tracking or artifacts would answer 503.
      const nowhere = 'http://127.0.0.1:9';
      await registerRoutes(
        gateway,
        routingTable(upstreamPools({ tracking: nowhere, artifacts: nowhere, registry })),
        silent,
      );
      const base = await gateway.listen({ port: 0, host: '127.0.0.1' });
      try {
        for (const prefix of ['api', 'ajax-api']) {
          const send = (method: string, path: string, body?: unknown) =>
            fetch(`${base}/${prefix}/2.0/mlflow/${path}`, {
              method,
              ...(body === undefined
                ? {}
                : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
            });
          const created = await send('POST', 'comments/create', { name, version: '1', comment: prefix });
          assert.equal(created.status, 200, await created.clone().text());
          const { comment: made } = (await created.json()) as Record<string, any>;
          assert.equal((await send('PATCH', 'comments/update', { id: made.id, comment: `${prefix}!` })).status, 200);
          const listed = await send('GET', `model-versions/get-activities?${query({ name, version: '1' })}`);
          assert.deepEqual(
            ((await listed.json()) as Record<string, any>).activities.map((a: Record<string, any>) => a.comment),
            [`${prefix}!`],
          );
          assert.equal((await send('DELETE', `comments/delete?${query({ id: made.id })}`)).status, 200);
        }
      } finally {
        await gateway.close();
      }
    });

    if (backend.kafka)
      it('publishes each comment’s life on registry.comment.events.v1, keyed by its stream, as its contracts say', async () => {
        const client = createKafka(testInfra().kafka, 'registry-comments-spec', silent);
        const topics = [REGISTRY_COMMENT_TOPIC.name];
        const published = () => topicSize(client, topics).catch(() => 0);
        const before = await published();
        const name = await newModel();
        const made = await comment(name, '1', 'on Kafka', 'ada');
        ok(await call('PATCH', 'comments/update', 'ada', { id: made.id, comment: 'still on Kafka' }));
        ok(await call('DELETE', `comments/delete?${query({ id: made.id })}`, 'ada'));
        const size = await waitFor('the three comment events on Kafka', async () => {
          const now = await published();
          return now >= before + 3 && now;
        });
        const mine = (await readTopics(client, topics, size)).filter((m) => m.key === `comment-${made.id}`);
        const events = mine.map((m) => JSON.parse(m.value) as { type: string; schemaVersion: number; data: unknown });
        assert.deepEqual(
          events.map((event) => event.type),
          ['CommentCreated', 'CommentEdited', 'CommentDeleted'],
        );
        const validators = contractValidators(REGISTRY_COMMENT_TOPIC.events);
        assert.deepEqual(
          events.flatMap((event) => validators[event.type](event.data, event)),
          [],
        );
        assert.deepEqual((events[0].data as Record<string, unknown>).userId, 'ada');
      });

    it('rebuilds the activity lists from the log to the same rows, through the rebuild command', async () => {
      const name = await newModel(2);
      await transition(name, '1', 'Production');
      const edited = await comment(name, '1', 'first', 'ada');
      ok(await call('PATCH', 'comments/update', 'ada', { id: edited.id, comment: 'first, edited' }));
      const removed = await comment(name, '2', 'gone soon', 'bob');
      ok(await call('DELETE', `comments/delete?${query({ id: removed.id })}`, 'bob'));
      await transition(name, '2', 'Production', true);

      const live = await registryProjectionRows(runtime.db);
      assert.ok(live[live.length - 1].length >= 4, 'the sequence left activities to compare');
      await runtime.db.query(`UPDATE registry.version_activities SET comment = 'drifted'`);
      const target = {
        projections: registryProjections,
        streams: registryStreams,
        open: () => openRegistryStore(config, silent),
      };
      if (config.mode === 'distributed') {
        await runRebuildCommand(target, silent, ['activities']);
      } else {
        // The embedded database is the running registry's own: rebuild through its store.
        for (const projection of registryProjections) await runtime.store.rebuild(projection);
      }
      assert.deepEqual(await registryProjectionRows(runtime.db), live);
    });
  });
}
