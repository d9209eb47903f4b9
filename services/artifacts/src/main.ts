import 'reflect-metadata';
import { AccessModule } from '@logbook/access';
import { runServiceProcess } from '@logbook/platform';
import { ArtifactsModule } from './artifacts.module';
import { startArtifactsRuntime } from './artifacts.runtime';
import { loadArtifactsConfig } from './config';

runServiceProcess({
  service: 'artifacts',
  defaultPort: 5002,
  start: (logger) =>
    startArtifactsRuntime(loadArtifactsConfig({ LOGBOOK_MODE: 'distributed', ...process.env }), logger, {
      kind: 'kafka',
    }),
  modules: (runtime, logger, server) => [
    ArtifactsModule.with(runtime, logger),
    AccessModule.forService(server, 'artifacts'),
  ],
});
