import 'reflect-metadata';
import { setFlagsFromString } from 'node:v8';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AccessModule } from '@logbook/access';
import {
  createHttpApp,
  httpAppOptions,
  runMain,
  serve,
  loadServerConfig,
  ServerConfig,
  createLogger,
  Logger,
  ObservabilityModule,
} from '@logbook/platform';
import { artifactsOpenApi } from '../../artifacts/src/index';
import { registryOpenApi } from '../../registry/src/index';
import { trackingOpenApi } from '../../tracking/src/index';
import { ApiInfoModule } from './api-info.module';
import { Authentication, startAuthentication } from './authentication/authentication';
import { GatewayConfig, loadGatewayConfig } from './config';
import { embeddedConfigs, startEmbeddedServices } from './embedded-services';
import { GrpcEndpoint, startGrpcEndpoint } from './grpc/grpc-endpoint';
import { registerGraphqlRoute } from './graphql/graphql.route';
import { graphqlOpenApi } from './graphql/graphql.openapi';
import { buildOpenApiDocument } from './openapi.document';
import { forwardedRouteMethods, registerRoutes, routingTable } from './routing';
import { upstreamPools } from './upstream-pool';
import { locateUiBuild } from './web-ui/ui-build';
import { registerWebUi } from './web-ui/ui.routes';

/** The routes the services answer (the distributed gateway forwards them). */
const serviceFragments = () => [trackingOpenApi(), artifactsOpenApi(), registryOpenApi()];

/** The API as one OpenAPI document: every service's fragment and the gateway's own routes, merged. */
const apiDocument = (authentication: Authentication) =>
  buildOpenApiDocument([...serviceFragments(), ...authentication.openApi, graphqlOpenApi()]);

/**
 * V8 lets the old generation grow up to four times what survived the last full collection before collecting
 * again: under ingestion the embedded process's heap doubled (70 to 150 MB) between collections, a sixth of its
 * memory. Growing it by half instead cost no CPU beyond the spread of rounds (docs/benchmarks.md, "Issue 15:
 * embedded memory"). V8 reads the factor at every collection, so setting it here takes effect; one given on the
 * command line stays.
 */
function limitHeapGrowth(): void {
  if (!process.execArgv.some((flag) => /^--heap[-_]growing[-_]percent\b/.test(flag)))
    setFlagsFromString('--heap-growing-percent=50');
}

/** The embedded shape: every service module in this one process, on an embedded Postgres. */
async function embedded(logger: Logger, server: ServerConfig, config: GatewayConfig) {
  limitHeapGrowth();
  const services = await startEmbeddedServices(embeddedConfigs(), logger);
  const authentication = await startAuthentication(server, config.oidc, logger, services.tracking.db);

  @Module({
    imports: [
      ...services.modules,
      ...authentication.modules,
      AccessModule.with(),
      ApiInfoModule.with(apiDocument(authentication)),
      ObservabilityModule.with(services.readinessChecks),
    ],
  })
  class EmbeddedModule {}

  const app = await createHttpApp(EmbeddedModule, httpAppOptions(logger, server));
  authentication.install(app);
  await registerGraphqlRoute(app.getHttpAdapter().getInstance(), config.graphqlLimits, logger);
  return {
    app,
    close: async () => {
      await authentication.close();
      await services.close();
    },
  };
}

/** The distributed shape: the gateway forwards MLflow paths to the services that own them. */
async function distributed(logger: Logger, server: ServerConfig, config: GatewayConfig) {
  const upstreams = upstreamPools(
    config.upstreams as NonNullable<GatewayConfig['upstreams']>,
    config.upstreamProbe,
    logger,
  );
  const pools = Object.values(upstreams);
  for (const upstream of pools) upstream.start();
  const authentication = await startAuthentication(server, config.oidc, logger);

  @Module({
    imports: [
      ...authentication.modules,
      AccessModule.with(),
      ApiInfoModule.with(apiDocument(authentication)),
      ObservabilityModule.with([...pools.map((upstream) => upstream.readiness()), ...authentication.readinessChecks]),
    ],
  })
  class GatewayModule {}

  const app = await createHttpApp(GatewayModule, {
    ...httpAppOptions(logger, server),
    // The gateway's own identity routes sit under the prefixes it forwards: a method they do not take is
    // answered 405 here like a forwarded path's, instead of going on to the tracking service's 404.
    forwardedRoutes: forwardedRouteMethods(buildOpenApiDocument([...serviceFragments(), ...authentication.openApi])),
  });
  authentication.install(app);
  await registerRoutes(app.getHttpAdapter().getInstance(), routingTable(upstreams, server.auth.gatewayKey), logger);
  await registerGraphqlRoute(app.getHttpAdapter().getInstance(), config.graphqlLimits, logger);
  return {
    app,
    close: async () => {
      for (const upstream of pools) upstream.stop();
      await authentication.close();
    },
  };
}

async function main(): Promise<void> {
  const logger = createLogger('gateway');
  const config = loadGatewayConfig();
  const server = loadServerConfig('gateway', 5000, 'public');
  if (config.grpc?.port === server.port) {
    throw new Error(
      `gateway: invalid configuration: GRPC_PORT and PORT are both ${server.port}; give each its own port`,
    );
  }
  const uiBuild = await locateUiBuild(config.ui, logger);
  const { app, close }: { app: NestFastifyApplication; close: () => Promise<void> } =
    config.mode === 'embedded' ? await embedded(logger, server, config) : await distributed(logger, server, config);
  registerWebUi(app.getHttpAdapter().getInstance(), uiBuild);
  let grpc: GrpcEndpoint | undefined;
  await serve(app, server, logger, close, async () => grpc?.drain());
  if (config.grpc) {
    grpc = await startGrpcEndpoint(
      app.getHttpAdapter().getInstance(),
      {
        host: server.host,
        port: config.grpc.port,
        maxMessageBytes: server.bodyLimitBytes,
        drainTimeoutMs: config.grpc.drainTimeoutMs,
      },
      logger,
    );
  }
}

runMain(main);
