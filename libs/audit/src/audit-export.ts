import { Kafka, Message, Partitioners, Producer } from 'kafkajs';
import { AdvisoryLock, createKafka, ensureTopics, inNamespace, Subscription } from '@logbook/messaging';
import {
  backoffDelay,
  Database,
  DependencyStatus,
  KafkaCluster,
  Logger,
  Outage,
  RelayLag,
  reportRelayLag,
  ServiceConfig,
} from '@logbook/platform';
import { auditEntriesAfter, auditHead } from './audit-log';
import { AuditEntry } from './chain';

/** The topic every audit trail is published on, for SIEM ingestion: CloudEvents, one per audit row. */
export const AUDIT_TOPIC = 'logbook.audit.v1';

/** The CloudEvents Kafka binding's content type of a structured-mode message. */
const CLOUDEVENTS_JSON = 'application/cloudevents+json; charset=UTF-8';

/** Where a chain's export stands: the last row published, by subscription name. */
export const auditExportSchema = (schema: string) => `
CREATE TABLE ${schema}.audit_export_checkpoints (
  name text PRIMARY KEY,
  seq bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
`;

/** A CloudEvents 1.0 event in structured mode: the envelope attributes and the audit row as its data. */
export interface AuditCloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  subject: string;
  datacontenttype: 'application/json';
  data: AuditEntry;
}

/** The audit trail's source URI: which service's chain a row belongs to. */
export const auditSource = (service: string) => `/logbook/${service}/audit`;

/** A row as a CloudEvent: its event id, its event type, its time, what it is about, the whole row (hashes too). */
export function auditCloudEvent(service: string, entry: AuditEntry): AuditCloudEvent {
  const { name, version } = entry.target;
  return {
    specversion: '1.0',
    id: entry.event_id,
    source: auditSource(service),
    type: `logbook.audit.${entry.event_type}`,
    time: entry.recorded_at,
    subject: name === null ? entry.stream_id : version === null ? name : `${name}/versions/${version}`,
    datacontenttype: 'application/json',
    data: entry,
  };
}

export interface AuditExportOptions {
  db: Database;
  /** The schema whose audit trail is published. */
  schema: string;
  /** The service the chain belongs to: the events' source, and their Kafka key. */
  service: string;
  cluster: KafkaCluster;
  clientId: string;
  namespace?: string;
  logger: Logger;
}

const NAME = 'audit-export';
/** Rows per read. */
const BATCH_SIZE = 500;
/** Upper bound of one produce request's payload: a larger batch goes in several requests, in order. */
const MAX_REQUEST_BYTES = 800_000;
/** How often it looks for rows when no commit wakes it, and the first retry's delay after a failure. */
const POLL_INTERVAL_MS = 500;
const MAX_BACKOFF_MS = 10_000;

/**
 * The audit trail published on AUDIT_TOPIC as CloudEvents, a named subscription with its own checkpoint,
 * held by one replica at a time. Rows are read by sequence number: writers append them in commit order
 * under the chain's head lock, so a row is visible only after every row before it. All rows of a chain
 * share one key (the service), so they keep their order on one partition; a batch is published, then the
 * checkpoint moves: at least once, in order.
 */
export class AuditExportSubscription implements Subscription {
  readonly name = NAME;
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly lock: AdvisoryLock;
  private readonly logger: Logger;
  private readonly outage: Outage;
  private readonly topic: string;
  private readonly label: string;
  private running = false;
  private leading = false;
  private loop?: Promise<void>;
  private stopped!: Promise<void>;
  private signalStop!: () => void;
  private woken = false;
  private wakeUp?: () => void;
  private connected?: Promise<void>;
  private stopReportingLag?: () => void;

  constructor(private readonly options: AuditExportOptions) {
    const logger = (this.logger = options.logger.child({ subscription: `${options.schema}.${NAME}` }));
    this.kafka = createKafka(options.cluster, options.clientId, logger);
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.topic = inNamespace(options.namespace, AUDIT_TOPIC);
    this.lock = new AdvisoryLock(options.db, `logbook-subscription:${options.schema}.${NAME}`, { logger });
    this.outage = new Outage(logger, 'audit export');
    this.label = `${options.schema}.${NAME}`;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopped = new Promise((resolve) => (this.signalStop = resolve));
    this.stopReportingLag = reportRelayLag(this.label, () => this.lag());
    this.loop = this.lead();
  }

  /** Looks for new rows now rather than at the next poll (the service calls it after each commit). */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  status(): DependencyStatus {
    return this.leading ? this.outage.status() : { up: true, failures: 0 };
  }

  async stop(): Promise<void> {
    if (this.running) {
      this.running = false;
      this.stopReportingLag?.();
      this.signalStop();
      await this.loop;
    }
    await this.connected?.catch(() => undefined);
    await this.producer.disconnect();
  }

