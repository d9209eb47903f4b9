import 'reflect-metadata';
import { setTimeout as delay } from 'node:timers/promises';
import { plainToInstance, Type } from 'class-transformer';
import {
  IsDefined,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  isIn,
  isInt,
  isISO8601,
  isNotEmpty,
  isString,
  isUUID,
  Min,
  ValidateNested,
  validateSync,
  ValidationError,
} from 'class-validator';
import { Consumer, EachBatchPayload, Kafka, KafkaMessage, Partitioners, Producer } from 'kafkajs';
import {
  ACTOR_KINDS,
  ActorKind,
  AUTH_METHODS,
  AuthMethod,
  Database,
  Queryable,
  createLogger,
  Logger,
  backoffDelay,
  DependencyStatus,
  KafkaCluster,
  Outage,
  consumerDeadLetters,
  consumerLagMessages,
  storedActor,
} from '@logbook/platform';
import { contractValidators, EventContract } from '@logbook/contracts';
import { EventEnvelope } from '@logbook/eventstore';
import { createKafka, ensureTopics } from './kafka';
import { deadLetterTopic, inNamespace } from './topics';

/** An actor as published; `name` and `authMethod` are absent from events published before they existed. */
class ActorDto {
  @IsString() @IsNotEmpty() id!: string;
  @IsIn(ACTOR_KINDS) kind!: ActorKind;
  @IsOptional() @IsString() name?: string;
  @IsOptional() @IsIn(AUTH_METHODS) authMethod?: AuthMethod;
}

/**
 * The envelope as it arrives from a transport, checked before anything acts on it. Its `data` is
 * checked apart, against the event's contract: class-transformer would copy a thousand-point batch
 * element by element only to check that it is there.
 */
class EventEnvelopeDto implements Omit<EventEnvelope, 'data' | 'actor'> {
  @IsUUID() eventId!: string;
  @IsString() @IsNotEmpty() type!: string;
  @IsInt() @Min(1) schemaVersion!: number;
  @IsString() @IsNotEmpty() streamId!: string;
  @IsString() @IsNotEmpty() streamType!: string;
  @IsInt() @Min(1) streamPosition!: number;
  @IsInt() @Min(1) globalPosition!: number;
  @IsISO8601() occurredAt!: string;
  @IsString() @IsNotEmpty() producer!: string;
  @ValidateNested() @Type(() => ActorDto) @IsDefined() actor!: ActorDto;
  @IsString() correlationId!: string;
  @IsOptional() @IsString() causationId!: string | null;
  @IsOptional() @IsString() traceparent?: string;
}

/** Applies one event to the consumer's own tables, inside the transaction that records it in the inbox. */
export type EventHandler = (tx: Queryable, envelope: EventEnvelope) => Promise<void>;

/** Checks an event's `data`; returns the problems found, none when it is valid. */
export type PayloadValidator = (data: unknown, envelope: EventEnvelope) => string[];

/** A PayloadValidator from a class-validator class. */
export function validatePayloadWith<T extends object>(cls: new () => T): PayloadValidator {
  return (data) =>
    data !== null && typeof data === 'object'
      ? describeErrors(validateSync(plainToInstance(cls, data)))
      : ['data must be an object'];
}

/** How a consumer of messages other than events (commands) checks what it is delivered, and dedupes it. */
export interface MessageReader<Message> {
  /** The message, checked; throws InvalidEnvelopeError naming what is wrong with it. */
  parse(message: unknown): Message;
  /** Its id in the inbox (a UUID): a message delivered again under the same id takes effect once. */
  idOf(message: Message): string;
}

