import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { PostgresDatabase, metricsRegistry } from '@logbook/platform';
import { OutboxRelay } from './relay';
import { appendTo, createStore, logger, messagingTestbed, RecordingPublisher, waitFor } from '@logbook/testing';

/** The value of `metric` for one relay in what Prometheus would scrape, undefined when absent. */
async function scraped(metric: string, relay: string): Promise<number | undefined> {
  const text = await metricsRegistry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${metric}{relay="${relay}"} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

describe('OutboxRelay lag metrics', () => {
  const bed = messagingTestbed('msg_lag');
  let db: PostgresDatabase;
  let foreign: Client;
  before(async () => {
    db = bed.db;
    // Not Logbook's pool: a foreign session, which no timeout of Logbook's ends.
    foreign = new Client({ connectionString: bed.infra.databaseUrl });
    await foreign.connect();
  });
  after(() => foreign.end());

  it('shows committed events waiting behind a foreign idle transaction, and their age', async () => {
    const { schema, service } = await bed.fresh();
    const store = createStore(db, schema, service);
    const publisher = new RecordingPublisher();
    const relay = new OutboxRelay(store, publisher, { pollIntervalMs: 20, logger });
    const label = `${schema}.relay`;
    relay.start();
    try {
      await foreign.query('BEGIN');
      await foreign.query('SELECT pg_current_xact_id()');
      await appendTo(store, 'run', 'run-1', 3);

      await relay.drain();
      assert.equal(publisher.published.length, 0, 'the open transaction holds the events back');
      assert.equal(await scraped('logbook_relay_pending_events', label), 3);
      await waitFor('the pending events to age', async () => {
        return ((await scraped('logbook_relay_oldest_pending_event_age_seconds', label)) ?? 0) > 0;
      });

      await foreign.query('COMMIT');
      await waitFor('the relay to publish', async () => publisher.published.length === 3);
      await waitFor('the gauges to show no lag', async () => {
        const pending = await scraped('logbook_relay_pending_events', label);
        const age = await scraped('logbook_relay_oldest_pending_event_age_seconds', label);
        return pending === 0 && age === 0;
      });
    } finally {
      await foreign.query('ROLLBACK').catch(() => undefined);
      await relay.stop();
    }
    assert.equal(await scraped('logbook_relay_pending_events', label), undefined, 'a stopped relay is not reported');
  });
});
