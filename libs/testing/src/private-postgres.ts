import { join } from 'node:path';
import { freePort } from './net';
import { PrivateInfra } from './private-infra';

/**
 * A PostgreSQL server of a suite's own, for tests that crash or restart it, with PostgreSQL's own
 * durability (the shared test server skips fsync). Nothing runs until start().
 */
export class PrivatePostgres {
  private constructor(
    private readonly infra: PrivateInfra,
    readonly port: number,
  ) {}

  /** `tls`: it also takes TLS connections, with a certificate for 127.0.0.1 chaining to caFile. */
  static async create(options: { tls?: boolean } = {}): Promise<PrivatePostgres> {
    const port = await freePort();
    return new PrivatePostgres(
      new PrivateInfra('logbook-postgres-', {
        INFRA_COMPONENTS: 'postgres',
        PG_PORT: String(port),
        PG_DURABLE: 'on',
        PG_TLS: options.tls ? 'on' : 'off',
      }),
      port,
    );
  }

  /** The authority its TLS certificate chains to (created with `tls`). */
  get caFile(): string {
    return join(this.infra.dir, 'postgres', 'tls', 'ca.pem');
  }

  /** Its `logbook` database, as the services reach it. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/logbook`;
  }

  /** Starts it (on its existing data, if any) and resolves once it accepts connections. */
  async start(): Promise<void> {
    await this.infra.command('up');
  }

  /** Stops it at once (pg_ctl's immediate mode: what a crash leaves, recovered at the next start). */
  async stop(): Promise<void> {
    await this.infra.command('stop');
  }

  async destroy(): Promise<void> {
    await this.infra.destroy();
  }
}
