import { Admin, ConfigResourceTypes, Kafka, logLevel, LogEntry } from 'kafkajs';
import { Logger } from '../../platform/src/logger';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** A kafkajs client whose own logs (warnings and errors only) go to pino. */
export function createKafka(brokers: string[], clientId: string, logger: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...rest } = log;
        logger[LEVELS[level] ?? 'info']({ kafka: rest }, message);
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
