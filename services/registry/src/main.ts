import 'reflect-metadata';
import { Module } from '@nestjs/common';
import {
  createHttpApp,
  createLogger,
  httpAppOptions,
  loadServerConfig,
  ObservabilityModule,
  runMain,
  serve,
} from '@logbook/platform';
import { loadRegistryConfig } from './config';
import { RegistryModule } from './registry.module';
import { startRegistryRuntime } from './registry.runtime';

/** The registry service as its own process (distributed shape), behind the gateway. */
async function main(): Promise<void> {
  const logger = createLogger('registry');
  const config = loadRegistryConfig({ LOGBOOK_MODE: 'distributed', ...process.env });
  const server = loadServerConfig('registry', 5003, 'internal');
  const runtime = await startRegistryRuntime(config, logger, { kind: 'kafka' });

  @Module({ imports: [RegistryModule.with(runtime), ObservabilityModule.with(runtime.readinessChecks)] })
  class RegistryServiceModule {}

  const app = await createHttpApp(RegistryServiceModule, httpAppOptions(logger, server));
  await serve(app, server, logger, () => runtime.close());
}

runMain(main);
