import { randomUUID } from 'node:crypto';
import { Database, Queryable, CommandMetadata, eventsAppended, storedActor, Transaction } from '@logbook/platform';
import { ConcurrencyError } from './concurrency-error';
import { Decider, fold } from './decider';
import { DomainEvent, EventEnvelope } from './envelope';
import { InlineProjection } from './projection';

export interface StreamDefinition<State, Command, Event extends DomainEvent> {
  streamType: string;
  decider: Decider<State, Command, Event>;
  /**
   * The shape of the decider's state, kept in the stream head. Raise it with any change to the state
   * (or to `evolve`): heads of another version are folded again from the log when loaded.
   */
  stateVersion: number;
}

/**
 * What one append changed: its events as stored, the metadata of the command (with what events leave
 * out, such as the client's address), and the stream's state around each event: `states[i]` before
 * `events[i]`, `states[i + 1]` after it (null where the appender did not say).
 */
export interface AppendedChange {
  events: EventEnvelope[];
  metadata: CommandMetadata;
  states: unknown[];
}

/** Records a change inside the transaction that appends it, so that both commit or neither does. */
export type AuditHook = (tx: Queryable, change: AppendedChange) => Promise<void>;

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
  /** Called for every append (commands, consumers' handleIn and plain appends) last in its transaction. */
  audit?: AuditHook;
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
/** A short random wait before deciding again after a conflict, longer with each attempt. */
const conflictBackoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));

export class EventStore {
  private readonly listeners: Array<(events: readonly EventEnvelope[]) => void> = [];
  private readonly streamQueues = new Map<string, Promise<void>>();
  /** The changes of each open `transaction`, audited when its work is done. */
  private readonly deferredAudits = new WeakMap<Queryable, AppendedChange[]>();

  constructor(
    readonly db: Database,
    private readonly options: EventStoreOptions,
  ) {}

  get schema(): string {
    return this.options.schema;
  }

