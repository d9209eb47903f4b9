/** The artifacts service as other code may use it: its routes, how to start its runtime, its OpenAPI fragment. */
export { artifactsOpenApi } from './artifacts.openapi';
export { registerArtifactRoutes } from './artifacts.routes';
export { startArtifactsRuntime } from './artifacts.runtime';
export { loadArtifactsConfig } from './config';
// The gateway's transfer hand-over uses these until the hand-over protocol and its meter move to a lib of their own.
export { OFFLOADABLE_PREFIXES, SERVER_INFO_ROUTES } from './artifacts.routes';
export { ObjectMeter } from './storage/object-meter';
