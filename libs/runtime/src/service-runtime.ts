import { EventEnvelope, EventStore, EventStoreOptions } from '@logbook/eventstore';
import {
  ConsumerDefinition,
  ContractMapper,
  ConsumerSubscription,
  InProcessEventBus,
  KafkaEventConsumer,
  KafkaEventPublisher,
  RelaySubscription,
  RelaySubscriptionOptions,
  Subscription,
} from '@logbook/messaging';
import {
  ServiceConfig,
  Database,
  Logger,
  SqlMigration,
  migrate,
  databaseReadiness,
  ReadinessCheck,
  statusReadiness,
  waitForDatabase,
} from '@logbook/platform';
import { openServiceDatabase } from './service-database';

/** What a service is made of, as far as its runtime is concerned. */
export interface ServiceDefinition {
  /** The producer of its events and the first part of its topics' names. */
  name: string;
  schema: string;
  migrations: SqlMigration[];
  store: Pick<EventStoreOptions, 'projections' | 'upcasters' | 'schemaVersions' | 'audit'>;
  /** Stream types whose topics its relay creates up front. */
  streamTypes: string[];
  /** How its domain events leave it: their public contracts (libs/contracts). */
  toContract?: ContractMapper;
  /** The topic of each published event, when not its stream type's (see KafkaEventPublisherOptions.topicOf). */
  topicOf?: (event: EventEnvelope) => string;
  /** Topics its relay creates up front besides its stream types' (those topicOf names). */
  topics?: readonly string[];
  /**
   * False for a service whose events no other service consumes and must not leave it (identity's carry
   * password hashes): it runs no relay, so nothing reaches Kafka. True by default.
   */
  publishes?: boolean;
}

/**
 * A consumer of other services' events, by where it reads them: their topics on Kafka (a consumer
 * group named `consumer.name`), or, in one process, their event log itself through a relay of its own
 * (checkpointed under `consumer.name` in the source's schema).
 */
export type SubscriptionDefinition =
  | { kind: 'kafka'; consumer: ConsumerDefinition; topics: string[] }
  | { kind: 'in-process'; consumer: ConsumerDefinition; source: EventStore; toContract?: ContractMapper };

export interface ServiceRuntimeOptions {
  service: ServiceDefinition;
  config: ServiceConfig;
  logger: Logger;
  /** A database the caller opened and closes (the embedded shape's shared one); opened here when absent. */
  db?: Database;
  /** What it consumes, given its database and store once they exist. */
  subscriptions?: (built: { db: Database; store: EventStore }) => SubscriptionDefinition[];
  /**
   * `command` (rebuild, gc, reconcile): the database, migrated, and the store, with nothing running;
   * an unreachable database fails it at once rather than being waited for. `service` by default.
   */
  role?: 'service' | 'command';
  /** Tuning of the relays (tests shorten the lock's retry). */
  relay?: RelaySubscriptionOptions;
}

export interface ServiceRuntime {
  db: Database;
  store: EventStore;
  /** The relay of its log to Kafka, in the distributed shape; in one process nobody subscribes to it. */
  publication?: RelaySubscription;
  /** Every subscription it runs, the publication first. */
  subscriptions: Subscription[];
  /** What /health/ready checks: the database, the publication (degrades only) and every consumer. */
  readinessChecks: ReadinessCheck[];
  /** Stops the subscriptions, last started first, then closes the database if it opened it. */
  close(): Promise<void>;
}

/**
 * Starts a service: opens its database and waits for it, migrates, builds its event store, then starts
 * its named subscriptions. Kafka is not waited for: writes need only the database, and relays and
 * consumers connect, and reconnect, in the background.
 */
export async function startServiceRuntime(options: ServiceRuntimeOptions): Promise<ServiceRuntime> {
  const { service, config, logger } = options;
  const db = options.db ?? (await openServiceDatabase(config, logger));
  // Once only: a runtime stopped by its owner may be closed again by a shutdown path (pg refuses a second end).
  let dbClosed: Promise<void> | undefined;
  const closeDb = options.db ? async () => undefined : () => (dbClosed ??= db.close());
  const isCommand = options.role === 'command';
  try {
    if (!isCommand) await waitForDatabase(db, logger);
    const applied = await migrate(db, service.schema, service.migrations);
    if (applied.length > 0) logger.info({ applied, schema: service.schema }, 'migrations applied');
  } catch (error) {
    await closeDb();
    throw error;
  }
  const store = new EventStore(db, { schema: service.schema, producer: service.name, ...service.store });
  if (isCommand) return { db, store, subscriptions: [], readinessChecks: [databaseReadiness(db)], close: closeDb };

  const relayOptions = { ...options.relay, logger };
  const publication =
    config.mode === 'distributed' && service.publishes !== false
      ? new RelaySubscription('relay', store, kafkaPublisher(service, config, logger), {
          ...relayOptions,
          toContract: service.toContract,
        })
      : undefined;
  const consumers = (options.subscriptions?.({ db, store }) ?? []).map((definition) =>
    consumerSubscription(definition, db, config, logger, relayOptions),
  );
  const subscriptions = [...(publication ? [publication] : []), ...consumers];
  for (const subscription of subscriptions) subscription.start();
  return {
    db,
    store,
    publication,
    subscriptions,
    readinessChecks: [
      databaseReadiness(db),
      ...(publication ? [statusReadiness('event-relay', () => publication.status(), 'degrades')] : []),
      ...consumers.map((subscription) => statusReadiness(subscription.name, () => subscription.status())),
    ],
    async close() {
      for (const subscription of [...subscriptions].reverse()) await subscription.stop();
      await closeDb();
    },
  };
}

function kafkaPublisher(service: ServiceDefinition, config: ServiceConfig, logger: Logger): KafkaEventPublisher {
  return new KafkaEventPublisher({
    cluster: config.kafka,
    service: service.name,
    streamTypes: service.streamTypes,
    topicOf: service.topicOf,
    topics: service.topics,
    clientId: config.kafkaClientId,
    namespace: config.kafkaNamespace,
    logger,
  });
}

function consumerSubscription(
  definition: SubscriptionDefinition,
  db: Database,
  config: ServiceConfig,
  logger: Logger,
  relayOptions: RelaySubscriptionOptions,
): Subscription {
  const { name } = definition.consumer;
  if (definition.kind === 'kafka') {
    const consumer = new KafkaEventConsumer(db, definition.consumer, {
      cluster: config.kafka,
      topics: definition.topics,
      clientId: config.kafkaClientId,
      namespace: config.kafkaNamespace,
      logger,
    });
    return new ConsumerSubscription(name, consumer);
  }
  const bus = new InProcessEventBus(db, { logger });
  bus.subscribe(definition.consumer);
  return new RelaySubscription(name, definition.source, bus, { ...relayOptions, toContract: definition.toContract });
}
