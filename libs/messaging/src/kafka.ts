import { Admin, ConfigResourceTypes, Kafka, logLevel, LogEntry } from 'kafkajs';
import { Logger } from '@logbook/platform';
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

/** A kafkajs client whose own logs (warnings and errors only, each distinct line once per window) go to pino. */
export function createKafka(brokers: string[], clientId: string, logger: Logger): Kafka {
  quietIdleKafkaConnections();
  return new Kafka({
    clientId,
    brokers,
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

/**
 * Creates the topics that do not exist yet and waits for their partition leaders: producing to a
 * topic right after auto-creation fails transiently on KRaft ("does not host this topic-partition").
 */
export async function ensureTopics(admin: Admin, topics: string[], numPartitions: number): Promise<void> {
  const wanted = [...new Set(topics)];
  const existing = new Set(await admin.listTopics());
  const maxMessageBytes = [{ name: 'max.message.bytes', value: String(MAX_EVENT_BYTES) }];
  const missing = wanted.filter((topic) => !existing.has(topic));
  if (missing.length > 0) {
    await admin.createTopics({
      topics: missing.map((topic) => ({ topic, numPartitions, configEntries: maxMessageBytes })),
      waitForLeaders: true,
    });
  }
  const present = wanted.filter((topic) => existing.has(topic));
  if (present.length > 0) {
    // Topics created before this limit existed (or by hand) are brought up to it.
    await admin.alterConfigs({
      validateOnly: false,
      resources: present.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configEntries: maxMessageBytes })),
    });
  }
}
