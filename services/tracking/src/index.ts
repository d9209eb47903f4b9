/** The tracking service as other code may use it: its module, how to start its runtime, its OpenAPI fragment. */
export { loadTrackingConfig, TrackingConfig } from './config';
export { TrackingModule } from './tracking.module';
export { trackingOpenApi } from './tracking.openapi';
export { startTrackingRuntime, trackingService } from './tracking.runtime';
