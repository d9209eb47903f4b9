import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  PostgresDatabase,
  Queryable,
  migrate,
  ANONYMOUS,
  CommandMetadata,
  MlflowError,
  metricsRegistry,
} from '@logbook/platform';
import { ConcurrencyError } from './concurrency-error';
import { dropSchema, eventStoreMigrations, testInfra, uniqueSchema } from '@logbook/testing';
import { Decider } from './decider';
import { DomainEvent, EventEnvelope } from './envelope';
import { AppendedChange, EventStore } from './event-store';
import { InlineProjection } from './projection';

type Deposited = DomainEvent<'Deposited', { amount: number }>;
type Deposit = { type: 'Deposit'; amount: number };
interface Account {
  balance: number;
}

const account: Decider<Account, Deposit, Deposited> = {
  initialState: () => ({ balance: 0 }),
  evolve: (state, event) => ({ balance: state.balance + event.data.amount }),
  decide: (command) => [{ type: 'Deposited', data: { amount: command.amount } }],
};
const accountStream = { streamType: 'account', decider: account, stateVersion: 1 };

/** Two deposits of one amount in one command: an append of two events. */
type Deposit2 = { type: 'Deposit2'; amount: number };
const twice: Decider<Account, Deposit2, Deposited> = {
  ...account,
  decide: (command) => [
    { type: 'Deposited', data: { amount: command.amount } },
    { type: 'Deposited', data: { amount: command.amount } },
  ],
};
const twiceStream = { streamType: 'account', decider: twice, stateVersion: 1 };

/** The same stream with a new state shape: balances in cents. */
interface AccountInCents {
  cents: number;
}
const accountInCents: Decider<AccountInCents, Deposit, Deposited> = {
  initialState: () => ({ cents: 0 }),
  evolve: (state, event) => ({ cents: state.cents + event.data.amount * 100 }),
  decide: (command) => [{ type: 'Deposited', data: { amount: command.amount } }],
};
const accountInCentsStream = { streamType: 'account', decider: accountInCents, stateVersion: 2 };

