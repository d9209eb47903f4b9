import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { appendTo, appliedRows, eventStoreMigrations, logger, recordApplied, waitFor } from '@logbook/testing';
import { serviceConfig, ServiceEnvironment, PgliteDatabase } from '@logbook/platform';
import { ServiceDefinition, ServiceRuntime, startServiceRuntime } from './service-runtime';

const embedded = serviceConfig(new ServiceEnvironment(), 'embedded-spec');

function service(name: string, extraSql?: string): ServiceDefinition {
  return {
    name,
    schema: name,
    migrations: eventStoreMigrations(name, extraSql),
    store: { projections: [] },
    streamTypes: ['note'],
  };
}

describe('service runtime: the embedded shape', () => {
  let db: PgliteDatabase;
  let producer: ServiceRuntime;
  let consumer: ServiceRuntime;
  before(async () => {
    db = await PgliteDatabase.open(undefined);
    producer = await startServiceRuntime({ service: service('producer'), config: embedded, logger, db });
    consumer = await startServiceRuntime({
      service: service(
        'consumer',
        'CREATE TABLE consumer.applied (consumer text NOT NULL, event_id uuid NOT NULL, stream_id text NOT NULL, stream_position integer NOT NULL, seq bigserial);',
      ),
      config: embedded,
      logger,
      db,
      relay: { pollIntervalMs: 20 },
      subscriptions: () => [
        {
          kind: 'in-process',
          source: producer.store,
          consumer: {
            name: 'consumer.notes',
            schema: 'consumer',
            handle: (tx, event) => recordApplied(tx, 'consumer', 'consumer.notes', event),
          },
        },
      ],
    });
  });
  after(async () => {
    await consumer.close();
    await producer.close();
    await db.close();
  });

  it('runs no relay of a log nobody in the process subscribes to', () => {
    assert.equal(producer.publication, undefined);
    assert.deepEqual(producer.subscriptions, []);
    assert.deepEqual(
      consumer.subscriptions.map((s) => s.name),
      ['consumer.notes'],
    );
  });

  it("delivers the producer's events to the consumer through its named subscription", async () => {
    const appended = await appendTo(producer.store, 'note', 'note-1', 3);
    const applied = await waitFor('the consumer to apply three events', async () => {
      const rows = await appliedRows(db, 'consumer', 'consumer.notes');
      return rows.length === 3 && rows;
    });
    assert.deepEqual(
      applied.map((row) => row.event_id),
      appended.map((event) => event.eventId),
    );
    const { rows } = await db.query<{ name: string }>(`SELECT name FROM producer.checkpoints ORDER BY name`);
    assert.deepEqual(rows, [{ name: 'consumer.notes' }], 'only the subscription with a subscriber keeps a checkpoint');
  });

  it('reports the subscription in readiness, under its name', async () => {
    const names = consumer.readinessChecks.map((check) => check.name);
    assert.deepEqual(names, ['database', 'consumer.notes']);
    for (const check of consumer.readinessChecks) await check.probe();
  });
});
