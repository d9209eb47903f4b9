import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KafkaCluster } from '@logbook/platform';
import { kafkaCluster } from './infra';
import { freePort } from './net';
import { PrivateInfra } from './private-infra';

/**
 * A Kafka broker, or a cluster of them, of a suite's own, for tests that stop, restart or start it
 * late. Nothing runs until start(); its data lives until destroy().
 */
export class PrivateKafka {
  private constructor(
    private readonly infra: PrivateInfra,
    private readonly ports: number[],
    private readonly securePort?: number,
  ) {}

  /**
   * Picks a fresh folder and two free ports per broker; starts nothing yet. `secure`: one broker with a
   * SASL_SSL listener too (see securely()).
   */
  static async create(brokers = 1, options: { secure?: boolean } = {}): Promise<PrivateKafka> {
    const ports = async () => {
      const picked: number[] = [];
      for (let i = 0; i < brokers; i++) picked.push(await freePort());
      return picked;
    };
    const [clientPorts, controllerPorts] = [await ports(), await ports()];
    const securePort = options.secure ? await freePort() : undefined;
    const infra = new PrivateInfra('logbook-kafka-', {
      ...(securePort ? { KAFKA_SECURE_PORT: String(securePort) } : {}),
      INFRA_COMPONENTS: 'kafka',
      KAFKA_BROKER_COUNT: String(brokers),
      KAFKA_PORTS: clientPorts.join(','),
      KAFKA_CONTROLLER_PORTS: controllerPorts.join(','),
      // Three JVMs share the machine with the suite: a smaller heap each.
      ...(brokers > 1 ? { KAFKA_HEAP_OPTS: '-Xms128m -Xmx384m' } : {}),
    });
    return new PrivateKafka(infra, clientPorts, securePort);
  }

  get brokers(): string[] {
    return this.ports.map((port) => `127.0.0.1:${port}`);
  }

  get cluster(): KafkaCluster {
    return kafkaCluster(this.brokers);
  }

  /** The SASL_SSL listener's address, the CA file its certificate chains to, and the user infra.sh made. */
  get secure(): { brokers: string[]; caFile: string; username: string; password: string } {
    if (!this.securePort) throw new Error('this Kafka was created without a secure listener');
    return {
      brokers: [`127.0.0.1:${this.securePort}`],
      caFile: join(this.infra.dir, 'kafka', 'tls', 'ca.pem'),
      username: 'logbook',
      password: 'logbook-secret',
    };
  }

  /** Starts the brokers that are not running (on their existing data, if any) and resolves once they serve. */
  async start(): Promise<void> {
    await this.infra.command('up');
  }

  /** Stops the brokers (SIGTERM, as an operator's restart would) and keeps their data. */
  async stop(): Promise<void> {
    await this.infra.command('stop');
  }

  /** Kills broker `node` (1-based) with SIGKILL, as a crash would; start() brings it back on its data. */
  killBroker(node: number): void {
    const folder = join(this.infra.dir, 'kafka', ...(this.ports.length === 1 ? [] : [`node-${node}`]));
    process.kill(Number(readFileSync(join(folder, 'kafka.pid'), 'utf8').trim()), 'SIGKILL');
  }

  /** Stops it and deletes its data. */
  async destroy(): Promise<void> {
    await this.infra.destroy();
  }
}