  /**
   * Called with the events of every append (after its commit; within the caller's transaction for
   * handleIn): the relay publishes them without polling delay, and without reading their payloads back.
   */
  onAppended(listener: (events: readonly EventEnvelope[]) => void): void {
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
      const states = statesThrough(stream.decider, state, events);
      try {
        const envelopes = await this.appendStates(stream, streamId, version, events, metadata, states);
        return { events: envelopes, state: states[states.length - 1] as State, version: version + events.length };
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= maxAttempts) throw error;
        await conflictBackoff(attempt);
      }
    }
  }

  async load<State>(
    stream: StreamDefinition<State, never, DomainEvent>,
    streamId: string,
    db: Queryable = this.db,
  ): Promise<{ state: State; version: number }> {
    const { rows } = await db.query<{ version: number; state: State; state_version: number }>(
      `SELECT version, state, state_version FROM ${this.schema}.streams WHERE stream_id = $1`,
      [streamId],
    );
    if (rows.length === 0) return { state: stream.decider.initialState(), version: 0 };
    const [head] = rows;
    if (head.state_version === stream.stateVersion) return { state: head.state, version: head.version };
    return this.refoldHead(stream, streamId, db);
  }

  /**
   * Folds a stream's state from its events and rewrites its head with the current state version. The
   * rewrite is conditional on the version read, so a concurrent append is never overwritten.
   */
  private async refoldHead<State>(
    stream: StreamDefinition<State, never, DomainEvent>,
    streamId: string,
    db: Queryable,
  ): Promise<{ state: State; version: number }> {
    const events = await this.readStream(streamId, db);
    const state = fold(stream.decider, events);
    const version = events.length;
    await db.query(
      `UPDATE ${this.schema}.streams SET state = $3, state_version = $4 WHERE stream_id = $1 AND version = $2`,
      [streamId, version, JSON.stringify(state), stream.stateVersion],
    );
    return { state, version };
  }

  /** Folds every head of the given stream types again from the log (`npm run rebuild -- --heads`). */
  async rebuildHeads(streams: StreamDefinition<unknown, never, DomainEvent>[], batchSize = 500): Promise<number> {
    let rebuilt = 0;
    for (const stream of streams) {
      let after = '';
      for (;;) {
        const { rows } = await this.db.query<{ stream_id: string }>(
          `SELECT stream_id FROM ${this.schema}.streams WHERE stream_type = $1 AND stream_id > $2
           ORDER BY stream_id LIMIT $3`,
          [stream.streamType, after, batchSize],
        );
        if (rows.length === 0) break;
        for (const { stream_id } of rows) await this.refoldHead(stream, stream_id, this.db);
        rebuilt += rows.length;
        after = rows[rows.length - 1].stream_id;
      }
    }
    return rebuilt;
  }

  /** Appends events decided elsewhere; `previousState` is what the audit trail records as the state before them. */
  async append(
    stream: Pick<StreamDefinition<unknown, never, DomainEvent>, 'streamType' | 'stateVersion'>,
    streamId: string,
    expectedVersion: number,
    events: DomainEvent[],
    metadata: CommandMetadata,
    newState: unknown,
    previousState: unknown = null,
  ): Promise<EventEnvelope[]> {
    const states = [previousState, ...events.slice(1).map(() => null), newState];
    return this.appendStates(stream, streamId, expectedVersion, events, metadata, states);
  }

  private async appendStates(
    stream: Pick<StreamDefinition<unknown, never, DomainEvent>, 'streamType' | 'stateVersion'>,
    streamId: string,
    expectedVersion: number,
    events: DomainEvent[],
    metadata: CommandMetadata,
    states: unknown[],
  ): Promise<EventEnvelope[]> {
    const envelopes = await this.db.transaction((tx) =>
      this.appendIn(tx, stream, streamId, expectedVersion, events, metadata, states),
    );
    this.notifyAppended(stream.streamType, envelopes);
    return envelopes;
  }

  /**
   * A transaction over several streams (each written with handleIn) whose changes are audited together
   * at its end. The audit trail's lock is then the last one it takes, after every stream row it locks,
   * so it never waits for a stream while holding up every other writer's audit. A concurrent writer to
   * any of its streams makes the whole work run again, deciding on what that writer committed.
   */
  async transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const maxAttempts = this.options.maxAttempts ?? 8;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction(async (tx) => {
          const changes: AppendedChange[] = [];
          this.deferredAudits.set(tx, changes);
          try {
            const result = await work(tx);
            for (const change of changes) await this.options.audit?.(tx, change);
            return result;
          } finally {
            this.deferredAudits.delete(tx);
          }
        });
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= maxAttempts) throw error;
        await conflictBackoff(attempt);
      }
    }
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
    const states = statesThrough(stream.decider, state, events);
    const envelopes = await this.appendIn(tx, stream, streamId, version, events, metadata, states);
    this.notifyAppended(stream.streamType, envelopes);
    return envelopes;
  }

  private notifyAppended(streamType: string, envelopes: readonly EventEnvelope[]): void {
    eventsAppended.inc({ stream_type: streamType }, envelopes.length);
    for (const listener of this.listeners) listener(envelopes);
  }

  private async appendIn(
    tx: Queryable,
    { streamType, stateVersion }: Pick<StreamDefinition<unknown, never, DomainEvent>, 'streamType' | 'stateVersion'>,
    streamId: string,
    expectedVersion: number,
    events: DomainEvent[],
    metadata: CommandMetadata,
    states: unknown[],
  ): Promise<EventEnvelope[]> {
    const newState = states[states.length - 1];
    const head =
      expectedVersion === 0
        ? await tx.query(
            `INSERT INTO ${this.schema}.streams (stream_id, stream_type, version, state, state_version)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (stream_id) DO NOTHING`,
            [streamId, streamType, events.length, JSON.stringify(newState), stateVersion],
          )
        : await tx.query(
            `UPDATE ${this.schema}.streams SET version = $3, state = $4, state_version = $5
             WHERE stream_id = $1 AND version = $2`,
            [streamId, expectedVersion, expectedVersion + events.length, JSON.stringify(newState), stateVersion],
          );
    if (head.rowCount !== 1) throw new ConcurrencyError(streamId, expectedVersion);
    const stored = await this.insertEvents(tx, streamType, streamId, expectedVersion, events, metadata);
    for (const projection of this.options.projections) await projection.apply(tx, stored);
    // Last: an audit trail serializes its writers, and holds them only for what is left of this transaction.
    const change = { events: stored, metadata, states };
    const deferred = this.deferredAudits.get(tx);
    if (deferred) deferred.push(change);
    else await this.options.audit?.(tx, change);
    return stored;
  }

  async readStream(streamId: string, db: Queryable = this.db): Promise<EventEnvelope[]> {
    const { rows } = await db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ${this.schema}.events WHERE stream_id = $1 ORDER BY stream_position`,
      [streamId],
    );
    return rows.map((row) => this.toEnvelope(row));
  }

  /**
   * Events of any stream whose data field `field` holds `value`: what one entity spread over several
   * streams went through (an index on `data->>'<field>'` keeps it fast). Those after `after` and before
   * `before`, in log order.
   */
  async readByDataField(
    field: string,
    value: string,
    range: { after: number; before?: number; limit: number },
    db: Queryable = this.db,
  ): Promise<EventEnvelope[]> {
    if (!/^\w+$/.test(field)) throw new Error(`Not a data field name: ${field}`);
    const { rows } = await db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ${this.schema}.events
       WHERE data->>'${field}' = $1 AND global_position > $2 AND ($3::bigint IS NULL OR global_position < $3)
       ORDER BY global_position LIMIT $4`,
      [value, range.after, range.before ?? null, range.limit],
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
      actor: storedActor(row.metadata.actor),
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
       ${events.length === 1 ? 'CROSS JOIN (SELECT $9::json AS data) d' : 'JOIN json_array_elements($9::json) WITH ORDINALITY AS d(data, n) USING (n)'}
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
        // One json parameter, split by Postgres: a json column takes each payload's text as it is, a jsonb one parses it
        // once. A single event (a log-batch's) is passed as its own payload, which Postgres then parses only to check it.
        JSON.stringify(events.length === 1 ? events[0].data : events.map((e) => e.data)),
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

/** The state before each event and after the last one. */
function statesThrough<State, Event extends DomainEvent>(
  decider: Pick<Decider<State, never, Event>, 'evolve'>,
  state: State,
  events: Event[],
): State[] {
  const states = [state];
  for (const event of events) states.push(decider.evolve(states[states.length - 1], event));
  return states;
}