/** A consumer of event envelopes, or (with `read`) of other messages such as commands. */
export interface ConsumerDefinition<Message = EventEnvelope> {
  /** Inbox key (and Kafka consumer group): one per consuming feature, stable across releases. */
  name: string;
  /** Schema of the consuming service; its `inbox` table dedupes deliveries. */
  schema: string;
  /** Applies one message to the consumer's own tables, inside the transaction that records it in the inbox. */
  handle(tx: Queryable, message: Message): Promise<void>;
  /** How a delivered message is checked and named in the inbox; as an event envelope when absent. */
  read?: MessageReader<Message>;
  /** Payload validator per event type; events of other types are checked as envelopes only. */
  validators?: Record<string, PayloadValidator>;
  /**
   * The event types it acts on (all when absent). Others are passed over without a transaction or an
   * inbox row, and on Kafka without parsing: a consumer of a few run events skips every metric batch.
   */
  handledTypes?: ReadonlySet<string>;
  /**
   * True when its handler reads and writes only through the transaction it is given, so that several
   * messages can share one (handleDeliveredBatch): each then sees its predecessors' effects uncommitted.
   * What it does outside the database must bear being done again: a batch rolled back because a later
   * message's handler threw is applied again one message at a time, as after a crash before a commit.
   * A handler that reads through another connection, or acts outside the database in a way that must
   * not be repeated, needs each message committed before the next and is given one transaction per
   * message (the default).
   */
  batchable?: boolean;
  /**
   * A batchable consumer's handler for the new messages of a batch, in place of `handle` for each in turn:
   * for one whose effects are written set-based. Its outcome must be `handle`'s for each message in order.
   */
  handleAll?(tx: Queryable, messages: Message[]): Promise<void>;
  /** Attempts of a throwing handler before the message is dead-lettered (default 5). */
  maxAttempts?: number;
  /** Delay before the second attempt, doubled for each further one (default 25 ms). */
  retryDelayMs?: number;
  /**
   * Told of each event whose handler's transaction committed in this process (not of duplicates or dead
   * letters), in both transports: how code that reads the consumer's tables learns they changed.
   */
  onHandled?(message: Message): void;
}

export interface DeadLetter {
  consumer: string;
  /** `unparseable`: not JSON; `invalid`: not a valid envelope or payload; `failed`: the handler kept throwing. */
  reason: 'unparseable' | 'invalid' | 'failed';
  error: string;
  attempts: number;
  /** The parsed message, or the raw text when it was not JSON. */
  message: unknown;
}

export type DeadLetterSink = (letter: DeadLetter) => Promise<void>;

export type DeliveryOutcome = 'processed' | 'duplicate' | 'dead-lettered' | 'passed-over';

/** What a consumer of these contracts acts on, and how it checks their payloads. */
export function consumes(contracts: readonly EventContract[]): Pick<ConsumerDefinition, 'handledTypes' | 'validators'> {
  return {
    handledTypes: new Set(contracts.map((contract) => contract.name)),
    validators: contractValidators(contracts),
  };
}

/** True when the consumer has no use for an event of this type. */
export function passesOver<Message>(consumer: ConsumerDefinition<Message>, type: unknown): boolean {
  return consumer.handledTypes !== undefined && typeof type === 'string' && !consumer.handledTypes.has(type);
}

