import { lookup } from 'node:dns/promises';
import { Gauge } from 'prom-client';
import { createLogger, Logger, metricsRegistry, ReadinessCheck } from '@logbook/platform';

/** What an instance last answered on /health/ready: ready, up but not ready (it answered 503), or nothing. */
export type InstanceState = 'ready' | 'unready' | 'unreachable';

const upstreamReady = new Gauge({
  name: 'logbook_gateway_upstream_ready',
  help: "1 while the instance answers its readiness check, 0 while it fails it (the service's replicas, seen by this gateway)",
  labelNames: ['service', 'instance'],
  registers: [metricsRegistry],
});

export interface UpstreamPoolOptions {
  /** How often each instance's /health/ready is asked. */
  probeIntervalMs: number;
  probeTimeoutMs: number;
  /**
   * `dns`: each URL's host name stands for every address it resolves to (a Kubernetes headless Service
   * lists the ready pods), looked up again before each round of probes; `off`: each URL is one instance.
   */
  discovery?: 'dns' | 'off';
}

interface Instance {
  url: string;
  state: InstanceState;
}

/**
 * The instances of one service behind the gateway. Requests go round-robin to the ready ones; an
 * instance leaves the rotation when its readiness check fails or a request cannot reach it, and comes
 * back when the check passes again. When none is ready, the ones that answer at all are used, then any:
 * a service whose Kafka is down still serves its requests, and a guess beats refusing outright.
 */
export class UpstreamPool {
  private instances: Instance[];
  private next = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    readonly service: string,
    private readonly urls: string[],
    private readonly options: UpstreamPoolOptions,
    private readonly logger: Logger,
  ) {
    if (urls.length === 0) throw new Error(`${service}: an upstream pool needs at least one instance`);
    this.instances = urls.map((url) => ({ url, state: 'ready' }));
    for (const instance of this.instances) this.record(instance);
  }

  /** The instances' URLs, as last discovered. */
  get members(): string[] {
    return this.instances.map((instance) => instance.url);
  }

  /** The URL the next request goes to. */
  pick(): string {
    const candidates = this.inState('ready') ?? this.inState('unready') ?? this.instances;
    const chosen = candidates[this.next++ % candidates.length];
    if (this.next >= Number.MAX_SAFE_INTEGER) this.next = 0;
    return chosen.url;
  }

  /** A request could not reach `url`: no more requests go there until its readiness check passes. */
  unreachable(url: string, error: unknown): void {
    const instance = this.instances.find((candidate) => candidate.url === url);
    if (instance) this.moveTo(instance, 'unreachable', error);
  }

  /** Starts asking every instance's /health/ready each probeIntervalMs (discovering them first, with `dns`). */
  start(): void {
    if (this.timer) return;
    const probeAll = async () => {
      if (this.options.discovery === 'dns') await this.discover();
      await Promise.all(this.instances.map((instance) => this.probe(instance)));
    };
    void probeAll();
    this.timer = setInterval(probeAll, this.options.probeIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The gateway can serve this service while any instance answers (ready or not). */
  readiness(): ReadinessCheck {
    return {
      name: this.service,
      probe: async () => {
        const states = Object.fromEntries(this.instances.map(({ url, state }) => [url, state]));
        if (this.instances.every(({ state }) => state === 'unreachable')) {
          throw new Error(`no instance of ${this.service} answers: ${JSON.stringify(states)}`);
        }
        return { instances: states };
      },
    };
  }

  /**
   * Looks the URLs' host names up and makes each address an instance, keeping what is known of those
   * already there. A failed lookup keeps the last list: a DNS hiccup must not empty the pool.
   */
  async discover(): Promise<void> {
    let discovered: string[];
    try {
      discovered = (await Promise.all(this.urls.map(addressesOf))).flat();
    } catch (error) {
      this.logger.warn({ service: this.service, err: error }, 'upstream discovery failed; keeping the known instances');
      return;
    }
    if (discovered.length === 0) return;
    const known = new Map(this.instances.map((instance) => [instance.url, instance]));
    this.instances = [...new Set(discovered)].map((url) => known.get(url) ?? { url, state: 'ready' });
    const gone = [...known.keys()].filter((url) => !discovered.includes(url));
    const added = this.instances.filter((instance) => !known.has(instance.url));
    for (const url of gone) upstreamReady.remove({ service: this.service, instance: url });
    for (const instance of added) this.record(instance);
    if (gone.length > 0 || added.length > 0) {
      this.logger.info({ service: this.service, instances: this.members }, 'upstream instances discovered');
    }
  }

  private inState(state: InstanceState): Instance[] | undefined {
    const found = this.instances.filter((instance) => instance.state === state);
    return found.length > 0 ? found : undefined;
  }

  private async probe(instance: Instance): Promise<void> {
    try {
      const response = await fetch(`${instance.url}/health/ready`, {
        signal: AbortSignal.timeout(this.options.probeTimeoutMs),
      });
      await response.body?.cancel();
      this.moveTo(instance, response.ok ? 'ready' : 'unready', `answered ${response.status}`);
    } catch (error) {
      this.moveTo(instance, 'unreachable', error);
    }
  }

  private moveTo(instance: Instance, state: InstanceState, cause: unknown): void {
    if (instance.state === state) return;
    const was = instance.state;
    instance.state = state;
    this.record(instance);
    const fields = { service: this.service, instance: instance.url, was, now: state };
    if (state === 'ready') this.logger.info(fields, 'upstream instance back in rotation');
    else this.logger.warn({ ...fields, err: cause }, 'upstream instance out of rotation');
  }

  private record(instance: Instance): void {
    upstreamReady.set({ service: this.service, instance: instance.url }, instance.state === 'ready' ? 1 : 0);
  }
}

export type ServiceName = 'tracking' | 'artifacts' | 'registry';

/** A pool per service, of the instances given for it (probing starts with start()). */
export function upstreamPools(
  instances: Record<ServiceName, string | string[]>,
  options: UpstreamPoolOptions = { probeIntervalMs: 2000, probeTimeoutMs: 1000 },
  logger: Logger = createLogger('gateway'),
): Record<ServiceName, UpstreamPool> {
  const pool = (service: ServiceName) => new UpstreamPool(service, [instances[service]].flat(), options, logger);
  return { tracking: pool('tracking'), artifacts: pool('artifacts'), registry: pool('registry') };
}

/** The URL once per address its host name resolves to (an address stays as it is). */
async function addressesOf(url: string): Promise<string[]> {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const addresses = await lookup(host, { all: true });
  return addresses.map(({ address, family }) => {
    const instance = new URL(url);
    instance.hostname = family === 6 ? `[${address}]` : address;
    return instance.toString().replace(/\/+$/, '');
  });
}
