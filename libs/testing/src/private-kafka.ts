import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './net';

const run = promisify(execFile);
const INFRA_SCRIPT = resolve(__dirname, '../../../../deploy/local/infra.sh');

/**
 * A Kafka broker of a suite's own (deploy/local/infra.sh with its own folder and ports), for tests
 * that stop, restart or start it late: the shared broker must stay up for every other suite.
 * Nothing runs until start(); its data lives until destroy().
 */
export class PrivateKafka {
  private constructor(
    private readonly dir: string,
    private readonly port: number,
    private readonly controllerPort: number,
  ) {}

  /** Picks a fresh folder and two free ports; starts nothing yet. */
  static async create(): Promise<PrivateKafka> {
    const dir = mkdtempSync(join(tmpdir(), 'logbook-kafka-'));
    return new PrivateKafka(join(dir, 'infra'), await freePort(), await freePort());
  }

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  /** Starts the broker (on its existing data, if any) and resolves once it serves. */
  async start(): Promise<void> {
    await this.infra('up');
  }

  /** Stops the broker (SIGTERM, as an operator's restart would) and keeps its data. */
  async stop(): Promise<void> {
    await this.infra('stop');
  }

  /** Stops it and deletes its data. */
  async destroy(): Promise<void> {
    await this.infra('down');
    rmSync(resolve(this.dir, '..'), { recursive: true, force: true });
  }

  private async infra(command: 'up' | 'stop' | 'down'): Promise<void> {
    await run('bash', [INFRA_SCRIPT, command], {
      env: {
        ...process.env,
        INFRA_COMPONENTS: 'kafka',
        LOGBOOK_INFRA_DIR: this.dir,
        KAFKA_PORT: String(this.port),
        KAFKA_CONTROLLER_PORT: String(this.controllerPort),
      },
    });
  }
}