export class InvalidEnvelopeError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid event envelope: ${problems.join('; ')}`);
    this.name = 'InvalidEnvelopeError';
  }
}

/** Validates a delivered message as an envelope (and its payload when a validator is given for its type). */
export function parseEnvelope(message: unknown, validators: Record<string, PayloadValidator> = {}): EventEnvelope {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) {
    throw new InvalidEnvelopeError(['message must be a JSON object']);
  }
  const { data, ...fields } = message as Record<string, unknown>;
  const problems = passesEnvelopeChecks(fields)
    ? []
    : describeErrors(validateSync(plainToInstance(EventEnvelopeDto, fields)));
  if (data === undefined || data === null) problems.push('data should not be null or undefined');
  if (problems.length > 0) throw new InvalidEnvelopeError(problems);
  const delivered = message as EventEnvelope;
  const actor = storedActor(delivered.actor);
  const envelope = actor === delivered.actor ? delivered : { ...delivered, actor };
  const payloadProblems = validators[envelope.type]?.(envelope.data, envelope) ?? [];
  if (payloadProblems.length > 0) throw new InvalidEnvelopeError(payloadProblems.map((p) => `data: ${p}`));
  return envelope;
}

/**
 * True when the envelope's own fields pass EventEnvelopeDto's checks, tested with class-validator's own
 * predicates: building and walking a class instance cost half a millisecond per delivered message. Only
 * an envelope that fails is validated through the classes, which word its problems.
 */
function passesEnvelopeChecks(fields: Record<string, unknown>): boolean {
  const text = (value: unknown) => isString(value) && isNotEmpty(value);
  const position = (value: unknown) => isInt(value) && (value as number) >= 1;
  const optionalText = (value: unknown) => value === undefined || value === null || isString(value);
  const actor = fields.actor as Record<string, unknown> | null | undefined;
  return (
    isUUID(fields.eventId) &&
    text(fields.type) &&
    position(fields.schemaVersion) &&
    text(fields.streamId) &&
    text(fields.streamType) &&
    position(fields.streamPosition) &&
    position(fields.globalPosition) &&
    isISO8601(fields.occurredAt) &&
    text(fields.producer) &&
    isString(fields.correlationId) &&
    optionalText(fields.causationId) &&
    optionalText(fields.traceparent) &&
    typeof actor === 'object' &&
    actor !== null &&
    !Array.isArray(actor) &&
    text(actor.id) &&
    isIn(actor.kind, ACTOR_KINDS as unknown[]) &&
    optionalText(actor.name) &&
    (actor.authMethod === undefined || actor.authMethod === null || isIn(actor.authMethod, AUTH_METHODS as unknown[]))
  );
}

/** Marks errors thrown by the handler, as opposed to the inbox or the connection. */
class HandlerFailure extends Error {
  constructor(cause: unknown) {
    super(errorMessage(cause), { cause });
  }
}

/**
 * Processes one delivered message exactly once per consumer: validates it, then in ONE transaction
 * records its id in `<schema>.inbox` and, unless it was already there, runs the handler. A throwing
 * handler is retried (each attempt in a fresh transaction) and finally dead-lettered; an invalid
 * message is dead-lettered at once. Errors of the database itself (or of the sink) are thrown, so the
 * transport delivers the message again later instead of dead-lettering it.
 */
export async function handleDelivered<Message = EventEnvelope>(
  db: Database,
  consumer: ConsumerDefinition<Message>,
  message: unknown,
  deadLetter: DeadLetterSink,
  logger: Logger = defaultLogger(),
): Promise<DeliveryOutcome> {
  if (passesOver(consumer, typeOf(message))) return 'passed-over';
  const parsed = await parseOrDeadLetter(consumer, message, deadLetter);
  if (parsed === undefined) return 'dead-lettered';
  return deliverParsed(db, consumer, parsed, deadLetter, logger);
}

/** A message delivered in a batch, with where it goes if it cannot be processed. */
export interface BatchDelivery {
  message: unknown;
  deadLetter: DeadLetterSink;
}

/**
 * Processes a batch of delivered messages, in order, with handleDelivered's guarantees; for a batchable
 * consumer it records and applies the new ones in ONE transaction, so a batch costs one commit instead of
 * one per message. When a handler throws, that transaction is rolled back and each message goes through
 * handleDelivered's path on its own, with its own retries and dead letter.
 */
export async function handleDeliveredBatch<Message = EventEnvelope>(
  db: Database,
  consumer: ConsumerDefinition<Message>,
  deliveries: readonly BatchDelivery[],
  logger: Logger = defaultLogger(),
): Promise<void> {
  const wanted: (ParsedDelivery<Message> & { deadLetter: DeadLetterSink })[] = [];
  for (const { message, deadLetter } of deliveries) {
    if (passesOver(consumer, typeOf(message))) continue;
    const parsed = await parseOrDeadLetter(consumer, message, deadLetter);
    if (parsed !== undefined) wanted.push({ ...parsed, deadLetter });
  }
  if (wanted.length <= 1 || !consumer.batchable) {
    for (const delivery of wanted) await deliverParsed(db, consumer, delivery, delivery.deadLetter, logger);
    return;
  }
  let applied: ParsedDelivery<Message>[];
  let failed: ParsedDelivery<Message> | undefined;
  try {
    applied = await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ event_id: string }>(
        `INSERT INTO ${consumer.schema}.inbox (consumer, event_id) SELECT $1, unnest($2::uuid[])
         ON CONFLICT DO NOTHING RETURNING event_id`,
        [consumer.name, wanted.map((delivery) => delivery.id)],
      );
      const fresh = new Set(rows.map((row) => row.event_id.toLowerCase()));
      // Absent: processed before, or delivered twice within this batch (its first copy is handled).
      const handled = wanted.filter((delivery) => fresh.delete(delivery.id.toLowerCase()));
      try {
        if (consumer.handleAll) {
          await consumer.handleAll(
            tx,
            handled.map((delivery) => delivery.parsed),
          );
        } else {
          for (const delivery of handled) {
            failed = delivery;
            await consumer.handle(tx, delivery.parsed);
          }
        }
        failed = undefined;
        // As in deliverParsed: a handler that swallowed an SQL error must not commit as handled.
        await tx.query('SELECT 1');
      } catch (error) {
        throw new HandlerFailure(error);
      }
      return handled;
    });
  } catch (error) {
    if (!(error instanceof HandlerFailure)) throw error;
    for (const delivery of wanted) {
      await deliverParsed(db, consumer, delivery, delivery.deadLetter, logger, delivery === failed ? error : undefined);
    }
    return;
  }
  for (const { parsed, id } of applied) tellHandled(consumer, parsed, id, logger);
}

interface ParsedDelivery<Message> {
  /** As delivered: what a dead letter carries. */
  message: unknown;
  parsed: Message;
  id: string;
}

const typeOf = (message: unknown): unknown => (message as { type?: unknown } | null)?.type;

/** The message checked by the consumer's reader; undefined once an invalid one is dead-lettered. */
async function parseOrDeadLetter<Message>(
  consumer: ConsumerDefinition<Message>,
  message: unknown,
  deadLetter: DeadLetterSink,
): Promise<ParsedDelivery<Message> | undefined> {
  const reader = consumer.read ?? (envelopeReader(consumer.validators) as unknown as MessageReader<Message>);
  try {
    const parsed = reader.parse(message);
    return { message, parsed, id: reader.idOf(parsed) };
  } catch (error) {
    if (!(error instanceof InvalidEnvelopeError)) throw error;
    await deadLetter({ consumer: consumer.name, reason: 'invalid', error: error.message, attempts: 0, message });
    return undefined;
  }
}

/**
 * One message's transaction: its inbox row and, unless it was there, its handler; retried, then dead-lettered.
 * `earlier`: how its handler already failed once (in a batch), which counts as its first attempt.
 */
async function deliverParsed<Message>(
  db: Database,
  consumer: ConsumerDefinition<Message>,
  { message, parsed, id }: ParsedDelivery<Message>,
  deadLetter: DeadLetterSink,
  logger: Logger,
  earlier?: HandlerFailure,
): Promise<DeliveryOutcome> {
  const maxAttempts = consumer.maxAttempts ?? 5;
  let failure = earlier;
  let attempts = earlier ? 1 : 0;
  for (;;) {
    if (failure) {
      if (attempts >= maxAttempts) {
        await deadLetter({ consumer: consumer.name, reason: 'failed', error: failure.message, attempts, message });
        return 'dead-lettered';
      }
      logger.warn(
        { consumer: consumer.name, messageId: id, type: typeOf(message), attempt: attempts, err: failure.cause },
        'event handler failed; retrying',
      );
      await delay((consumer.retryDelayMs ?? 25) * 2 ** (attempts - 1));
    }
    attempts++;
    try {
      const outcome = await db.transaction(async (tx): Promise<DeliveryOutcome> => {
        const inserted = await tx.query(
          `INSERT INTO ${consumer.schema}.inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
          [consumer.name, id],
        );
        if (inserted.rowCount === 0) return 'duplicate';
        try {
          await consumer.handle(tx, parsed);
          // A handler that swallowed an SQL error left the transaction aborted; Postgres would answer
          // COMMIT with a silent ROLLBACK and the event would count as handled. Fail the attempt instead.
          await tx.query('SELECT 1');
        } catch (error) {
          throw new HandlerFailure(error);
        }
        return 'processed';
      });
      if (outcome === 'processed') tellHandled(consumer, parsed, id, logger);
      return outcome;
    } catch (error) {
      if (!(error instanceof HandlerFailure)) throw error;
      failure = error;
    }
  }
}

