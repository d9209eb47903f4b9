import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const metricsRegistry = new Registry();
// The event-loop delay histogram samples on a timer of this period: prom-client's 10 ms woke every
// process 100 times a second, idle or not. A stall shorter than the period can go unseen by it.
collectDefaultMetrics({ register: metricsRegistry, eventLoopMonitoringPrecision: 100 });

export const httpRequestDuration = new Histogram({
  name: 'logbook_http_request_duration_seconds',
  help: 'HTTP request latency by route and status',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [metricsRegistry],
});

export const eventsAppended = new Counter({
  name: 'logbook_events_appended_total',
  help: 'Events appended to the event log',
  labelNames: ['stream_type'],
  registers: [metricsRegistry],
});

export const relayPublishFailures = new Counter({
  name: 'logbook_relay_publish_failures_total',
  help: 'Attempts of the relay to publish a batch that failed (each is retried with backoff)',
  labelNames: ['relay'],
  registers: [metricsRegistry],
});

export const consumerLagMessages = new Gauge({
  name: 'logbook_consumer_lag_messages',
  help: "Messages of a partition after the last one the consumer group's member here processed (as of its last fetch)",
  labelNames: ['consumer', 'topic', 'partition'],
  registers: [metricsRegistry],
});

export const consumerDeadLetters = new Counter({
  name: 'logbook_consumer_dead_letters_total',
  help: 'Messages a consumer could not apply and set aside (to <topic>.dlq on Kafka)',
  labelNames: ['consumer'],
  registers: [metricsRegistry],
});

/** How far a relay is behind its event log. */
export interface RelayLag {
  /** Committed events after the relay's checkpoint. */
  pendingEvents: number;
  /** Age of the oldest of them; 0 when none is pending. */
  oldestPendingSeconds: number;
}

const relayLagSources = new Map<string, () => Promise<RelayLag>>();
let relayLagScrape: Promise<Map<string, RelayLag>> | undefined;

/**
 * Reports a relay's lag on every scrape, until the returned function is called. A relay stalls
 * behind any long transaction in its Postgres cluster; these gauges are how an operator sees it.
 */
export function reportRelayLag(relay: string, probe: () => Promise<RelayLag>): () => void {
  relayLagSources.set(relay, probe);
  return () => relayLagSources.delete(relay);
}

/** One probe per relay per scrape, shared by both gauges; a relay whose database does not answer is left out. */
function scrapeRelayLag(): Promise<Map<string, RelayLag>> {
  relayLagScrape ??= (async () => {
    const lags = new Map<string, RelayLag>();
    for (const [relay, probe] of relayLagSources) {
      const lag = await probe().catch(() => undefined);
      if (lag) lags.set(relay, lag);
    }
    return lags;
  })().finally(() => (relayLagScrape = undefined));
  return relayLagScrape;
}

export const relayPendingEvents = new Gauge({
  name: 'logbook_relay_pending_events',
  help: 'Committed events the relay has not published yet',
  labelNames: ['relay'],
  registers: [metricsRegistry],
  async collect() {
    this.reset();
    for (const [relay, lag] of await scrapeRelayLag()) this.set({ relay }, lag.pendingEvents);
  },
});

export const relayOldestPendingSeconds = new Gauge({
  name: 'logbook_relay_oldest_pending_event_age_seconds',
  help: 'Age of the oldest committed event the relay has not published yet (0 when none)',
  labelNames: ['relay'],
  registers: [metricsRegistry],
  async collect() {
    this.reset();
    for (const [relay, lag] of await scrapeRelayLag()) this.set({ relay }, lag.oldestPendingSeconds);
  },
});
