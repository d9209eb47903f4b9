import { Kafka, Message, Partitioners, Producer } from 'kafkajs';
import { EventEnvelope } from '@logbook/eventstore';
import { consumerDeadLetters, Database, KafkaCluster, Logger } from '@logbook/platform';
import { ConsumerDefinition, DeadLetterSink, defaultLogger, handleDeliveredBatch, passesOver } from './consumer';
import { createKafka, ensureTopics } from './kafka';
import { eventTopic, inNamespace } from './topics';

/** Where the outbox relay hands committed events. Resolves once the transport has them durably. */
export interface EventPublisher {
  /** Opens the transport, if it has a connection; repeated calls after success cost nothing. */
  connect?(): Promise<void>;
  publish(events: EventEnvelope[]): Promise<void>;
  close(): Promise<void>;
}

export interface KafkaEventPublisherOptions {
  cluster: KafkaCluster;
  /** Names the topic family: `<service>.<streamType>.events.v1`. */
  service: string;
  /** Stream types whose topics are created up front; others are created on first publish. */
  streamTypes: string[];
  /**
   * The topic of an event (without the namespace), when it is not its stream type's: e.g. a service that
   * publishes a stream's bulky events apart. Topics it names are created on first publish.
   */
  topicOf?: (event: EventEnvelope) => string;
  /** Further topics (without the namespace) created up front: those topicOf names, for consumers to find. */
  topics?: readonly string[];
  clientId?: string;
  /** Prefix of its topics (see inNamespace). */
  namespace?: string;
  /** Upper bound of one produce request's payload; larger batches are sent in several requests, in order. */
  maxRequestBytes?: number;
  logger?: Logger;
}

/**
 * How the producer retries a request before failing it to the relay (which retries it in turn): from 100 ms,
 * doubling, at most 1 s apart, five times. kafkajs' default spacing (300 ms doubling) left a publish waiting up
 * to 5 s more after a dead broker's partitions had new leaders. No retry count is given: kafkajs warns that
 * one given to an idempotent producer may break exactly-once, which the relay (at least once) does not claim.
 */
const PUBLISH_RETRY = { initialRetryTime: 100, maxRetryTime: 1000 };

/**
 * Idempotent producer with acks from all in-sync replicas. Key = stream id, so a stream's events
 * land on one partition; one request in flight keeps them in order across retries. Constructing it
 * does not touch the broker: the relay connects it, and retries while the broker is unreachable.
 */
export class KafkaEventPublisher implements EventPublisher {
  private readonly knownTopics = new Set<string>();
  private readonly kafka: Kafka;
  private producer: Producer;
  private connecting?: Promise<void>;

  constructor(private readonly options: KafkaEventPublisherOptions) {
    const logger = (options.logger ?? defaultLogger()).child({ publisher: options.service });
    this.kafka = createKafka(options.cluster, options.clientId ?? `logbook-${options.service}-relay`, logger);
    this.producer = this.newProducer();
  }

