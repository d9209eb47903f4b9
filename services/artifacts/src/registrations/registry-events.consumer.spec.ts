import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventEnvelope } from '@logbook/eventstore';
import { migrate, PostgresDatabase } from '@logbook/platform';
import { createTestDatabase, eventOnTheWire } from '@logbook/testing';
import { ARTIFACTS_SCHEMA, artifactsMigrations } from '../../migrations/001_initial';
import { registryEventsConsumer } from './registry-events.consumer';

const registryEvent = (type: string, data: Record<string, unknown>): EventEnvelope =>
  eventOnTheWire('registry', 'registered-model', type, data, {
    streamId: `registered-model-${String(data.registeredModelId)}`,
  });

const versionCreated = (registeredModelId: string, name: string, version: number, time: number, prompt = false) =>
  registryEvent('ModelVersionCreated', {
    registeredModelId,
    name,
    version,
    source: 'runs:/0f6c3e1a9b8d4c2e8f7a6b5c4d3e2f10/model',
    runId: null,
    runLink: null,
    description: null,
    modelId: null,
    tags: prompt ? [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] : [],
    time,
  });

const renamed = (registeredModelId: string, name: string, previousName: string, time: number) =>
  registryEvent('RegisteredModelRenamed', { registeredModelId, name, previousName, time });

describe("the artifacts consumer of the registry's events: each registered model's current name", () => {
  let database: { url: string; drop(): Promise<void> };
  let db: PostgresDatabase;
  const consumer = registryEventsConsumer(undefined);
  const nameOf = async (id: string) =>
    (
      await db.query<{ name: string }>(
        `SELECT name FROM artifacts.registered_model_names WHERE registered_model_id = $1`,
        [id],
      )
    ).rows[0]?.name;

  before(async () => {
    database = await createTestDatabase('artifacts_registry_events');
    db = new PostgresDatabase(database.url, 2);
    await migrate(db, ARTIFACTS_SCHEMA, artifactsMigrations);
  });

  after(async () => {
    await db.close();
    await database.drop();
  });

  it('is the name of its latest event, whichever topic delivers first', async () => {
    assert.ok(consumer.handledTypes?.has('RegisteredModelRenamed'));
    await consumer.handle(db, versionCreated('rm1', 'fraud', 1, 1000));
    assert.equal(await nameOf('rm1'), 'fraud');
    await consumer.handle(db, renamed('rm1', 'fraud-v2', 'fraud', 3000));
    assert.equal(await nameOf('rm1'), 'fraud-v2');
    // A version created before the rename, delivered after it (another topic).
    await consumer.handle(db, versionCreated('rm1', 'fraud', 2, 2000));
    assert.equal(await nameOf('rm1'), 'fraud-v2');
    await consumer.handle(db, versionCreated('rm1', 'fraud-v2', 3, 4000));
    assert.equal(await nameOf('rm1'), 'fraud-v2');
    const { rows } = await db.query(`SELECT version FROM artifacts.registrations WHERE registered_model_id = 'rm1'`);
    assert.equal(rows.length, 3);
  });

  it('learns a rename that arrives before any version, and keeps it', async () => {
    await consumer.handle(db, renamed('rm2', 'churn-v2', 'churn', 2000));
    await consumer.handle(db, versionCreated('rm2', 'churn', 1, 1000));
    assert.equal(await nameOf('rm2'), 'churn-v2');
  });

  it('leaves prompts out: their versions have no files to read', async () => {
    await consumer.handle(db, versionCreated('p1', 'greeting', 1, 1000, true));
    assert.equal(await nameOf('p1'), undefined);
  });
});
