import 'reflect-metadata';
import { AccessModule } from '@logbook/access';
import { runServiceProcess } from '@logbook/platform';
import { loadTrackingConfig } from './config';
import { TrackingModule } from './tracking.module';
import { startTrackingRuntime } from './tracking.runtime';

runServiceProcess({
  service: 'tracking',
  defaultPort: 5001,
  start: (logger) => startTrackingRuntime(loadTrackingConfig({ LOGBOOK_MODE: 'distributed', ...process.env }), logger),
  modules: (runtime, _logger, server) => [TrackingModule.with(runtime), AccessModule.forService(server, 'tracking')],
});
