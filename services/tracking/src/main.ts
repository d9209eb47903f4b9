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
import { loadTrackingConfig } from './config';
import { TrackingModule } from './tracking.module';
import { startTrackingRuntime } from './tracking.runtime';

/** The tracking service as its own process (distributed shape), behind the gateway. */
async function main(): Promise<void> {
  const logger = createLogger('tracking');
  const config = loadTrackingConfig({ LOGBOOK_MODE: 'distributed', ...process.env });
  const server = loadServerConfig('tracking', 5001, 'internal');
  const runtime = await startTrackingRuntime(config, logger);

  @Module({ imports: [TrackingModule.with(runtime), ObservabilityModule.with(runtime.readinessChecks)] })
  class TrackingServiceModule {}

  const app = await createHttpApp(TrackingServiceModule, httpAppOptions(logger, server));
  await serve(app, server, logger, () => runtime.close());
}

runMain(main);
