import {
  ArtifactDeletedV1,
  ArtifactStoredV1,
  contractMapper,
  ModelDescribedV1,
  ModelVersionVerificationFailedV1,
  ModelVersionVerifiedV1,
  publish,
} from '@logbook/contracts';
import { ArtifactEvent } from './artifact.events';
import { RegistrationEvent } from './registrations/registration.events';

/**
 * How the artifacts service's events leave it: each domain event as the contract other services read.
 * The compiler checks each domain shape against its contract; when they part, map the fields here.
 */
export const artifactsToContract = contractMapper<ArtifactEvent | RegistrationEvent>({
  ArtifactStored: (data) => publish(ArtifactStoredV1, data),
  ModelDescribed: (data) => publish(ModelDescribedV1, data),
  ArtifactDeleted: (data) => publish(ArtifactDeletedV1, data),
  // The list of files stays in the artifacts service: the digest stands for it.
  ModelVersionVerified: (data) => publish(ModelVersionVerifiedV1, data),
  ModelVersionVerificationFailed: (data) => publish(ModelVersionVerificationFailedV1, data),
});
