import 'reflect-metadata';
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
  module: (runtime, logger) => ArtifactsModule.with(runtime, logger),
});