  private newProducer(): Producer {
    return this.kafka.producer({
      idempotent: true,
      retry: PUBLISH_RETRY,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  /** Creates its topics and connects the producer; a failed attempt is tried again on the next call. */
  connect(): Promise<void> {
    this.connecting ??= (async () => {
      const names = [
        ...this.options.streamTypes.map((type) => eventTopic(this.options.service, type)),
        ...(this.options.topics ?? []),
      ];
      await this.ensureTopics(names.map((name) => inNamespace(this.options.namespace, name)));
      await this.producer.connect();
    })().catch((error) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  async publish(events: EventEnvelope[]): Promise<void> {
    if (events.length === 0) return;
    await this.connect();
    const topics = events.map((event) => this.topicOf(event));
    await this.ensureTopics(topics);
    const maxBytes = this.options.maxRequestBytes ?? 800_000;
    let chunk = new Map<string, Message[]>();
    let bytes = 0;
    for (const [i, event] of events.entries()) {
      const value = JSON.stringify(event);
      if (bytes > 0 && bytes + value.length > maxBytes) {
        await this.send(chunk);
        chunk = new Map();
        bytes = 0;
      }
      const messages = chunk.get(topics[i]) ?? [];
      messages.push({
        key: event.streamId,
        value,
        headers: {
          id: event.eventId,
          type: event.type,
          schemaVersion: String(event.schemaVersion),
          streamType: event.streamType,
        },
      });
      chunk.set(topics[i], messages);
      bytes += value.length;
    }
    await this.send(chunk);
  }

  async close(): Promise<void> {
    await this.connecting?.catch(() => undefined);
    await this.producer.disconnect();
  }

  /**
   * A send that failed leaves the idempotent producer's sequence numbers in doubt (the broker may have
   * written the batch), and kafkajs keeps using them: every later send could be refused as out of order.
   * So the producer is replaced; the next attempt starts a new producer id. The relay sends the batch
   * again, which is at least once, as it always was.
   */
  private async send(chunk: Map<string, Message[]>): Promise<void> {
    try {
      await this.producer.sendBatch({
        acks: -1,
        topicMessages: [...chunk].map(([topic, messages]) => ({ topic, messages })),
      });
    } catch (error) {
      const failed = this.producer;
      this.producer = this.newProducer();
      this.connecting = undefined;
      await failed.disconnect().catch(() => undefined);
      throw error;
    }
  }

  private topicOf(event: EventEnvelope): string {
    const topic = this.options.topicOf?.(event) ?? eventTopic(this.options.service, event.streamType);
    return inNamespace(this.options.namespace, topic);
  }

  private async ensureTopics(topics: string[]): Promise<void> {
    const missing = topics.filter((topic) => !this.knownTopics.has(topic));
    if (missing.length === 0) return;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, missing, this.options.cluster.topics);
    } finally {
      await admin.disconnect();
    }
    for (const topic of missing) this.knownTopics.add(topic);
  }
}

export interface InProcessSubscription extends ConsumerDefinition {
  /**
   * Topics to receive, as for Kafka (see eventTopic; an event's topic is
   * `eventTopic(envelope.producer, envelope.streamType)`); every event when absent.
   */
  topics?: string[];
}

export interface InProcessEventBusOptions {
  /** Where messages go that a subscriber cannot process; logged (the log still holds the event) by default. */
  deadLetters?: DeadLetterSink;
  logger?: Logger;
}

interface Subscriber {
  subscription: InProcessSubscription;
  topics?: Set<string>;
  queue: Promise<unknown>;
}

/**
 * The embedded shape's transport. `publish` hands the batch to every subscriber, each through the
 * same inbox transaction as a Kafka consumer, one batch after another per subscriber (so per-stream
 * order is kept), and resolves when all of them processed or dead-lettered it. Nothing is stored
 * here: if the process dies first, the relay's checkpoint has not moved and it publishes again.
 */
export class InProcessEventBus implements EventPublisher {
  private readonly subscribers: Subscriber[] = [];
  private readonly logger: Logger;
  private readonly deadLetters: DeadLetterSink;

  constructor(
    private readonly db: Database,
    options: InProcessEventBusOptions = {},
  ) {
    this.logger = options.logger ?? defaultLogger();
    this.deadLetters =
      options.deadLetters ??
      (async (letter) => {
        consumerDeadLetters.inc({ consumer: letter.consumer });
        this.logger.error({ ...letter }, 'message dead-lettered');
      });
  }

  subscribe(subscription: InProcessSubscription): void {
    const topics = subscription.topics && new Set(subscription.topics);
    this.subscribers.push({ subscription, topics, queue: Promise.resolve() });
  }

  async publish(events: EventEnvelope[]): Promise<void> {
    await Promise.all(
      this.subscribers.map((subscriber) => {
        const run = subscriber.queue.then(() => this.deliver(subscriber, events));
        subscriber.queue = run.catch(() => undefined);
        return run;
      }),
    );
  }

  /** Waits for the deliveries in progress. */
  async close(): Promise<void> {
    await Promise.all(this.subscribers.map((subscriber) => subscriber.queue));
  }

  private async deliver({ subscription, topics }: Subscriber, events: EventEnvelope[]): Promise<void> {
    const logger = this.logger.child({ consumer: subscription.name });
    const deliveries = events
      .filter((event) => !topics || topics.has(eventTopic(event.producer, event.streamType)))
      .filter((event) => !passesOver(subscription, event.type))
      // A copy per subscriber, as a Kafka consumer would parse: handlers cannot see each other's changes.
      .map((event) => ({ message: JSON.parse(JSON.stringify(event)) as unknown, deadLetter: this.deadLetters }));
    await handleDeliveredBatch(this.db, subscription, deliveries, logger);
  }
}
