import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp, httpAppOptions } from '../../../libs/platform/src/http/app';
import { runMain, serve } from '../../../libs/platform/src/http/serve';
import { loadServerConfig, ServerConfig } from '../../../libs/platform/src/http/server-config';
import { createLogger, Logger } from '../../../libs/platform/src/logger';
import { databaseReadiness, httpReadiness, ObservabilityModule } from '../../../libs/platform/src/observability.module';
import { loadTrackingConfig } from '../../tracking/src/config';
import { ExperimentsService } from '../../tracking/src/experiments/experiments.service';
import { TrackingModule } from '../../tracking/src/tracking.module';
import { startTrackingRuntime, SYSTEM_METADATA } from '../../tracking/src/tracking.runtime';
import { GatewayConfig, loadGatewayConfig } from './config';
import { loadArtifactsConfig } from '../../artifacts/src/config';
import { registerArtifactRoutes } from '../../artifacts/src/artifacts.routes';
import { startArtifactsRuntime } from '../../artifacts/src/artifacts.runtime';
import { ApiInfoModule } from './api-info.module';
import { buildOpenApiDocument } from './openapi.document';
import { forwardedRouteMethods, registerRoutes, routingTable } from './routing';

/** The embedded shape: every service module in this one process, on an embedded Postgres. */
async function embedded(logger: Logger, server: ServerConfig) {
  const tracking = await startTrackingRuntime(loadTrackingConfig(), logger);
  const artifacts = await startArtifactsRuntime(
    loadArtifactsConfig(),
    logger,
    { kind: 'in-process', trackingStore: tracking.store, toContract: tracking.toContract },
    tracking.db,
  );

  @Module({
    imports: [TrackingModule.with(tracking), ApiInfoModule, ObservabilityModule.with([databaseReadiness(tracking.db)])],
  })
  class EmbeddedModule {}

  const app = await createHttpApp(EmbeddedModule, httpAppOptions(logger, server));
  await registerArtifactRoutes(app.getHttpAdapter().getInstance(), artifacts.service, logger);
  await app.get(ExperimentsService).ensureDefaultExperiment(SYSTEM_METADATA());
  return {
    app,
    close: async () => {
      await artifacts.close();
      await tracking.close();
    },
  };
}

/** The distributed shape: the gateway forwards MLflow paths to the services that own them. */
async function distributed(logger: Logger, server: ServerConfig, config: GatewayConfig) {
  const upstreams = { tracking: config.trackingUrl as string, artifacts: config.artifactsUrl as string };

  @Module({
    imports: [
      ApiInfoModule,
      ObservabilityModule.with([
        httpReadiness('tracking', `${upstreams.tracking}/health`),
        httpReadiness('artifacts', `${upstreams.artifacts}/health`),
      ]),
    ],
  })
  class GatewayModule {}

  const app = await createHttpApp(GatewayModule, {
    ...httpAppOptions(logger, server),
    forwardedRoutes: forwardedRouteMethods(buildOpenApiDocument()),
  });
  await registerRoutes(app.getHttpAdapter().getInstance(), routingTable(upstreams), logger);
  return { app, close: async () => undefined };
}

async function main(): Promise<void> {
  const logger = createLogger('gateway');
  const config = loadGatewayConfig();
  const server = loadServerConfig('gateway', 5000, 'public');
  const { app, close }: { app: NestFastifyApplication; close: () => Promise<void> } =
    config.mode === 'embedded' ? await embedded(logger, server) : await distributed(logger, server, config);
  await serve(app, server, logger, close);
}

runMain(main);
