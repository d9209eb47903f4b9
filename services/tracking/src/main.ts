import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { createHttpApp, httpAppOptions } from '../../../libs/platform/src/http/app';
import { runMain, serve } from '../../../libs/platform/src/http/serve';
import { loadServerConfig } from '../../../libs/platform/src/http/server-config';
import { createLogger } from '../../../libs/platform/src/logger';
import { ObservabilityModule } from '../../../libs/platform/src/observability.module';
import { loadTrackingConfig } from './config';
import { ExperimentsService } from './experiments/experiments.service';
import { TrackingModule } from './tracking.module';
import { startTrackingRuntime, SYSTEM_METADATA } from './tracking.runtime';

/** The tracking service as its own process (distributed shape), behind the gateway. */
async function main(): Promise<void> {
  const logger = createLogger('tracking');
  const config = loadTrackingConfig({ LOGBOOK_MODE: 'distributed', ...process.env });
  const server = loadServerConfig('tracking', 5001, 'internal');
  const runtime = await startTrackingRuntime(config, logger);

  @Module({ imports: [TrackingModule.with(runtime), ObservabilityModule.with(runtime.readinessChecks)] })
  class TrackingServiceModule {}

  const app = await createHttpApp(TrackingServiceModule, httpAppOptions(logger, server));
  await app.get(ExperimentsService).ensureDefaultExperiment(SYSTEM_METADATA());
  await serve(app, server, logger, () => runtime.close());
}

runMain(main);
