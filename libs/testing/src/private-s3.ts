import { join } from 'node:path';
import { freePort } from './net';
import { PrivateInfra } from './private-infra';

/** An S3Proxy of a suite's own with an HTTPS endpoint beside the plain one. Nothing runs until start(). */
export class PrivateS3 {
  private constructor(
    private readonly infra: PrivateInfra,
    private readonly securePort: number,
  ) {}

  static async create(): Promise<PrivateS3> {
    const [port, securePort] = [await freePort(), await freePort()];
    return new PrivateS3(
      new PrivateInfra('logbook-s3-', {
        INFRA_COMPONENTS: 's3proxy',
        S3_PORT: String(port),
        S3_SECURE_PORT: String(securePort),
      }),
      securePort,
    );
  }

  /** The HTTPS endpoint, its bucket and credentials, and the authority its certificate chains to. */
  get secure() {
    return {
      endpoint: `https://127.0.0.1:${this.securePort}`,
      bucket: 'logbook',
      accessKey: 'test',
      secretKey: 'testtest',
      caFile: join(this.infra.dir, 's3proxy', 'tls', 'ca.pem'),
    };
  }

  async start(): Promise<void> {
    await this.infra.command('up');
  }

  async destroy(): Promise<void> {
    await this.infra.destroy();
  }
}
