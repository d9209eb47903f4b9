import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp } from '../../../libs/platform/src/http/app';
import { runMain, serve } from '../../../libs/platform/src/http/serve';
import { loadServerConfig } from '../../../libs/platform/src/http/server-config';
import { createLogger, Logger } from '../../../libs/platform/src/logger';
import { databaseReadiness, httpReadiness, ObservabilityModule } from '../../../libs/platform/src/observability.module';
import { loadTrackingConfig } from '../../tracking/src/config';
import { ExperimentsService } from '../../tracking/src/experiments/experiments.service';
import { TrackingModule } from '../../tracking/src/tracking.module';
import { startTrackingRuntime, SYSTEM_METADATA } from '../../tracking/src/tracking.runtime';
import { GatewayConfig, loadGatewayConfig } from './config';
import { ApiInfoModule } from './api-info.module';
import { registerRoutes, routingTable } from './routing';

/** The embedded shape: every service module in this one process, on an embedded Postgres. */
async function embedded(logger: Logger, bodyLimitBytes: number) {
  const runtime = await startTrackingRuntime(loadTrackingConfig(), logger);

  @Module({
    imports: [TrackingModule.with(runtime), ApiInfoModule, ObservabilityModule.with([databaseReadiness(runtime.db)])],
  })
  class EmbeddedModule {}

  const app = await createHttpApp(EmbeddedModule, { logger, bodyLimitBytes });
  await app.get(ExperimentsService).ensureDefaultExperiment(SYSTEM_METADATA());
  return { app, close: () => runtime.close() };
}

/** The distributed shape: the gateway forwards MLflow paths to the services that own them. */
async function distributed(logger: Logger, bodyLimitBytes: number, config: GatewayConfig) {
  const trackingUrl = config.trackingUrl as string;

  @Module({ imports: [ApiInfoModule, ObservabilityModule.with([httpReadiness('tracking', `${trackingUrl}/health`)])] })
  class GatewayModule {}

  const app = await createHttpApp(GatewayModule, { logger, bodyLimitBytes });
  await registerRoutes(app.getHttpAdapter().getInstance(), routingTable(trackingUrl));
  return { app, close: async () => undefined };
}

async function main(): Promise<void> {
  const logger = createLogger('gateway');
  const config = loadGatewayConfig();
  const server = loadServerConfig('gateway', 5000);
  const { app, close }: { app: NestFastifyApplication; close: () => Promise<void> } =
    config.mode === 'embedded'
      ? await embedded(logger, server.bodyLimitBytes)
      : await distributed(logger, server.bodyLimitBytes, config);
  await serve(app, server, logger, close);
}

runMain(main);