/** The message is handled whatever a listener does: a throwing one is logged, not retried. */
function tellHandled<Message>(consumer: ConsumerDefinition<Message>, message: Message, id: string, logger: Logger) {
  try {
    consumer.onHandled?.(message);
  } catch (error) {
    logger.error({ consumer: consumer.name, messageId: id, err: error }, 'onHandled listener threw');
  }
}

/** Event envelopes, checked as parseEnvelope does and deduped by their event id. */
const envelopeReader = (validators?: Record<string, PayloadValidator>): MessageReader<EventEnvelope> => ({
  parse: (message) => parseEnvelope(message, validators),
  idOf: (envelope) => envelope.eventId,
});

export interface KafkaEventConsumerOptions {
  cluster: KafkaCluster;
  /** Topics to read (see eventTopic); they and their dead-letter topics are created when missing. */
  topics: string[];
  /** Consumer group; the consumer's name by default. */
  groupId?: string;
  /** Prefix of its topics and group (see inNamespace). */
  namespace?: string;
  clientId?: string;
  /** Where a new group starts: the earliest retained message (default) or only new ones. */
  fromBeginning?: boolean;
  /** Fetch long-poll; stop() waits for the fetch in flight (default 1000 ms). */
  maxWaitTimeInMs?: number;
  /** Wait before the second attempt to join the group, doubled for each further one up to 10 s (default 250 ms). */
  retryDelayMs?: number;
  logger?: Logger;
}

