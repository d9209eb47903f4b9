// Helpers shared by the messaging specs and the resilience suites.
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { IHeaders, Kafka } from 'kafkajs';
import pino from 'pino';
import { EventEnvelope, EventStore, InlineProjection } from '@logbook/eventstore';
import { Database, Queryable, Logger, migrate, PostgresDatabase } from '@logbook/platform';
import { after, before } from 'node:test';
import { dropSchema, testInfra, uniqueSchema } from './infra';
import { createKafka, EventPublisher } from '@logbook/messaging';
import { eventStoreMigrations } from './migrations';

/** Quiet unless LOG_LEVEL asks otherwise: the specs provoke errors on purpose. */
export const logger: Logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** The event store's tables plus `applied`, where the specs' handlers record their effects (no unique key: duplicates would show). */
export async function createSchema(db: Database, schema: string): Promise<void> {
  await migrate(
    db,
    schema,
    eventStoreMigrations(
      schema,
      `CREATE TABLE ${schema}.applied (consumer text NOT NULL, event_id uuid NOT NULL, stream_id text NOT NULL, stream_position integer NOT NULL, seq bigserial);`,
    ),
  );
}

export function createStore(db: Database, schema: string, producer: string, projections: InlineProjection[] = []) {
  return new EventStore(db, { schema, producer, projections });
}

/** Appends `count` events of type `Noted` to a stream, one transaction, after its current version. */
export async function appendTo(
  store: EventStore,
  streamType: string,
  streamId: string,
  count = 1,
  type = 'Noted',
): Promise<EventEnvelope[]> {
  const { rows } = await store.db.query<{ version: number }>(
    `SELECT version FROM ${store.schema}.streams WHERE stream_id = $1`,
    [streamId],
  );
  const version = rows[0]?.version ?? 0;
  const events = Array.from({ length: count }, (_, i) => ({ type, data: { n: version + i + 1 } }));
  const metadata = {
    now: Date.now(),
    actor: { id: 'tester', kind: 'user' as const, name: 'tester', authMethod: 'basic' as const },
    requestId: randomUUID(),
  };
  return store.append({ streamType, stateVersion: 1 }, streamId, version, events, metadata, {
    version: version + count,
  });
}

/** A handler effect: one row per application. */
export async function recordApplied(tx: Queryable, schema: string, consumer: string, e: EventEnvelope): Promise<void> {
  await tx.query(
    `INSERT INTO ${schema}.applied (consumer, event_id, stream_id, stream_position) VALUES ($1, $2, $3, $4)`,
    [consumer, e.eventId, e.streamId, e.streamPosition],
  );
}

export async function appliedRows(db: Queryable, schema: string, consumer: string) {
  const { rows } = await db.query<{ event_id: string; stream_id: string; stream_position: number }>(
    `SELECT event_id, stream_id, stream_position FROM ${schema}.applied WHERE consumer = $1 ORDER BY seq`,
    [consumer],
  );
  return rows;
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(50);
  }
}

