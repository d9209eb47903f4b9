import 'reflect-metadata';
import { Module } from '@nestjs/common';
import {
  createHttpApp,
  httpAppOptions,
  runMain,
  serve,
  loadServerConfig,
  createLogger,
  ObservabilityModule,
} from '@logbook/platform';
import { ArtifactsModule } from './artifacts.module';
import { startArtifactsRuntime } from './artifacts.runtime';
import { loadArtifactsConfig } from './config';

/** The artifacts service as its own process (distributed shape), behind the gateway. */
async function main(): Promise<void> {
  const logger = createLogger('artifacts');
  const config = loadArtifactsConfig({ LOGBOOK_MODE: 'distributed', ...process.env });
  const server = loadServerConfig('artifacts', 5002, 'internal');
  const runtime = await startArtifactsRuntime(config, logger, { kind: 'kafka' });

  @Module({ imports: [ArtifactsModule.with(runtime, logger), ObservabilityModule.with(runtime.readinessChecks)] })
  class ArtifactsServiceModule {}

  const app = await createHttpApp(ArtifactsServiceModule, httpAppOptions(logger, server));
  await serve(app, server, logger, () => runtime.close());
}

runMain(main);