/**
 * How often a consumer commits the offsets it has resolved (after each chunk of a batch); kafkajs also commits at
 * the end of every batch, one cut short by stop() included. Committing after every message cost a request to the broker
 * per event. Only a process that dies mid-batch leaves processed messages uncommitted (up to this long): they
 * are delivered again, events are taken once by the inbox, a message dead-lettered in that time is dead-lettered
 * again.
 */
const COMMIT_INTERVAL_MS = 1000;

/** Messages of a fetched batch processed in one transaction: enough to share a commit, few enough to stop soon. */
const MESSAGES_PER_TRANSACTION = 100;

/**
 * A Kafka consumer group feeding handleDeliveredBatch. A message's offset is committed only after
 * its chunk of the batch was processed, that is after its transaction committed or it was dead-lettered to
 * `<topic>.dlq` (original key, value and headers, plus `dlq-*` headers naming the error and where it
 * came from). It never gives up on the broker: joining is retried with backoff while the broker is
 * unreachable or not ready (a fresh broker has no topic metadata yet), and so is every crash, which
 * it restarts itself rather than leaving it to kafkajs.
 */
export class KafkaEventConsumer<Message = EventEnvelope> {
  private readonly logger: Logger;
  private readonly kafka: Kafka;
  private readonly outage: Outage;
  private consumer?: Consumer;
  private producer?: Producer;
  private stopped = true;
  private joining?: Promise<void>;
  private cancelWait?: () => void;
  /** The partitions whose lag this member reports: a rebalance may have given them to another. */
  private readonly lagReported = new Map<string, { consumer: string; topic: string; partition: number }>();

  constructor(
    private readonly db: Database,
    private readonly definition: ConsumerDefinition<Message>,
    private readonly options: KafkaEventConsumerOptions,
  ) {
    this.logger = (options.logger ?? defaultLogger()).child({ consumer: definition.name });
    this.kafka = createKafka(options.cluster, options.clientId ?? `logbook-${definition.name}`, this.logger);
    this.outage = new Outage(this.logger, 'kafka consumer');
  }

  /** Joins the group and consumes until stop(); resolves once consuming, or when stopped before that. */
  start(): Promise<void> {
    this.stopped = false;
    this.joining ??= this.joinUntilConsuming().finally(() => (this.joining = undefined));
    return this.joining;
  }

  /** Up while it is a member of its group: down before the first join, and from a crash until it rejoins. */
  status(): DependencyStatus {
    return this.outage.status();
  }

