/** The artifacts service as other code may use it: its module, how to start its runtime, its OpenAPI fragment. */
export { ArtifactsModule } from './artifacts.module';
export { artifactsOpenApi } from './artifacts.openapi';
export { artifactsService, startArtifactsRuntime } from './artifacts.runtime';
export { ArtifactsConfig, loadArtifactsConfig } from './config';
