import { ARTIFACTS_REGISTRATION_TOPIC } from '@logbook/contracts';
import { EventEnvelope, EventStore } from '@logbook/eventstore';
import { ConsumerDefinition, consumes } from '@logbook/messaging';
import { Queryable, systemActor } from '@logbook/platform';
import { REGISTRY_SCHEMA } from '../../migrations/001_initial';
import { modelVersionStream, modelVersionStreamId } from '../model-versions/model-version.decider';
import { registeredModelStream, registeredModelStreamId } from '../registered-models/registered-model.decider';
import { REGISTRATION_RESULTS, registrationCommand, RegistrationResult } from './registration-outcome';

export const REGISTRATION_RESULTS_CONSUMER = 'registry.registration-results';

/**
 * The artifacts service's verdicts on new versions, applied to their streams in the inbox's transaction.
 * A verdict on a version this registry never created (another deployment sharing the topic) is ignored.
 * `onHandled` hears of each verdict once its transaction committed.
 */
export function registrationResultsConsumer(store: EventStore, onHandled?: () => void): ConsumerDefinition {
  return {
    name: REGISTRATION_RESULTS_CONSUMER,
    onHandled,
    schema: REGISTRY_SCHEMA,
    ...consumes(REGISTRATION_RESULTS),
    async handle(tx: Queryable, envelope: EventEnvelope) {
      const result = envelope as unknown as RegistrationResult;
      const { registeredModelId, version } = result.data;
      const streamId = modelVersionStreamId(registeredModelId, version);
      const { state } = await store.load(modelVersionStream, streamId, tx);
      if (!state.exists) return;
      const { state: model } = await store.load(registeredModelStream, registeredModelStreamId(registeredModelId), tx);
      const metadata = {
        now: Date.now(),
        actor: systemActor('registry'),
        requestId: envelope.correlationId,
        causationId: envelope.eventId,
      };
      await store.handleIn(
        tx,
        modelVersionStream,
        streamId,
        registrationCommand(result, model.name, metadata),
        metadata,
      );
    },
  };
}

export const ARTIFACTS_TOPICS = [ARTIFACTS_REGISTRATION_TOPIC.name];