  /** Leaves the group after the message in hand is processed and the offsets processed are committed. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelWait?.();
    await this.joining;
    await this.disconnect();
  }

  private async joinUntilConsuming(): Promise<void> {
    for (let failures = 1; !this.stopped; failures++) {
      try {
        // Up once the group is joined (GROUP_JOIN): kafkajs reports a failed join as a crash, not here.
        await this.join();
        return;
      } catch (error) {
        await this.disconnect();
        const retryInMs = backoffDelay(failures, this.options.retryDelayMs ?? 250, 10_000);
        this.outage.failed(error, retryInMs);
        await this.wait(retryInMs);
      }
    }
  }

  private async join(): Promise<void> {
    const { namespace } = this.options;
    const topics = this.options.topics.map((topic) => inNamespace(namespace, topic));
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, topics, this.options.cluster.topics);
      await ensureTopics(admin, topics.map(deadLetterTopic), this.options.cluster.topics, 1);
    } finally {
      await admin.disconnect();
    }
    const producer = (this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    }));
    const consumer = (this.consumer = this.kafka.consumer({
      groupId: inNamespace(namespace, this.options.groupId ?? this.definition.name),
      allowAutoTopicCreation: false,
      // kafkajs' own restart after a crash can outlive disconnect() (it arms its timer after the stop
      // that clears it) and reconnect forever; every restart goes through onCrash, which checks `stopped`.
      retry: { retries: 5, restartOnFailure: async () => false },
      maxWaitTimeInMs: this.options.maxWaitTimeInMs ?? 1000,
      sessionTimeout: this.options.cluster.consumerSessionTimeoutMs,
      heartbeatInterval: Math.max(100, Math.floor(this.options.cluster.consumerSessionTimeoutMs / 10)),
    }));
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.outage.recovered();
      for (const labels of this.lagReported.values()) consumerLagMessages.remove(labels);
      this.lagReported.clear();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => this.onCrash(payload.error));
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: this.options.fromBeginning ?? true });
    await consumer.run({
      eachBatch: (payload) => this.onBatch(payload),
      eachBatchAutoResolve: false,
      autoCommitInterval: COMMIT_INTERVAL_MS,
    });
  }

  /** A crash (kafkajs has already left the group) is restarted here, with the join's backoff, unless stopped. */
  private onCrash(error: Error): void {
    if (this.stopped) return;
    this.outage.failed(error);
    void this.disconnect().then(() => (this.stopped ? undefined : this.start()));
  }

  private async disconnect(): Promise<void> {
    const { consumer, producer } = this;
    this.consumer = this.producer = undefined;
    await consumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
  }

  /** Waits `ms`, or less when stop() is called. */
  private async wait(ms: number): Promise<void> {
    if (this.stopped) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      this.cancelWait = done;
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
    this.cancelWait = undefined;
  }

  /**
   * A fetched batch of one partition, in chunks: each chunk's messages are processed together
   * (handleDeliveredBatch) and its offsets resolved, so stop() or a rebalance waits for one chunk at most.
   */
  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition, messages } = batch;
    for (let start = 0; start < messages.length; start += MESSAGES_PER_TRANSACTION) {
      if (!isRunning() || isStale()) return;
      const chunk = messages.slice(start, start + MESSAGES_PER_TRANSACTION);
      const deliveries: BatchDelivery[] = [];
      for (const message of chunk) {
        if (passesOver(this.definition, message.headers?.type?.toString())) continue;
        const deadLetter: DeadLetterSink = (letter) => this.sendDeadLetter(topic, partition, message, letter);
        const text = message.value?.toString('utf8') ?? '';
        try {
          deliveries.push({ message: JSON.parse(text), deadLetter });
        } catch (error) {
          await deadLetter({
            consumer: this.definition.name,
            reason: 'unparseable',
            error: errorMessage(error),
            attempts: 0,
            message: text,
          });
        }
      }
      await handleDeliveredBatch(this.db, this.definition, deliveries, this.logger);
      resolveOffset(chunk[chunk.length - 1].offset);
      await heartbeat();
    }
    const labels = { consumer: this.definition.name, topic, partition };
    this.lagReported.set(`${topic}:${partition}`, labels);
    consumerLagMessages.set(labels, Number(batch.offsetLag()));
  }

  private async sendDeadLetter(topic: string, partition: number, message: KafkaMessage, letter: DeadLetter) {
    const producer = this.producer;
    if (!producer) throw new Error('KafkaEventConsumer is stopped');
    await producer.send({
      topic: deadLetterTopic(topic),
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            'dlq-reason': letter.reason,
            'dlq-error': letter.error.slice(0, 4000),
            'dlq-consumer': letter.consumer,
            'dlq-attempts': String(letter.attempts),
            'dlq-topic': topic,
            'dlq-partition': String(partition),
            'dlq-offset': message.offset,
          },
        },
      ],
    });
    consumerDeadLetters.inc({ consumer: letter.consumer });
    this.logger.error(
      { reason: letter.reason, error: letter.error, topic, partition, offset: message.offset },
      'message dead-lettered',
    );
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describeErrors(errors: ValidationError[], path = ''): string[] {
  return errors.flatMap((error) => {
    const property = path + error.property;
    const own = Object.values(error.constraints ?? {}).map((text) => (path ? `${path}${text}` : text));
    return [...own, ...describeErrors(error.children ?? [], `${property}.`)];
  });
}

let sharedLogger: Logger | undefined;
export function defaultLogger(): Logger {
  return (sharedLogger ??= createLogger('messaging'));
}