/** Waits until no running transaction (of any session on the server) holds back `count` events. */
export async function waitPublishable(db: Queryable, schema: string, count: number): Promise<void> {
  await waitFor(`${count} publishable events`, async () => {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${schema}.events WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())`,
    );
    return rows[0].n === count;
  });
}

export interface ReadMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

/** Every message of the topics, read from the beginning by a throwaway group once their counts are reached. */
export async function readTopics(kafka: Kafka, topics: string[], expected: number, timeoutMs = 20_000) {
  const messages: ReadMessage[] = [];
  const groupId = uniqueName('reader');
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        messages.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? '',
          headers: headerStrings(message.headers),
        });
      },
    });
    await waitFor(`${expected} messages on ${topics.join(', ')}`, async () => messages.length >= expected, timeoutMs);
  } finally {
    await consumer.disconnect();
    await deleteGroup(kafka, groupId);
  }
  return messages;
}

/** Best effort: a group without members expires on its own anyway. */
export async function deleteGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
}

/** Number of messages ever written to the topics (sum of high watermarks). */
export async function topicSize(kafka: Kafka, topics: string[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let total = 0;
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) total += Number(p.high) - Number(p.low);
    }
    return total;
  } finally {
    await admin.disconnect();
  }
}

/** True once the group has committed offsets up to the end of every partition of the topics. */
export async function groupCaughtUp(kafka: Kafka, groupId: string, topics: string[]): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const committed = await admin.fetchOffsets({ groupId, topics });
    for (const { topic, partitions } of committed) {
      const ends = await admin.fetchTopicOffsets(topic);
      for (const end of ends) {
        const done = partitions.find((p) => p.partition === end.partition);
        if (Number(end.high) > 0 && Number(done?.offset ?? -1) < Number(end.high)) return false;
      }
    }
    return true;
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } catch {
    // best effort: topics are unique per run anyway
  } finally {
    await admin.disconnect();
  }
}

function headerStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) if (value !== undefined) out[key] = value.toString();
  return out;
}

/** Keeps what went through it, in order. */
export class RecordingPublisher implements EventPublisher {
  readonly published: EventEnvelope[] = [];
  constructor(private readonly inner?: EventPublisher) {}
  async publish(events: EventEnvelope[]): Promise<void> {
    await this.inner?.publish(events);
    this.published.push(...events);
  }
  async close(): Promise<void> {}
}

/** Groups ids by stream, in the order given. */
export function idsByStream(events: Array<Pick<EventEnvelope, 'streamId' | 'eventId'>>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of events) out.set(e.streamId, [...(out.get(e.streamId) ?? []), e.eventId]);
  return out;
}

/**
 * Real Postgres and Kafka for a messaging suite. It registers the suite's before/after hooks; each
 * test asks for a fresh schema (with the event store's tables) and a service name for its topics, and
 * everything, including what `onClose` was given, is removed when the suite ends.
 */
export function messagingTestbed(schemaPrefix: string) {
  const infra = testInfra();
  const schemas: string[] = [];
  const services: string[] = [];
  const closers: Array<() => Promise<void>> = [];
  const bed = {
    infra,
    db: undefined as unknown as PostgresDatabase,
    kafka: undefined as unknown as Kafka,
    async fresh(): Promise<{ schema: string; service: string }> {
      const schema = uniqueSchema(schemaPrefix);
      const service = uniqueName('msgtest');
      schemas.push(schema);
      services.push(service);
      await createSchema(bed.db, schema);
      return { schema, service };
    },
    onClose(close: () => Promise<void>): void {
      closers.push(close);
    },
  };
  before(() => {
    bed.db = new PostgresDatabase(infra.databaseUrl);
    bed.kafka = createKafka(infra.kafka, 'messaging-spec', logger);
  });
  after(async () => {
    for (const close of closers) await close();
    for (const schema of schemas) await dropSchema(bed.db, schema);
    for (const service of services) await deleteTopics(bed.kafka, `${service}.`);
    await bed.db.close();
  });
  return bed;
}

/** A Database whose transactions, once their work is done, wait for release() before committing. */
export function gatedDatabase(db: Database) {
  let release!: () => void;
  let reached!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const inside = new Promise<void>((resolve) => (reached = resolve));
  const gated: Database = {
    kind: db.kind,
    query: <Row>(sql: string, params?: unknown[]) => db.query<Row>(sql, params),
    transaction: (work) =>
      db.transaction(async (tx) => {
        const result = await work(tx);
        reached();
        await gate;
        return result;
      }),
    dataSource: () => db.dataSource(),
    close: async () => undefined,
  };
  return { gated, inside, release };
}

/** An event as it arrives on the wire from another service, made by a user; `data` is whatever the test puts there. */
export function eventOnTheWire(
  producer: string,
  streamType: string,
  type: string,
  data: unknown,
  {
    streamId = `${streamType}-${randomBytes(4).toString('hex')}`,
    schemaVersion = 1,
  }: { streamId?: string; schemaVersion?: number } = {},
): EventEnvelope {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion,
    streamId,
    streamType,
    streamPosition: 1,
    globalPosition: 1,
    occurredAt: new Date().toISOString(),
    producer,
    actor: { id: 'ada', kind: 'user', name: 'ada', authMethod: 'basic' },
    correlationId: randomUUID(),
    causationId: null,
    data,
  };
}

/** A tracking run event as it arrives on the wire. */
export const trackingRunEvent = (
  type: string,
  data: unknown,
  options: { streamId?: string; schemaVersion?: number } = {},
): EventEnvelope => eventOnTheWire('tracking', 'run', type, data, options);
