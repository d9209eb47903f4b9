import { randomUUID } from 'node:crypto';
import { Database, Queryable, CommandMetadata } from '@logbook/platform';
import { ConcurrencyError } from './concurrency-error';
import { Decider } from './decider';
import { DomainEvent, EventEnvelope } from './envelope';
import { InlineProjection } from './projection';

export interface StreamDefinition<State, Command, Event extends DomainEvent> {
  streamType: string;
  decider: Decider<State, Command, Event>;
}

/** Rewrites a stored event of an older schema version into the current shape. */
export type Upcaster = (envelope: EventEnvelope) => EventEnvelope;

export interface EventStoreOptions {
  schema: string;
  producer: string;
  projections: InlineProjection[];
  upcasters?: Record<string, Upcaster>;
  /** Current schema version per event type; 1 when absent. */
  schemaVersions?: Record<string, number>;
  maxAttempts?: number;
}

export interface HandleResult<State> {
  events: EventEnvelope[];
  state: State;
  version: number;
}

interface EventRow {
  global_position: number | string;
  event_id: string;
  stream_id: string;
  stream_type: string;
  stream_position: number;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: Pick<EventEnvelope, 'producer' | 'actor' | 'correlationId' | 'causationId' | 'traceparent'>;
  occurred_at: Date | string;
}

const EVENT_COLUMNS =
  'global_position, event_id, stream_id, stream_type, stream_position, type, schema_version, data, metadata, occurred_at';

/**
 * Append-only log per service with optimistic concurrency per stream. Each stream keeps its head
 * (version and folded state) in `streams`, so a command costs one read, not a replay; the events
 * remain the source of truth and `rebuild` recomputes every projection from them.
 */
export class EventStore {
  private readonly listeners: Array<() => void> = [];
  private readonly streamQueues = new Map<string, Promise<void>>();

  constructor(
    readonly db: Database,
    private readonly options: EventStoreOptions,
  ) {}

  get schema(): string {
    return this.options.schema;
  }

  /** Called after every commit that appended events; the relay uses it to publish without polling delay. */
  onAppended(listener: () => void): void {
    this.listeners.push(listener);
  }

  /**
   * Load, decide, append. Commands to one stream are queued in this process so they do not race;
   * across processes the version check decides, and a loser re-reads and decides again.
   */
  async handle<State, Command, Event extends DomainEvent>(
    stream: StreamDefinition<State, Command, Event>,
    streamId: string,
    command: Command,
    metadata: CommandMetadata,
  ): Promise<HandleResult<State>> {
    const previous = this.streamQueues.get(streamId) ?? Promise.resolve();
    const current = previous.then(() => this.decideAndAppend(stream, streamId, command, metadata));
    const settled = current.then(
      () => undefined,
      () => undefined,
    );
    this.streamQueues.set(streamId, settled);
    void settled.then(() => {
      if (this.streamQueues.get(streamId) === settled) this.streamQueues.delete(streamId);
    });
    return current;
  }

