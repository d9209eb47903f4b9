import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { AUDIT_TOPIC } from '@logbook/audit';
import { createKafka } from '@logbook/messaging';
import { createHttpApp } from '@logbook/platform';
import { createTestDatabase, deleteTopics, readTopics, testInfra, uniqueName } from '@logbook/testing';
import { loadIdentityConfig } from '../../services/identity/src/config';
import { IdentityModule } from '../../services/identity/src/identity.module';
import { IdentityRuntime, startIdentityRuntime } from '../../services/identity/src/identity.runtime';
import { loadRegistryConfig } from '../../services/registry/src/config';
import { RegistryModule } from '../../services/registry/src/registry.module';
import { RegistryRuntime, startRegistryRuntime } from '../../services/registry/src/registry.runtime';

const ADMIN_PASSWORD = 'root password 123';
const CLOUDEVENTS_JSON = 'application/cloudevents+json; charset=UTF-8';
const REQUIRED = ['specversion', 'id', 'source', 'type'];

/** The audit trails on Kafka for SIEM ingestion: each row a CloudEvents 1.0 structured-mode message, in order. */
describe('audit trail as CloudEvents on real Kafka', () => {
  const namespace = uniqueName('audit');
  const topic = `${namespace}.${AUDIT_TOPIC}`;
  const kafka = createKafka(testInfra().kafka, 'audit-cloudevents-spec', pino({ level: 'silent' }));
  let database: { url: string; drop(): Promise<void> };
  let registry: RegistryRuntime;
  let identity: IdentityRuntime;
  let app: NestFastifyApplication;

  const env = () => ({
    LOGBOOK_MODE: 'distributed',
    DATABASE_URL: database.url,
    KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
    LOGBOOK_KAFKA_NAMESPACE: namespace,
  });
  const create = async (path: string, body: unknown) => {
    const answer = await app.inject({
      method: 'POST',
      url: `/api/2.0/mlflow/${path}`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    assert.equal(answer.statusCode, 200, answer.body);
  };
  /** Every message of the topic once all rows of both trails are there; those of one chain, by its key. */
  const published = async (service: string) => {
    const total = (await auditRows('registry')).length + (await auditRows('identity')).length;
    return (await readTopics(kafka, [topic], total)).filter((message) => message.key === service);
  };
  const auditRows = async (schema: string) =>
    (
      await registry.db.query<{ seq: string; event_id: string; hash: string }>(
        `SELECT seq, event_id, hash FROM ${schema}.audit_log ORDER BY seq`,
      )
    ).rows;

  before(async () => {
    database = await createTestDatabase('audit_cloudevents');
    registry = await startRegistryRuntime(loadRegistryConfig(env()), pino({ level: 'silent' }));
    identity = await startIdentityRuntime(
      loadIdentityConfig({ ...env(), LOGBOOK_ADMIN_USERNAME: 'root', LOGBOOK_ADMIN_PASSWORD: ADMIN_PASSWORD }),
      pino({ level: 'silent' }),
      registry.db,
    );
    @Module({ imports: [IdentityModule.with(identity), RegistryModule.with(registry)] })
    class TestModule {}
    app = await createHttpApp(TestModule, { logger: pino({ level: 'silent' }), bodyLimitBytes: 1024 * 1024 });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  after(async () => {
    await app.close();
    await identity.close();
    await registry.close();
    await deleteTopics(kafka, namespace);
    await database.drop();
  });

  it("publishes each audit row, in the chain's order, as a valid structured-mode CloudEvent", async () => {
    const name = 'fraud-detector';
    await create('registered-models/create', { name });
    await create('model-versions/create', { name, source: `runs:/${'d'.repeat(32)}/model` });
    await create('model-versions/set-tag', { name, version: '1', key: 'validation', value: 'passed' });
    const rows = await auditRows('registry');
    assert.equal(rows.length, 4, 'the model, the version number, the version, its tag');

    const messages = await published('registry');
    assert.equal(messages.length, rows.length);
    const events = messages.map((message) => {
      assert.equal(message.headers['content-type'], CLOUDEVENTS_JSON);
      return JSON.parse(message.value) as Record<string, any>;
    });
    for (const event of events) {
      for (const attribute of REQUIRED) assert.equal(typeof event[attribute], 'string', attribute);
      assert.equal(event.specversion, '1.0');
      assert.equal(event.source, '/logbook/registry/audit');
      assert.equal(event.datacontenttype, 'application/json');
      assert.equal(event.type, `logbook.audit.${event.data.event_type}`);
      assert.equal(event.id, event.data.event_id);
      assert.equal(new Date(event.time).toISOString(), event.time, 'time is RFC 3339');
    }
    assert.deepEqual(
      events.map((event) => [event.data.seq, event.id, event.data.hash]),
      rows.map((row) => [Number(row.seq), row.event_id, row.hash]),
      'every row once, in order, with its hashes',
    );
    const tagged = events.at(-1) as Record<string, any>;
    assert.equal(tagged.subject, `${name}/versions/1`);
    assert.equal(tagged.data.event_type, 'ModelVersionTagSet');
    assert.deepEqual(tagged.data.after.tagKeys, ['validation']);
    assert.equal(events[0].subject, name);
    assert.equal(events[0].data.prev_hash, '0'.repeat(64));
    assert.deepEqual(await registry.auditExport?.lag(), { pendingEvents: 0, oldestPendingSeconds: 0 });
  });

  it("publishes identity's trail on the same topic under its own source, without secrets", async () => {
    const rows = await auditRows('identity');
    assert.ok(rows.length >= 1, 'the admin made at start');
    const messages = await published('identity');
    const events = messages.map((message) => JSON.parse(message.value) as Record<string, any>);
    assert.deepEqual(
      events.map((event) => event.id),
      rows.map((row) => row.event_id),
    );
    const created = events.find((event) => event.data.event_type === 'UserCreated') as Record<string, any>;
    assert.equal(created.source, '/logbook/identity/audit');
    assert.equal(created.subject, 'root');
    const hash = (await identity.db.query<{ h: string }>(`SELECT password_hash AS h FROM identity.users`)).rows[0].h;
    assert.ok(!messages.some((message) => message.value.includes(hash) || message.value.includes(ADMIN_PASSWORD)));
  });
});
