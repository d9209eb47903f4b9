import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { createHttpApp } from '@logbook/platform';
import { waitFor } from '@logbook/testing';
import { loadRegistryConfig } from '../../services/registry/src/config';
import { RegistryModule } from '../../services/registry/src/registry.module';
import { RegistryRuntime, startRegistryRuntime } from '../../services/registry/src/registry.runtime';
import { Answer, fails, injectAnswer, Method, ok } from './identity-fixtures';
import { AuthorizedRegistryApi, startAuthorizedRegistry } from './registry-authorization-fixtures';
import { RegistryStorage, registryStorages } from './registry-fixtures';

const logger = pino({ level: 'silent' });
const SOURCE = `runs:/${'a'.repeat(32)}/model`;
const MODEL_TOPIC = 'registry.registered-model.events.v1';
const VERSION_TOPIC = 'registry.model-version.events.v1';

type FeedQuery = Record<string, string | number | string[]>;

const search = (query: FeedQuery) =>
  new URLSearchParams(
    Object.entries(query).flatMap(([key, value]) =>
      (Array.isArray(value) ? value : [value]).map((one): [string, string] => [key, String(one)]),
    ),
  );

for (const { shape, storage } of registryStorages('events_feed')) {
  describe(`registry event feed on ${shape}`, () => {
    let app: NestFastifyApplication;
    let runtime: RegistryRuntime;
    let data: RegistryStorage;

    const mlflow = async (method: Method, path: string, body: unknown) =>
      ok(await injectAnswer(app, method, `/api/2.0/mlflow/${path}`, { body }));
    const feed = (query: FeedQuery = {}, prefix = 'api'): Promise<Answer> =>
      injectAnswer(app, 'GET', `/${prefix}/2.0/logbook/events/registry?${search(query)}`);
    /** Everything after `after`, read in pages of `pageSize`, and where the last page ended. */
    const readAll = async (query: FeedQuery = {}, pageSize = 1000) => {
      const events: Record<string, any>[] = [];
      let position = query.after as string | undefined;
      for (;;) {
        const page = ok(await feed({ ...query, ...(position ? { after: position } : {}), max_events: pageSize }));
        assert.match(page.next_position, /^[0-9]+-[0-9]+$/);
        if (!page.events) return { events, next: page.next_position as string };
        events.push(...page.events);
        position = page.next_position;
      }
    };
    /** A model's life: created, a version, tagged, moved to Staging, aliased. */
    const lifecycle = async (name: string) => {
      await mlflow('POST', 'registered-models/create', { name });
      await mlflow('POST', 'model-versions/create', { name, source: SOURCE });
      await mlflow('POST', 'model-versions/set-tag', { name, version: '1', key: 'team', value: 'fraud' });
      await mlflow('POST', 'model-versions/transition-stage', { name, version: '1', stage: 'Staging' });
      await mlflow('POST', 'registered-models/alias', { name, alias: 'champion', version: '1' });
      // The feed holds events back while an older transaction runs, any session's on a shared server.
      await waitFor('every event readable', async () => {
        const { rows } = await runtime.db.query<{ held: number }>(
          `SELECT count(*)::int AS held FROM registry.events WHERE transaction_id >= pg_snapshot_xmin(pg_current_snapshot())`,
        );
        return rows[0].held === 0;
      });
    };

    before(async () => {
      data = await storage();
      runtime = await startRegistryRuntime(loadRegistryConfig(data.env), logger);
      @Module({ imports: [RegistryModule.with(runtime)] })
      class TestModule {}
      app = await createHttpApp(TestModule, { logger, bodyLimitBytes: 1024 * 1024 });
      await app.init();
      await app.getHttpAdapter().getInstance().ready();
    });

    after(async () => {
      await app.close();
      await runtime.close();
      await data.drop();
    });

    it("answers a model's lifecycle in order, each event as the relay publishes it, under both prefixes", async () => {
      const start = ok(await feed({ after: 'latest' }));
      assert.equal(start.events, undefined);
      await lifecycle('feed-lifecycle');
      const { events } = await readAll({ after: start.next_position });
      assert.deepEqual(
        events.map((e) => [e.topic, e.event.type]),
        [
          [MODEL_TOPIC, 'RegisteredModelCreated'],
          [MODEL_TOPIC, 'ModelVersionNumberAssigned'],
          [VERSION_TOPIC, 'ModelVersionCreated'],
          [VERSION_TOPIC, 'ModelVersionTagSet'],
          [MODEL_TOPIC, 'ModelVersionStageTransitioned'],
          [MODEL_TOPIC, 'RegisteredModelAliasSet'],
        ],
      );
      const stored = (
        await runtime.db.query<{ event_id: string }>(
          `SELECT event_id FROM registry.events ORDER BY transaction_id, global_position`,
        )
      ).rows.map((row) => row.event_id);
      assert.deepEqual(
        events.map((e) => e.event.eventId),
        stored.slice(stored.length - events.length),
      );
      for (const { key, topic, event } of events) {
        assert.equal(key, event.streamId);
        assert.equal(topic, `registry.${event.streamType}.events.v1`);
        assert.deepEqual(runtime.toContract(event), [event]);
      }
      const ajax = ok(await feed({ after: start.next_position }, 'ajax-api'));
      assert.deepEqual(ajax.events, events);
    });

    it('resumes after any position without gaps or repeats, in pages of any size', async () => {
      await lifecycle('feed-resume');
      const whole = await readAll();
      const paged = await readAll({}, 3);
      assert.deepEqual(paged, whole);
      for (const [i, { position }] of whole.events.entries()) {
        assert.deepEqual((await readAll({ after: position })).events, whole.events.slice(i + 1));
      }
    });

    it('filters by topic and type while next_position moves past what it left out', async () => {
      const start = ok(await feed({ after: 'latest' })).next_position;
      await lifecycle('feed-filters');
      const all = await readAll({ after: start });
      const versions = await readAll({ after: start, topics: VERSION_TOPIC });
      assert.deepEqual(
        versions.events,
        all.events.filter((e) => e.topic === VERSION_TOPIC),
      );
      assert.equal(versions.next, all.next);
      const models = ok(await feed({ after: start, topics: [MODEL_TOPIC, 'registry.nothing.events.v1'] }));
      assert.ok(models.events.every((e: Record<string, any>) => e.topic === MODEL_TOPIC));
      const created = await readAll({ after: start, types: ['RegisteredModelCreated', 'ModelVersionCreated'] });
      assert.deepEqual(
        created.events.map((e) => e.event.type),
        ['RegisteredModelCreated', 'ModelVersionCreated'],
      );
      assert.deepEqual(ok(await feed({ after: all.next, types: 'RegisteredModelCreated' })), {
        next_position: all.next,
      });
    });

    it('answers `latest` with no events, and a long poll as soon as an event is appended', async () => {
      const end = ok(await feed({ after: 'latest' }));
      assert.deepEqual(Object.keys(end), ['next_position']);
      assert.deepEqual(ok(await feed({ after: end.next_position })), end);

      const started = Date.now();
      const waiting = feed({ after: end.next_position, wait_ms: 20_000 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await mlflow('POST', 'registered-models/create', { name: 'feed-long-poll' });
      const answered = ok(await waiting);
      assert.ok(Date.now() - started < 10_000, 'answered at the append, not at wait_ms');
      assert.deepEqual(
        answered.events.map((e: Record<string, any>) => [e.event.type, e.event.data.name]),
        [['RegisteredModelCreated', 'feed-long-poll']],
      );

      const quiet = Date.now();
      assert.deepEqual(ok(await feed({ after: answered.next_position, wait_ms: 300 })), {
        next_position: answered.next_position,
      });
      assert.ok(Date.now() - quiet >= 300);
    });

    it('refuses malformed positions and out-of-range limits with INVALID_PARAMETER_VALUE', async () => {
      for (const after of ['abc', '1', '1-', '-1-1', '01-1', '1-1-1', '99999999999999999999999-1']) {
        fails(await feed({ after }), 400, 'INVALID_PARAMETER_VALUE');
      }
      for (const [key, value] of [
        ['max_events', 0],
        ['max_events', 1001],
        ['max_events', 'many'],
        ['wait_ms', -1],
        ['wait_ms', 20_001],
      ] as const) {
        fails(await feed({ [key]: value }), 400, 'INVALID_PARAMETER_VALUE');
      }
    });
  });
}

describe('registry event feed with authorization on', () => {
  let api: AuthorizedRegistryApi;
  before(async () => {
    api = await startAuthorizedRegistry('registry_events_feed_auth', ['boss', 'the boss password 42'], 'MANAGE');
  });
  after(() => api.close());

  it('is for admins only', async () => {
    fails(await api.call('GET', '/api/2.0/logbook/events/registry', { as: 'alice' }), 403, 'PERMISSION_DENIED');
    fails(await api.call('GET', '/ajax-api/2.0/logbook/events/registry', { as: 'alice' }), 403, 'PERMISSION_DENIED');
    ok(await api.call('GET', '/api/2.0/logbook/events/registry?after=latest', { as: 'boss:admin' }));
  });
});