  private async decideAndAppend<State, Command, Event extends DomainEvent>(
    stream: StreamDefinition<State, Command, Event>,
    streamId: string,
    command: Command,
    metadata: CommandMetadata,
  ): Promise<HandleResult<State>> {
    const maxAttempts = this.options.maxAttempts ?? 8;
    for (let attempt = 1; ; attempt++) {
      const { state, version } = await this.load(stream, streamId);
      const events = stream.decider.decide(command, state);
      if (events.length === 0) return { events: [], state, version };
      const next = events.reduce(stream.decider.evolve, state);
      try {
        const envelopes = await this.append(stream.streamType, streamId, version, events, metadata, next);
        return { events: envelopes, state: next, version: version + events.length };
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= maxAttempts) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
      }
    }
  }

  async load<State>(
    stream: StreamDefinition<State, never, DomainEvent>,
    streamId: string,
    db: Queryable = this.db,
  ): Promise<{ state: State; version: number }> {
    const { rows } = await db.query<{ version: number; state: State }>(
      `SELECT version, state FROM ${this.schema}.streams WHERE stream_id = $1`,
      [streamId],
    );
    return rows.length === 0 ? { state: stream.decider.initialState(), version: 0 } : rows[0];
  }

  async append(
    streamType: string,
    streamId: string,
    expectedVersion: number,
    events: DomainEvent[],
    metadata: CommandMetadata,
    newState: unknown,
  ): Promise<EventEnvelope[]> {
    const envelopes = await this.db.transaction((tx) =>
      this.appendIn(tx, streamType, streamId, expectedVersion, events, metadata, newState),
    );
    this.notifyAppended();
    return envelopes;
  }

  /**
   * Decide and append inside a transaction the caller owns, so that a consumer's effects and the
   * events they cause commit together. A conflict throws; the caller's retry decides again.
   */
  async handleIn<State, Command, Event extends DomainEvent>(
    tx: Queryable,
    stream: StreamDefinition<State, Command, Event>,
    streamId: string,
    command: Command,
    metadata: CommandMetadata,
  ): Promise<EventEnvelope[]> {
    const { state, version } = await this.load(stream, streamId, tx);
    const events = stream.decider.decide(command, state);
    if (events.length === 0) return [];
    const next = events.reduce(stream.decider.evolve, state);
    const envelopes = await this.appendIn(tx, stream.streamType, streamId, version, events, metadata, next);
    this.notifyAppended();
    return envelopes;
  }

  private notifyAppended(): void {
    for (const listener of this.listeners) listener();
  }

  private async appendIn(
    tx: Queryable,
    streamType: string,
    streamId: string,
    expectedVersion: number,
    events: DomainEvent[],
    metadata: CommandMetadata,
    newState: unknown,
  ): Promise<EventEnvelope[]> {
    const head =
      expectedVersion === 0
        ? await tx.query(
            `INSERT INTO ${this.schema}.streams (stream_id, stream_type, version, state) VALUES ($1, $2, $3, $4)
             ON CONFLICT (stream_id) DO NOTHING`,
            [streamId, streamType, events.length, JSON.stringify(newState)],
          )
        : await tx.query(
            `UPDATE ${this.schema}.streams SET version = $3, state = $4 WHERE stream_id = $1 AND version = $2`,
            [streamId, expectedVersion, expectedVersion + events.length, JSON.stringify(newState)],
          );
    if (head.rowCount !== 1) throw new ConcurrencyError(streamId, expectedVersion);
    const stored = await this.insertEvents(tx, streamType, streamId, expectedVersion, events, metadata);
    for (const projection of this.options.projections) await projection.apply(tx, stored);
    return stored;
  }

  async readStream(streamId: string): Promise<EventEnvelope[]> {
    const { rows } = await this.db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ${this.schema}.events WHERE stream_id = $1 ORDER BY stream_position`,
      [streamId],
    );
    return rows.map((row) => this.toEnvelope(row));
  }

  /** Events committed after `afterPosition`, in commit order. */
  async readAll(afterPosition: number, limit: number, db: Queryable = this.db): Promise<EventEnvelope[]> {
    const { rows } = await db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ${this.schema}.events WHERE global_position > $1 ORDER BY global_position LIMIT $2`,
      [afterPosition, limit],
    );
    return rows.map((row) => this.toEnvelope(row));
  }

  /** Empties a projection's tables and replays the whole log into it, in one transaction. */
  async rebuild(projection: InlineProjection, batchSize = 2000): Promise<number> {
    return this.db.transaction(async (tx) => {
      for (const table of projection.tables) await tx.query(`DELETE FROM ${table}`);
      let position = 0;
      let replayed = 0;
      for (;;) {
        const batch = await this.readAll(position, batchSize, tx);
        if (batch.length === 0) return replayed;
        await projection.apply(tx, batch);
        replayed += batch.length;
        position = batch[batch.length - 1].globalPosition;
      }
    });
  }

  toEnvelope(row: EventRow): EventEnvelope {
    const envelope: EventEnvelope = {
      eventId: row.event_id,
      type: row.type,
      schemaVersion: row.schema_version,
      streamId: row.stream_id,
      streamType: row.stream_type,
      streamPosition: row.stream_position,
      globalPosition: Number(row.global_position),
      occurredAt: new Date(row.occurred_at).toISOString(),
      producer: row.metadata.producer,
      actor: row.metadata.actor,
      correlationId: row.metadata.correlationId,
      causationId: row.metadata.causationId ?? null,
      ...(row.metadata.traceparent ? { traceparent: row.metadata.traceparent } : {}),
      data: row.data,
    };
    const upcast = this.options.upcasters?.[row.type];
    return upcast ? upcast(envelope) : envelope;
  }

  private async insertEvents(
    tx: Queryable,
    streamType: string,
    streamId: string,
    expectedVersion: number,
    events: DomainEvent[],
    metadata: CommandMetadata,
  ): Promise<EventEnvelope[]> {
    const occurredAt = new Date(metadata.now).toISOString();
    const storedMetadata = JSON.stringify({
      producer: this.options.producer,
      actor: metadata.actor,
      correlationId: metadata.requestId,
      causationId: metadata.causationId ?? null,
      ...(metadata.traceparent ? { traceparent: metadata.traceparent } : {}),
    });
    const ids = events.map(() => randomUUID());
    const { rows } = await tx.query<{ global_position: number | string }>(
      `INSERT INTO ${this.schema}.events
         (event_id, stream_id, stream_type, stream_position, type, schema_version, data, metadata, occurred_at)
       SELECT e.event_id, $1, $2, e.stream_position, e.type, e.schema_version, d.data, $3::jsonb, $4::timestamptz
       FROM unnest($5::uuid[], $6::int[], $7::text[], $8::int[])
         WITH ORDINALITY AS e(event_id, stream_position, type, schema_version, n)
       JOIN jsonb_array_elements($9::jsonb) WITH ORDINALITY AS d(data, n) USING (n)
       ORDER BY n
       RETURNING global_position`,
      [
        streamId,
        streamType,
        storedMetadata,
        occurredAt,
        ids,
        events.map((_, i) => expectedVersion + i + 1),
        events.map((e) => e.type),
        events.map((e) => this.options.schemaVersions?.[e.type] ?? 1),
        // One jsonb parameter: Postgres parses the payloads once instead of as text array elements.
        JSON.stringify(events.map((e) => e.data)),
      ],
    );
    const parsedMetadata = JSON.parse(storedMetadata) as EventRow['metadata'];
    return events.map((event, i) => ({
      eventId: ids[i],
      type: event.type,
      schemaVersion: this.options.schemaVersions?.[event.type] ?? 1,
      streamId,
      streamType,
      streamPosition: expectedVersion + i + 1,
      globalPosition: Number(rows[i].global_position),
      occurredAt,
      producer: parsedMetadata.producer,
      actor: parsedMetadata.actor,
      correlationId: parsedMetadata.correlationId,
      causationId: parsedMetadata.causationId,
      ...(parsedMetadata.traceparent ? { traceparent: parsedMetadata.traceparent } : {}),
      data: event.data,
    }));
  }
}
