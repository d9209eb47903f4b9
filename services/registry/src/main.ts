import 'reflect-metadata';
import { AccessModule } from '@logbook/access';
import { runServiceProcess } from '@logbook/platform';
import { loadRegistryConfig } from './config';
import { RegistryModule } from './registry.module';
import { startRegistryRuntime } from './registry.runtime';

runServiceProcess({
  service: 'registry',
  defaultPort: 5003,
  start: (logger) =>
    startRegistryRuntime(loadRegistryConfig({ LOGBOOK_MODE: 'distributed', ...process.env }), logger, {
      kind: 'kafka',
    }),
  modules: (runtime, _logger, server) => [RegistryModule.with(runtime), AccessModule.forService(server, 'registry')],
});
