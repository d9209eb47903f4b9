import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEnvelope } from '@logbook/eventstore';
import { MlflowError, PostgresDatabase } from '@logbook/platform';
import { appendTo, createStore, gatedDatabase, messagingTestbed, waitPublishable } from '@logbook/testing';
import { EventFeed, FeedRequest } from './event-feed';
import { LOG_START, LogPosition, parsePositionToken, positionToken } from './event-log';
import { eventTopic } from './topics';

const everything = (after: LogPosition | 'latest', maxEvents = 1000): FeedRequest => ({ after, maxEvents, waitMs: 0 });
const ids = (events: Array<{ event: EventEnvelope }>) => events.map(({ event }) => event.eventId);

describe('EventFeed on Postgres', () => {
  const bed = messagingTestbed('msg_feed');
  let db: PostgresDatabase;
  before(() => {
    ({ db } = bed);
  });

  async function fixture() {
    const { schema, service } = await bed.fresh();
    const store = createStore(db, schema, service);
    return { schema, service, store, feed: new EventFeed(store, { service }) };
  }

  it('does not skip an event whose transaction commits after a later one', async () => {
    const { schema, service, store, feed } = await fixture();
    const { gated, inside, release } = gatedDatabase(db);
    const lateAppend = appendTo(createStore(gated, schema, service), 'run', 'run-late');
    let early: EventEnvelope;
    try {
      await inside; // inserted (smaller position, older transaction) but not committed
      [early] = await appendTo(store, 'run', 'run-early');
      const held = await feed.read(everything(LOG_START));
      assert.deepEqual(held, { events: [], next: LOG_START }, 'the later commit waits behind the open transaction');
    } finally {
      release();
    }
    const [late] = await lateAppend;
    assert.ok(late.globalPosition < early.globalPosition);
    await waitPublishable(db, schema, 2);
    const page = await feed.read(everything(LOG_START));
    assert.deepEqual(ids(page.events), [late.eventId, early.eventId]);
    assert.deepEqual(page.next, page.events[1].position);
  });

  it('resumes from any position without gaps or repeats, and answers each event as the relay publishes it', async () => {
    const { schema, service, store, feed } = await fixture();
    await appendTo(store, 'run', 'run-a', 4);
    await appendTo(store, 'experiment', 'exp-a', 3);
    await appendTo(store, 'run', 'run-b', 3);
    await waitPublishable(db, schema, 10);
    const all = (await feed.read(everything(LOG_START))).events;
    assert.deepEqual(ids(all), ids((await store.readAll(0, 100)).map((event) => ({ event }))));
    assert.deepEqual(
      all.map(({ topic, key }) => [topic, key]),
      [
        ...Array(4).fill([eventTopic(service, 'run'), 'run-a']),
        ...Array(3).fill([eventTopic(service, 'experiment'), 'exp-a']),
        ...Array(3).fill([eventTopic(service, 'run'), 'run-b']),
      ],
    );

    const paged: typeof all = [];
    let after = LOG_START;
    for (;;) {
      const page = await feed.read(everything(after, 3));
      if (page.events.length === 0) break;
      paged.push(...page.events);
      after = page.next;
    }
    assert.deepEqual(ids(paged), ids(all));
    for (const [i, { position }] of all.entries()) {
      const rest = await feed.read(everything(parsePositionToken(positionToken(position), 'after')));
      assert.deepEqual(ids(rest.events), ids(all.slice(i + 1)));
    }
  });

  it('maps events through the contract mapping, as the relay does', async () => {
    const { schema, service, store } = await fixture();
    const feed = new EventFeed(store, {
      service,
      toContract: (event) => [{ ...event, type: `Public${event.type}`, data: { public: true } }],
    });
    await appendTo(store, 'run', 'run-a');
    await waitPublishable(db, schema, 1);
    const [{ event }] = (await feed.read(everything(LOG_START))).events;
    assert.equal(event.type, 'PublicNoted');
    assert.deepEqual(event.data, { public: true });
  });

  it("gives each event a mapping publishes on a topic of its own that topic, at the stored event's position", async () => {
    const { schema, service, store } = await fixture();
    const feed = new EventFeed(store, {
      service,
      toContract: (event) => [event, { ...event, eventId: `${event.eventId}-summary`, type: 'Summarized' }],
      topicOf: (event) => (event.type === 'Summarized' ? `${service}.summaries` : `${service}.${event.streamType}`),
    });
    await appendTo(store, 'run', 'run-a');
    await waitPublishable(db, schema, 1);
    const { events } = await feed.read(everything(LOG_START));
    assert.deepEqual(
      events.map(({ topic, event }) => [topic, event.type]),
      [
        [`${service}.run`, 'Noted'],
        [`${service}.summaries`, 'Summarized'],
      ],
    );
    assert.deepEqual(events[0].position, events[1].position);
    const summaries = await feed.read({ ...everything(LOG_START), topics: [`${service}.summaries`] });
    assert.deepEqual(
      summaries.events.map(({ event }) => event.type),
      ['Summarized'],
    );
  });

  it('filters by topic and type, and still moves the position past what it left out', async () => {
    const { schema, service, store, feed } = await fixture();
    await appendTo(store, 'experiment', 'exp-a', 2);
    await appendTo(store, 'run', 'run-a', 2, 'Started');
    await appendTo(store, 'experiment', 'exp-b', 1);
    await appendTo(store, 'run', 'run-b', 1, 'Finished');
    await waitPublishable(db, schema, 6);
    const all = (await feed.read(everything(LOG_START))).events;

    const runs = await feed.read({ ...everything(LOG_START), topics: [eventTopic(service, 'run')] });
    assert.deepEqual(ids(runs.events), ids(all.filter(({ event }) => event.streamType === 'run')));
    assert.deepEqual(runs.next, all[5].position);

    const finished = await feed.read({ ...everything(LOG_START), types: ['Finished'] });
    assert.deepEqual(ids(finished.events), [all[5].event.eventId]);

    const experiments = await feed.read({ ...everything(LOG_START, 4), topics: [eventTopic(service, 'experiment')] });
    assert.deepEqual(ids(experiments.events), ids(all.slice(0, 2)));
    assert.deepEqual(experiments.next, all[3].position, 'past the two run events read and left out');

    const none = await feed.read({ ...everything(all[4].position), types: ['Started'] });
    assert.deepEqual(none, { events: [], next: all[5].position });
  });

  it('answers `latest` with the end of the log, from which only new events follow', async () => {
    const { schema, store, feed } = await fixture();
    assert.deepEqual(await feed.read(everything('latest')), { events: [], next: LOG_START });
    await appendTo(store, 'run', 'run-a', 3);
    await waitPublishable(db, schema, 3);
    const end = await feed.read(everything('latest'));
    assert.deepEqual(end.events, []);
    assert.deepEqual(await feed.read(everything(end.next)), { events: [], next: end.next });
    const [fresh] = await appendTo(store, 'run', 'run-b');
    await waitPublishable(db, schema, 4);
    assert.deepEqual(ids((await feed.read(everything(end.next))).events), [fresh.eventId]);
  });

  it('waits for the next append when nothing follows, and gives up after wait_ms', async () => {
    const { schema, service, store, feed } = await fixture();
    const started = Date.now();
    const empty = await feed.read({ ...everything(LOG_START), waitMs: 300 });
    assert.deepEqual(empty, { events: [], next: LOG_START });
    assert.ok(Date.now() - started >= 300);

    const waiting = feed.read({ ...everything(LOG_START), waitMs: 20_000 });
    const [appended] = await appendTo(store, 'run', 'run-a');
    const answered = await waiting;
    assert.deepEqual(ids(answered.events), [appended.eventId]);

    // Appended by another replica (another store over the same table): found by polling.
    const other = createStore(db, schema, service);
    const polling = feed.read({ ...everything(answered.next), waitMs: 20_000 });
    const [elsewhere] = await appendTo(other, 'run', 'run-b');
    assert.deepEqual(ids((await polling).events), [elsewhere.eventId]);
  });

  it('refuses a malformed position token with INVALID_PARAMETER_VALUE', () => {
    for (const token of [
      '',
      'latest',
      '12',
      '-1-2',
      '1-2-3',
      '01-2',
      '1-02',
      'a-1',
      '1-1e3',
      '18446744073709551616-1',
    ]) {
      assert.throws(
        () => parsePositionToken(token, 'after'),
        (error: MlflowError) => error.errorCode === 'INVALID_PARAMETER_VALUE' && error.message.includes("'after'"),
        token,
      );
    }
    assert.deepEqual(parsePositionToken('18446744073709551615-9007199254740991', 'after'), {
      transactionId: '18446744073709551615',
      globalPosition: 9007199254740991,
    });
  });
});
