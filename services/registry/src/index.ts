/** The registry service as other code may use it: its module, how to start its runtime, its OpenAPI fragment. */
export { loadRegistryConfig, RegistryConfig } from './config';
export { RegistryModule } from './registry.module';
export { registryOpenApi } from './registry.openapi';
export { openRegistryLog, registryService, startRegistryRuntime, verifyRegistryAudit } from './registry.runtime';
