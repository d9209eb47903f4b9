import { ArtifactDeletedV1, ArtifactStoredV1, contractMapper, ModelDescribedV1, publish } from '@logbook/contracts';
import { ArtifactEvent } from './artifact.events';

/**
 * How the artifacts service's events leave it: each domain event as the contract other services read.
 * The compiler checks each domain shape against its contract; when they part, map the fields here.
 */
export const artifactsToContract = contractMapper<ArtifactEvent>({
  ArtifactStored: (data) => publish(ArtifactStoredV1, data),
  ModelDescribed: (data) => publish(ModelDescribedV1, data),
  ArtifactDeleted: (data) => publish(ArtifactDeletedV1, data),
});
