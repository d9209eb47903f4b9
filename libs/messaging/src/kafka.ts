import { Admin, ConfigResourceTypes, Kafka, logLevel, LogEntry, SASLOptions } from 'kafkajs';
import { KafkaCluster, Logger, TopicSettings } from '@logbook/platform';
import { quietIdleKafkaConnections } from './kafka-request-queue';

const LEVELS: Record<number, 'warn' | 'info' | 'debug'> = {
  // kafkajs logs each failed attempt of what it retries; what finally fails reaches Logbook's own
  // code, which logs it once per outage. So kafkajs' errors are warnings here.
  [logLevel.ERROR]: 'warn',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** A line kafkajs repeats within this window (it does, once per retry, while a broker is down) goes to debug. */
const REPEAT_WINDOW_MS = 5 * 60_000;

/**
 * A kafkajs client of `cluster` (over TLS and with SASL when it says so) whose own logs (warnings and
 * errors only, each distinct line once per window) go to pino.
 */
export function createKafka(cluster: KafkaCluster, clientId: string, logger: Logger): Kafka {
  quietIdleKafkaConnections();
  return new Kafka({
    clientId,
    brokers: cluster.brokers,
    ...(cluster.tls ? { ssl: Object.keys(cluster.tls).length > 0 ? cluster.tls : true } : {}),
    ...(cluster.sasl ? { sasl: cluster.sasl as SASLOptions } : {}),
    logLevel: logLevel.WARN,
    logCreator: () => {
      const lastLogged = new Map<string, number>();
      return ({ level, log }: LogEntry) => {
        const { message, ...rest } = log;
        const line = `${level} ${String(message).replace(/\d+/g, '#')}`;
        const now = Date.now();
        const repeated = now - (lastLogged.get(line) ?? -Infinity) < REPEAT_WINDOW_MS;
        if (!repeated) {
          if (lastLogged.size >= 1000) lastLogged.clear();
          lastLogged.set(line, now);
        }
        logger[repeated ? 'debug' : (LEVELS[level] ?? 'info')]({ kafka: rest }, message);
      };
    },
  });
}

/**
 * One event carries at most one request body (LOGBOOK_BODY_LIMIT_MB, 16 MiB by default): a topic
 * must take it, or the relay could never get past it. Kafka's default is 1 MB.
 */
export const MAX_EVENT_BYTES = 32 * 1024 * 1024;

/** Replicas per topic when none are configured: three, as far as the cluster has brokers for them. */
const DEFAULT_REPLICATION_FACTOR = 3;

/**
 * Writes must reach this many replicas (with acks=all): 2 of 3 lets one broker be down without
 * losing an acknowledged write or stopping writes; a topic of fewer replicas can only ask for 1.
 */
export function minInsyncReplicasFor(replicationFactor: number, configured?: number): number {
  return Math.min(configured ?? (replicationFactor >= 3 ? 2 : 1), replicationFactor);
}

/**
 * Creates the topics that do not exist yet, `settings.partitions` each (or `partitions` when given),
 * replicated as configured or across up to three brokers, and waits for their partition leaders:
 * producing to a topic right after auto-creation fails transiently on KRaft ("does not host this
 * topic-partition"). Topics that exist keep their partitions and replicas; their message size limit
 * and in-sync minimum are brought up to date.
 */
export async function ensureTopics(
  admin: Admin,
  topics: string[],
  settings: TopicSettings,
  partitions = settings.partitions,
): Promise<void> {
  const wanted = [...new Set(topics)];
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((topic) => !existing.has(topic));
  if (missing.length > 0) {
    const brokers = (await admin.describeCluster()).brokers.length;
    const replicationFactor = settings.replicationFactor ?? Math.min(DEFAULT_REPLICATION_FACTOR, brokers);
    if (replicationFactor > brokers) {
      // Kafka's own refusal names no setting; this one is logged once per outage by the relay or consumer.
      throw new Error(
        `LOGBOOK_KAFKA_REPLICATION_FACTOR is ${replicationFactor} but the cluster has ${brokers} broker(s): ` +
          `topics ${missing.join(', ')} cannot be created`,
      );
    }
    const configEntries = topicConfig(minInsyncReplicasFor(replicationFactor, settings.minInsyncReplicas));
    await admin.createTopics({
      topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor, configEntries })),
      waitForLeaders: true,
    });
  }
  const present = wanted.filter((topic) => existing.has(topic));
  if (present.length > 0) {
    // alterConfigs replaces every setting of the topic it names: each is given its whole config again.
    const { topics: described } = await admin.fetchTopicMetadata({ topics: present });
    await admin.alterConfigs({
      validateOnly: false,
      resources: described.map(({ name, partitions: layout }) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configEntries: topicConfig(minInsyncReplicasFor(layout[0].replicas.length, settings.minInsyncReplicas)),
      })),
    });
  }
}

function topicConfig(minInsyncReplicas: number) {
  return [
    { name: 'max.message.bytes', value: String(MAX_EVENT_BYTES) },
    { name: 'min.insync.replicas', value: String(minInsyncReplicas) },
  ];
}
