import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { createHttpApp } from '@logbook/platform';
import { loadArtifactsConfig } from '../../services/artifacts/src/config';
import { startEmbeddedServices } from '../../services/gateway/src/embedded-services';
import { loadRegistryConfig } from '../../services/registry/src/config';
import { loadTrackingConfig } from '../../services/tracking/src/config';

export const silent = pino({ level: 'silent' });

export interface EmbeddedApp {
  app: NestFastifyApplication;
  /** Closes the app and the services and removes their data folder. */
  close(): Promise<void>;
}

/**
 * Every service in one app on an embedded database in a folder of its own, as the embedded shape serves them;
 * `beforeInit` adds the gateway's own routes a spec needs (GraphQL, ...) before the app starts.
 */
export async function startEmbeddedApp(
  name: string,
  bodyLimitBytes: number,
  beforeInit: (app: NestFastifyApplication) => Promise<void> = async () => {},
): Promise<EmbeddedApp> {
  const dataDir = mkdtempSync(join(tmpdir(), `logbook-${name}-`));
  const env = { LOGBOOK_MODE: 'embedded', LOGBOOK_DATA_DIR: dataDir };
  const services = await startEmbeddedServices(
    { tracking: loadTrackingConfig(env), artifacts: loadArtifactsConfig(env), registry: loadRegistryConfig(env) },
    silent,
  );
  @Module({ imports: services.modules })
  class TestModule {}
  const app = await createHttpApp(TestModule, { logger: silent, bodyLimitBytes });
  await beforeInit(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    close: async () => {
      await app.close();
      await services.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