  /** Rows not yet published, and how long the oldest of them has waited. */
  async lag(): Promise<RelayLag> {
    const { db, schema } = this.options;
    const [head, published] = await Promise.all([auditHead(db, schema), this.checkpoint()]);
    if (head.seq <= published) return { pendingEvents: 0, oldestPendingSeconds: 0 };
    const [oldest] = await auditEntriesAfter(db, schema, published, 1);
    const waited = oldest ? (Date.now() - Date.parse(oldest.recorded_at)) / 1000 : 0;
    return { pendingEvents: head.seq - published, oldestPendingSeconds: Math.max(0, waited) };
  }

  /** Publishes one batch after the checkpoint; how many rows it published. */
  private async publishNext(): Promise<number> {
    const { db, schema, service } = this.options;
    await this.connect();
    const entries = await auditEntriesAfter(db, schema, await this.checkpoint(), BATCH_SIZE);
    if (entries.length === 0) return 0;
    let chunk: Message[] = [];
    let bytes = 0;
    for (const entry of entries) {
      const value = JSON.stringify(auditCloudEvent(service, entry));
      if (bytes > 0 && bytes + value.length > MAX_REQUEST_BYTES) {
        await this.send(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push({ key: service, value, headers: { 'content-type': CLOUDEVENTS_JSON } });
      bytes += value.length;
    }
    await this.send(chunk);
    await db.query(
      `INSERT INTO ${schema}.audit_export_checkpoints (name, seq) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET seq = EXCLUDED.seq, updated_at = now()`,
      [NAME, entries[entries.length - 1].seq],
    );
    return entries.length;
  }

  private async send(messages: Message[]): Promise<void> {
    await this.producer.send({ topic: this.topic, acks: -1, messages });
  }

  /** Creates the topic and connects the producer; a failed attempt is tried again on the next call. */
  private connect(): Promise<void> {
    this.connected ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        await ensureTopics(admin, [this.topic], this.options.cluster.topics);
      } finally {
        await admin.disconnect();
      }
      await this.producer.connect();
    })().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    return this.connected;
  }

  private async checkpoint(): Promise<number> {
    const { rows } = await this.options.db.query<{ seq: string | number }>(
      `SELECT seq FROM ${this.options.schema}.audit_export_checkpoints WHERE name = $1`,
      [NAME],
    );
    return rows.length === 0 ? 0 : Number(rows[0].seq);
  }

  private async lead(): Promise<void> {
    while (this.running) {
      const held = await this.lock.acquire(this.stopped);
      if (!held) return;
      this.leading = true;
      this.logger.info('exporting the audit trail: this replica holds the audit export lock');
      let lost = false;
      void held.lost.then(() => (lost = true));
      await this.publishWhile(() => this.running && !lost, Promise.race([held.lost, this.stopped]));
      this.leading = false;
      await held.release();
    }
  }

  private async publishWhile(leading: () => boolean, ended: Promise<void>): Promise<void> {
    let failures = 0;
    while (leading()) {
      try {
        this.woken = false;
        const published = await this.publishNext();
        failures = 0;
        this.outage.recovered();
        if (published === BATCH_SIZE || this.woken) continue;
        await this.sleep(POLL_INTERVAL_MS, ended, true);
      } catch (error) {
        failures++;
        const retryInMs = backoffDelay(failures + 1, POLL_INTERVAL_MS, MAX_BACKOFF_MS);
        this.outage.failed(error, retryInMs);
        await this.sleep(retryInMs, ended, false);
      }
    }
  }

  /** Waits `ms`, or until `ended`; a wake cuts short only a wait that is not a backoff. */
  private async sleep(ms: number, ended: Promise<void>, wakeable: boolean): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      ended,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
        if (wakeable) this.wakeUp = resolve;
      }),
    ]);
    clearTimeout(timer);
    this.wakeUp = undefined;
  }
}

/**
 * A service's audit export, started, in the distributed shape (Kafka) and woken by each commit; none in
 * the embedded shape, which has no Kafka.
 */
export function startAuditExport(
  runtime: { db: Database; store: { onAppended(listener: () => void): void } },
  config: ServiceConfig,
  chain: { service: string; schema: string },
  logger: Logger,
): AuditExportSubscription | undefined {
  if (config.mode !== 'distributed') return undefined;
  const subscription = new AuditExportSubscription({
    db: runtime.db,
    ...chain,
    cluster: config.kafka,
    clientId: `${config.kafkaClientId}-audit-export`,
    namespace: config.kafkaNamespace,
    logger,
  });
  runtime.store.onAppended(() => subscription.wake());
  subscription.start();
  return subscription;
}