/** What Prometheus would scrape for `logbook_events_appended_total` of one stream type (0 before the first). */
async function scrapedAppended(streamType: string): Promise<number> {
  const text = await metricsRegistry.metrics();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`logbook_events_appended_total{stream_type="${streamType}"} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

const meta = (requestId = 'req-1'): CommandMetadata => ({ now: 1_700_000_000_000, actor: ANONYMOUS, requestId });

function balances(schema: string): InlineProjection {
  return {
    name: 'balances',
    tables: [`${schema}.balances`],
    async apply(tx: Queryable, events: EventEnvelope[]) {
      for (const event of events) {
        await tx.query(
          `INSERT INTO ${schema}.balances (stream_id, balance, deposits) VALUES ($1, $2, 1)
           ON CONFLICT (stream_id) DO UPDATE SET balance = balances.balance + excluded.balance, deposits = balances.deposits + 1`,
          [event.streamId, (event.data as Deposited['data']).amount],
        );
      }
    },
  };
}

describe('event store on real Postgres', () => {
  const schema = uniqueSchema('es');
  let db: PostgresDatabase;
  let store: EventStore;

  before(async () => {
    db = new PostgresDatabase(testInfra().databaseUrl, 8);
    await migrate(
      db,
      schema,
      eventStoreMigrations(
        schema,
        `CREATE TABLE ${schema}.balances (stream_id text PRIMARY KEY, balance integer NOT NULL, deposits integer NOT NULL)`,
      ),
    );
    store = new EventStore(db, { schema, producer: 'test', projections: [balances(schema)] });
  });

  after(async () => {
    await dropSchema(db, schema);
    await db.close();
  });

  it('records the envelope with actor, request id and per-stream positions', async () => {
    const result = await store.handle(accountStream, 'account-a', { type: 'Deposit', amount: 5 }, meta('req-a'));
    await store.handle(accountStream, 'account-a', { type: 'Deposit', amount: 7 }, meta('req-b'));
    const events = await store.readStream('account-a');
    assert.deepEqual(
      events.map((e) => [e.type, e.streamPosition, e.correlationId, e.actor.id, e.producer, e.schemaVersion]),
      [
        ['Deposited', 1, 'req-a', 'anonymous', 'test', 1],
        ['Deposited', 2, 'req-b', 'anonymous', 'test', 1],
      ],
    );
    assert.equal(result.version, 1);
    assert.deepEqual((await store.load(accountStream, 'account-a')).state, { balance: 12 });
    const { rows } = await db.query(`SELECT balance, deposits FROM ${schema}.balances WHERE stream_id = 'account-a'`);
    assert.deepEqual(rows, [{ balance: 12, deposits: 2 }]);
  });

  it('gives one success and one clean conflict for two appends at the same version', async () => {
    await store.handle(accountStream, 'account-b', { type: 'Deposit', amount: 1 }, meta());
    const deposit: Deposited = { type: 'Deposited', data: { amount: 10 } };
    const outcomes = await Promise.allSettled([
      store.append(accountStream, 'account-b', 1, [deposit], meta('first'), { balance: 11 }),
      store.append(accountStream, 'account-b', 1, [deposit], meta('second'), { balance: 11 }),
    ]);
    const fulfilled = outcomes.filter((o) => o.status === 'fulfilled');
    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    assert.equal(fulfilled.length, 1);
    assert.equal(rejected.length, 1);
    assert.ok(rejected[0].reason instanceof ConcurrencyError);
    assert.ok(rejected[0].reason instanceof MlflowError, 'the error filter answers it as it is');
    assert.equal(rejected[0].reason.httpStatus, 503, 'a client retries a conflict');
    assert.equal(rejected[0].reason.toJSON().error_code, 'TEMPORARILY_UNAVAILABLE');
    assert.equal((await store.readStream('account-b')).length, 2, 'the losing append left nothing behind');
    const { rows } = await db.query(`SELECT balance FROM ${schema}.balances WHERE stream_id = 'account-b'`);
    assert.deepEqual(rows, [{ balance: 11 }], 'the losing append did not touch the projection');
  });

  it('lets two replicas write one stream concurrently without losing a command', async () => {
    const replica = new EventStore(db, { schema, producer: 'test', projections: [balances(schema)] });
    const writes = Array.from({ length: 20 }, (_, i) =>
      (i % 2 === 0 ? store : replica).handle(accountStream, 'account-c', { type: 'Deposit', amount: 1 }, meta(`r${i}`)),
    );
    await Promise.all(writes);
    assert.deepEqual((await store.load(accountStream, 'account-c')).state, { balance: 20 });
    const positions = (await store.readStream('account-c')).map((e) => e.streamPosition);
    assert.deepEqual(
      positions,
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  it('rebuilds a projection from the log to the same rows', async () => {
    const live = await db.query(`SELECT stream_id, balance, deposits FROM ${schema}.balances ORDER BY stream_id`);
    const replayed = await store.rebuild(balances(schema));
    const rebuilt = await db.query(`SELECT stream_id, balance, deposits FROM ${schema}.balances ORDER BY stream_id`);
    assert.ok(replayed >= 24);
    assert.deepEqual(rebuilt.rows, live.rows);
  });

  it('upcasts stored events of an older schema version on read', async () => {
    await db.query(
      `INSERT INTO ${schema}.events (event_id, stream_id, stream_type, stream_position, type, schema_version, data, metadata, occurred_at)
       VALUES (gen_random_uuid(), 'account-old', 'account', 1, 'Deposited', 0, '{"cents": 250}', '{"producer":"test","actor":{"id":"anonymous","kind":"anonymous"},"correlationId":"old"}', now())`,
    );
    const upcasting = new EventStore(db, {
      schema,
      producer: 'test',
      projections: [],
      upcasters: {
        Deposited: (e) =>
          e.schemaVersion === 0
            ? { ...e, schemaVersion: 1, data: { amount: (e.data as { cents: number }).cents / 100 } }
            : e,
      },
    });
    const [event] = await upcasting.readStream('account-old');
    assert.deepEqual(event.data, { amount: 2.5 });
    assert.equal(event.schemaVersion, 1);
  });

  it('folds a head of another state version again from the log, and rewrites it', async () => {
    await store.handle(accountStream, 'account-v', { type: 'Deposit', amount: 3 }, meta());
    await store.handle(accountStream, 'account-v', { type: 'Deposit', amount: 4 }, meta());
    const head = async () =>
      (
        await db.query<{ version: number; state: unknown; state_version: number }>(
          `SELECT version, state, state_version FROM ${schema}.streams WHERE stream_id = 'account-v'`,
        )
      ).rows[0];
    assert.deepEqual(await head(), { version: 2, state: { balance: 7 }, state_version: 1 });

    assert.deepEqual(await store.load(accountInCentsStream, 'account-v'), { state: { cents: 700 }, version: 2 });
    assert.deepEqual(await head(), { version: 2, state: { cents: 700 }, state_version: 2 }, 'the head is rewritten');

    const next = await store.handle(accountInCentsStream, 'account-v', { type: 'Deposit', amount: 1 }, meta());
    assert.deepEqual([next.state, next.version], [{ cents: 800 }, 3]);
    assert.deepEqual(await head(), { version: 3, state: { cents: 800 }, state_version: 2 });
  });

  it('trusts a head of the current state version without reading the log', async () => {
    await store.handle(accountStream, 'account-t', { type: 'Deposit', amount: 5 }, meta());
    await db.query(`UPDATE ${schema}.streams SET state = '{"balance": 999}' WHERE stream_id = 'account-t'`);
    assert.deepEqual((await store.load(accountStream, 'account-t')).state, { balance: 999 });
  });

  it('rebuilds every head of a stream type from the log', async () => {
    await store.handle(accountStream, 'account-r1', { type: 'Deposit', amount: 2 }, meta());
    await store.handle(accountStream, 'account-r2', { type: 'Deposit', amount: 6 }, meta());
    await db.query(
      `UPDATE ${schema}.streams SET state = '{"balance": -1}' WHERE stream_id IN ('account-r1', 'account-r2')`,
    );
    const rebuilt = await store.rebuildHeads([accountStream], 1);
    const { rows } = await db.query(
      `SELECT stream_id, state, state_version FROM ${schema}.streams WHERE stream_id IN ('account-r1', 'account-r2') ORDER BY stream_id`,
    );
    assert.deepEqual(rows, [
      { stream_id: 'account-r1', state: { balance: 2 }, state_version: 1 },
      { stream_id: 'account-r2', state: { balance: 6 }, state_version: 1 },
    ]);
    const { rows: count } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${schema}.streams WHERE stream_type = 'account'`,
    );
    assert.equal(rebuilt, count[0].n, 'every head of the type was folded');
  });

  it('counts appended events in logbook_events_appended_total, per stream type', async () => {
    const before = await scrapedAppended('account');
    await store.handle(accountStream, 'account-m', { type: 'Deposit', amount: 1 }, meta());
    const deposit: Deposited = { type: 'Deposited', data: { amount: 1 } };
    await store.append(accountStream, 'account-m', 1, [deposit, deposit], meta(), { balance: 3 });
    assert.equal(await scrapedAppended('account'), before + 3);
  });

  it('hands the audit hook each append in its transaction, with the states around every event', async () => {
    const changes: AppendedChange[] = [];
    const audited = new EventStore(db, {
      schema,
      producer: 'test',
      projections: [balances(schema)],
      audit: async (tx, change) => {
        changes.push(change);
        await tx.query('SELECT 1');
        if (change.metadata.requestId === 'refused') throw new Error('audit refused');
      },
    });
    const client = { address: '10.1.2.3', userAgent: 'curl/8' };
    await audited.handle(accountStream, 'account-h', { type: 'Deposit', amount: 4 }, { ...meta('req-h'), client });
    const twoDeposits: Deposit2 = { type: 'Deposit2', amount: 3 };
    await audited.handle(twiceStream, 'account-h', twoDeposits, meta('req-twice'));
    await audited.db.transaction((tx) =>
      audited.handleIn(tx, accountStream, 'account-h', { type: 'Deposit', amount: 1 }, meta('req-in')),
    );
    await assert.rejects(audited.handle(accountStream, 'account-h', { type: 'Deposit', amount: 9 }, meta('refused')));
    assert.deepEqual(
      changes.map((c) => [c.metadata.requestId, c.events.map((e) => e.streamPosition), c.states]),
      [
        ['req-h', [1], [{ balance: 0 }, { balance: 4 }]],
        ['req-twice', [2, 3], [{ balance: 4 }, { balance: 7 }, { balance: 10 }]],
        ['req-in', [4], [{ balance: 10 }, { balance: 11 }]],
        ['refused', [5], [{ balance: 11 }, { balance: 20 }]],
      ],
    );
    assert.deepEqual(changes[0].metadata.client, client);
    assert.equal((await store.readStream('account-h')).length, 4, 'a refused audit rolls its append back');
  });

  it('audits the appends of a transaction over several streams at its end, after every stream is written', async () => {
    const steps: string[] = [];
    const logged: InlineProjection = {
      name: 'steps',
      tables: [],
      apply: async (_tx, events) => void steps.push(`append ${events[0].streamId}`),
    };
    const audited = new EventStore(db, {
      schema,
      producer: 'test',
      projections: [logged],
      audit: async (_tx, change) => void steps.push(`audit ${change.events[0].streamId}`),
    });
    await audited.transaction(async (tx) => {
      await audited.handleIn(tx, accountStream, 'account-t1', { type: 'Deposit', amount: 1 }, meta());
      await audited.handleIn(tx, accountStream, 'account-t2', { type: 'Deposit', amount: 2 }, meta());
    });
    assert.deepEqual(steps, ['append account-t1', 'append account-t2', 'audit account-t1', 'audit account-t2']);
    await audited.db.transaction((tx) =>
      audited.handleIn(tx, accountStream, 'account-t3', { type: 'Deposit', amount: 3 }, meta()),
    );
    assert.deepEqual(steps.slice(4), ['append account-t3', 'audit account-t3'], 'elsewhere, each append at once');
  });
});
