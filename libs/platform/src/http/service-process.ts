import { DynamicModule, Module } from '@nestjs/common';
import { createLogger, Logger } from '../logger';
import { ObservabilityModule, ReadinessCheck } from '../observability.module';
import { createHttpApp, httpAppOptions } from './app';
import { runMain, serve } from './serve';
import { loadServerConfig, ServerConfig } from './server-config';

export interface RunningService {
  readinessChecks: ReadinessCheck[];
  close(): Promise<void>;
}

/** A service run as its own process behind the gateway (the distributed shape). */
export interface ServiceProcess<Runtime extends RunningService> {
  service: string;
  defaultPort: number;
  /** Validates the service's configuration and starts what it runs on. */
  start(logger: Logger): Promise<Runtime>;
  /** The service's modules; `server` says whether requests are authenticated, and where grants are read. */
  modules(runtime: Runtime, logger: Logger, server: ServerConfig): DynamicModule[];
}

/** Starts the service, serves its API with health and metrics, and closes both in order on a signal. */
export function runServiceProcess<Runtime extends RunningService>(service: ServiceProcess<Runtime>): void {
  runMain(async () => {
    const logger = createLogger(service.service);
    const server = loadServerConfig(service.service, service.defaultPort, 'internal', {
      LOGBOOK_MODE: 'distributed',
      ...process.env,
    });
    const runtime = await service.start(logger);

    @Module({
      imports: [...service.modules(runtime, logger, server), ObservabilityModule.with(runtime.readinessChecks)],
    })
    class ServiceProcessModule {}

    const app = await createHttpApp(ServiceProcessModule, httpAppOptions(logger, server));
    await serve(app, server, logger, () => runtime.close());
  });
}
