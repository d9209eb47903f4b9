import { ContractEvent, ModelVersionVerificationFailedV1, ModelVersionVerifiedV1 } from '@logbook/contracts';
import { CommandMetadata } from '@logbook/platform';
import { ModelVersionCommand } from '../model-versions/model-version.decider';

export const REGISTRATION_RESULTS = [ModelVersionVerifiedV1, ModelVersionVerificationFailedV1];
export type RegistrationResult = ContractEvent<(typeof REGISTRATION_RESULTS)[number]>;

/**
 * What the artifacts service's verdict does to the version: READY with the digest and the registry copy's
 * location, or FAILED_REGISTRATION with its message. `name` is the model's name now (it may have been
 * renamed since the version was created); the version's decider applies a verdict once.
 */
export function registrationCommand(
  result: RegistrationResult,
  name: string,
  metadata: CommandMetadata,
): ModelVersionCommand {
  const address = { registeredModelId: result.data.registeredModelId, name, version: result.data.version };
  if (result.type === 'ModelVersionVerified') {
    const { digest, storageLocation } = result.data;
    return { type: 'CompleteRegistration', data: { ...address, digest, storageLocation }, metadata };
  }
  return { type: 'FailRegistration', data: { ...address, message: result.data.message }, metadata };
}
