import { DynamicModule } from '@nestjs/common';
import { Logger, ReadinessCheck } from '@logbook/platform';
import {
  ArtifactsConfig,
  ArtifactsModule,
  loadArtifactsConfig,
  startArtifactsRuntime,
} from '../../artifacts/src/index';
import {
  loadRegistryConfig,
  openRegistryLog,
  RegistryConfig,
  RegistryModule,
  startRegistryRuntime,
} from '../../registry/src/index';
import { loadTrackingConfig, startTrackingRuntime, TrackingConfig, TrackingModule } from '../../tracking/src/index';

export interface EmbeddedConfigs {
  tracking: TrackingConfig;
  artifacts: ArtifactsConfig;
  registry: RegistryConfig;
}

export const embeddedConfigs = (): EmbeddedConfigs => ({
  tracking: loadTrackingConfig(),
  artifacts: loadArtifactsConfig(),
  registry: loadRegistryConfig(),
});

/** Every runtime checks the one database: it is reported once. */
const oncePerName = (checks: ReadinessCheck[]) =>
  checks.filter((check, index) => checks.findIndex((other) => other.name === check.name) === index);

/**
 * Every service in one process on tracking's database, each consuming the others' logs in-process
 * instead of through Kafka: the embedded shape, and the API specs that want the services wired as it.
 */
export async function startEmbeddedServices(configs: EmbeddedConfigs, logger: Logger) {
  const tracking = await startTrackingRuntime(configs.tracking, logger);
  // The artifacts service verifies the registry's new versions and the registry applies its verdicts:
  // the registry's log exists (migrated) before either starts consuming the other.
  const registryLog = await openRegistryLog(configs.registry, logger, tracking.db);
  const artifacts = await startArtifactsRuntime(
    configs.artifacts,
    logger,
    { kind: 'in-process', trackingStore: tracking.store, toContract: tracking.toContract, registry: registryLog },
    tracking.db,
  );
  const registry = await startRegistryRuntime(
    configs.registry,
    logger,
    {
      kind: 'in-process',
      tracking: { store: tracking.store, toContract: tracking.toContract },
      artifacts: { store: artifacts.store, toContract: artifacts.toContract },
    },
    tracking.db,
  );
  registry.store.onAppended(() => artifacts.registryAppended());
  const modules: DynamicModule[] = [
    TrackingModule.with(tracking),
    ArtifactsModule.with(artifacts, logger),
    RegistryModule.with(registry),
  ];
  return {
    tracking,
    artifacts,
    registry,
    modules,
    readinessChecks: oncePerName([
      ...tracking.readinessChecks,
      ...artifacts.readinessChecks,
      ...registry.readinessChecks,
    ]),
    close: async () => {
      await registry.close();
      await artifacts.close();
      await tracking.close();
    },
  };
}
