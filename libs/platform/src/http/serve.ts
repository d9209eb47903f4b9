import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from '../logger';
import { ServerConfig } from './server-config';

/** Listens, and on SIGTERM/SIGINT closes the HTTP server first, then what it runs on. */
export async function serve(
  app: NestFastifyApplication,
  server: ServerConfig,
  logger: Logger,
  closeDependencies: () => Promise<void>,
  /** Runs first on shutdown, while the app still answers: other endpoints let their calls in flight finish. */
  drainOtherEndpoints: () => Promise<void> = async () => {},
): Promise<void> {
  await app.listen(server.port, server.host);
  logger.info({ url: `http://${server.host}:${server.port}` }, 'listening');
  const shutdown = async () => {
    await drainOtherEndpoints();
    await app.close();
    await closeDependencies();
    process.exit(0);
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

/** Entry points end here: a start-up failure (bad configuration, unreachable database) exits 1 with its message. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
