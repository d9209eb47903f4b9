import {
  ContractEvent,
  ModelVersionCreatedV1,
  REGISTRY_MODEL_VERSION_TOPIC,
  REGISTRY_REGISTERED_MODEL_TOPIC,
  RegisteredModelRenamedV1,
} from '@logbook/contracts';
import { EventEnvelope } from '@logbook/eventstore';
import { ConsumerDefinition, consumes } from '@logbook/messaging';
import { Queryable } from '@logbook/platform';
import { ARTIFACTS_SCHEMA } from '../../migrations/001_initial';

const HANDLED = [ModelVersionCreatedV1, RegisteredModelRenamedV1];
type RegistryEvent = ContractEvent<(typeof HANDLED)[number]>;

/** A prompt version holds its template in a tag: there are no files to verify, and the registry marks it READY itself. */
const PROMPT_TAG = 'mlflow.prompt.is_prompt';

/**
 * The registered model's name as of `time`, kept only if no later one is known: a rename and a version
 * created before it come on different topics, in either order.
 */
async function learnName(tx: Queryable, registeredModelId: string, name: string, time: number): Promise<void> {
  await tx.query(
    `INSERT INTO artifacts.registered_model_names (registered_model_id, name, named_at) VALUES ($1, $2, $3)
     ON CONFLICT (registered_model_id) DO UPDATE SET name = excluded.name, named_at = excluded.named_at
     WHERE excluded.named_at >= artifacts.registered_model_names.named_at`,
    [registeredModelId, name, time],
  );
}

async function handle(tx: Queryable, envelope: EventEnvelope): Promise<void> {
  const event = envelope as unknown as RegistryEvent;
  if (event.type === 'RegisteredModelRenamed') {
    return learnName(tx, event.data.registeredModelId, event.data.name, event.data.time);
  }
  if (event.type !== 'ModelVersionCreated') return;
  const { registeredModelId, name, version, source, tags, time } = event.data;
  if (tags.some((tag) => tag.key === PROMPT_TAG && tag.value.toLowerCase() === 'true')) return;
  await learnName(tx, registeredModelId, name, time);
  await tx.query(
    `INSERT INTO artifacts.registrations
       (registered_model_id, version, name, source, requested_at, cause_event_id, correlation_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (registered_model_id, version) DO NOTHING`,
    [registeredModelId, version, name, source, time, envelope.eventId, envelope.correlationId],
  );
}

export const REGISTRY_EVENTS_CONSUMER = 'artifacts.registry-events';

/**
 * The registry's new model versions, queued for verification in the inbox's transaction; the copier
 * (told through `onHandled`) copies them outside any transaction, since a model may take minutes. And
 * each registered model's current name, which reads of its copies are authorized on.
 */
export function registryEventsConsumer(onHandled: ConsumerDefinition['onHandled']): ConsumerDefinition {
  return {
    name: REGISTRY_EVENTS_CONSUMER,
    schema: ARTIFACTS_SCHEMA,
    handle,
    ...consumes(HANDLED),
    onHandled,
  };
}

export const REGISTRY_TOPICS = [REGISTRY_MODEL_VERSION_TOPIC.name, REGISTRY_REGISTERED_MODEL_TOPIC.name];
