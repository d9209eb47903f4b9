import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  createHttpApp,
  httpAppOptions,
  runMain,
  serve,
  loadServerConfig,
  ServerConfig,
  createLogger,
  Logger,
  ReadinessCheck,
  httpReadiness,
  ObservabilityModule,
} from '@logbook/platform';
import { loadTrackingConfig, startTrackingRuntime, TrackingModule, trackingOpenApi } from '../../tracking/src/index';
import {
  ArtifactsModule,
  artifactsOpenApi,
  loadArtifactsConfig,
  startArtifactsRuntime,
} from '../../artifacts/src/index';
import {
  loadRegistryConfig,
  openRegistryLog,
  RegistryModule,
  registryOpenApi,
  startRegistryRuntime,
} from '../../registry/src/index';
import { ApiInfoModule } from './api-info.module';
import { GatewayConfig, loadGatewayConfig } from './config';
import { buildOpenApiDocument } from './openapi.document';
import { forwardedRouteMethods, registerRoutes, routingTable } from './routing';

/** The API as one OpenAPI document: every service's fragment, merged. */
const apiDocument = () => buildOpenApiDocument([trackingOpenApi(), artifactsOpenApi(), registryOpenApi()]);

/** Both runtimes check the one embedded database: it is reported once. */
const oncePerName = (checks: ReadinessCheck[]) =>
  checks.filter((check, index) => checks.findIndex((other) => other.name === check.name) === index);

/** The embedded shape: every service module in this one process, on an embedded Postgres. */
async function embedded(logger: Logger, server: ServerConfig) {
  const tracking = await startTrackingRuntime(loadTrackingConfig(), logger);
  const registryConfig = loadRegistryConfig();
  // The artifacts service verifies the registry's new versions and the registry applies its verdicts:
  // the registry's log exists (migrated) before either starts consuming the other.
  const registryLog = await openRegistryLog(registryConfig, logger, tracking.db);
  const artifacts = await startArtifactsRuntime(
    loadArtifactsConfig(),
    logger,
    { kind: 'in-process', trackingStore: tracking.store, toContract: tracking.toContract, registry: registryLog },
    tracking.db,
  );
  const registry = await startRegistryRuntime(
    registryConfig,
    logger,
    {
      kind: 'in-process',
      tracking: { store: tracking.store, toContract: tracking.toContract },
      artifacts: { store: artifacts.store, toContract: artifacts.toContract },
    },
    tracking.db,
  );
  registry.store.onAppended(() => artifacts.registryAppended());

  @Module({
    imports: [
      TrackingModule.with(tracking),
      ArtifactsModule.with(artifacts, logger),
      RegistryModule.with(registry),
      ApiInfoModule.with(apiDocument()),
      ObservabilityModule.with(
        oncePerName([...tracking.readinessChecks, ...artifacts.readinessChecks, ...registry.readinessChecks]),
      ),
    ],
  })
  class EmbeddedModule {}

  const app = await createHttpApp(EmbeddedModule, httpAppOptions(logger, server));
  return {
    app,
    close: async () => {
      await registry.close();
      await artifacts.close();
      await tracking.close();
    },
  };
}

/** The distributed shape: the gateway forwards MLflow paths to the services that own them. */
async function distributed(logger: Logger, server: ServerConfig, config: GatewayConfig) {
  const upstreams = {
    tracking: config.trackingUrl as string,
    artifacts: config.artifactsUrl as string,
    registry: config.registryUrl as string,
  };
  const document = apiDocument();

  @Module({
    imports: [
      ApiInfoModule.with(document),
      ObservabilityModule.with([
        httpReadiness('tracking', `${upstreams.tracking}/health`),
        httpReadiness('artifacts', `${upstreams.artifacts}/health`),
        httpReadiness('registry', `${upstreams.registry}/health`),
      ]),
    ],
  })
  class GatewayModule {}

  const app = await createHttpApp(GatewayModule, {
    ...httpAppOptions(logger, server),
    forwardedRoutes: forwardedRouteMethods(document),
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
