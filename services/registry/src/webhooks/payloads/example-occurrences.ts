import { ModelVersionStageTransitionedV1, REGISTRY_TOPICS, TransitionRequestedV1 } from '@logbook/contracts';
import { Actor } from '@logbook/platform';
import { WebhookFlavor } from '../webhook-catalog';
import { MLFLOW_EXAMPLE_DATA } from './mlflow-events';
import { exampleOccurrencesOf, mlflowBody, WebhookOccurrence } from './webhook-occurrences';

const EXAMPLE_ACTOR: Actor = { id: '7', kind: 'user', name: 'alice', authMethod: 'basic' };

const atStage = (stage: 'Staging' | 'Archived') => [
  { type: ModelVersionStageTransitionedV1.name, data: { ...ModelVersionStageTransitionedV1.example, stage } },
  {
    type: TransitionRequestedV1.name,
    data: { ...TransitionRequestedV1.example, target: { kind: 'stage' as const, stage } },
  },
];

/**
 * The events test deliveries are made from: every registry contract's example, and transitions to the
 * other stages, so each per-stage Databricks event has one.
 */
const EXAMPLE_EVENTS: readonly { type: string; data: unknown }[] = [
  ...REGISTRY_TOPICS.flatMap((topic) => topic.events).map((contract) => ({
    type: contract.name,
    data: contract.example,
  })),
  ...atStage('Staging'),
  ...atStage('Archived'),
];

function mlflowExample(eventKey: string, now: number): WebhookOccurrence | null {
  if (!Object.hasOwn(MLFLOW_EXAMPLE_DATA, eventKey)) return null;
  const data = MLFLOW_EXAMPLE_DATA[eventKey];
  const name = (data as { name?: string }).name;
  const text = mlflowBody(eventKey, data, now, null);
  return {
    flavor: 'mlflow',
    eventKey,
    catalogue: 'mlflow',
    occurrenceKey: `mlflow:mlflow:${eventKey}`,
    modelName: name ?? null,
    body: () => text,
  };
}

/**
 * What the test endpoint sends for an event a webhook names: MLflow's own `example()` payload for
 * MLflow's events (so a receiver sees what MLflow's test sends), an example registry event's payload
 * for the others. No Logbook provenance: no event happened.
 */
export function exampleOccurrence(flavor: WebhookFlavor, eventKey: string, now: number): WebhookOccurrence {
  const mlflow = flavor === 'mlflow' ? mlflowExample(eventKey, now) : null;
  if (mlflow) return mlflow;
  for (const { type, data } of EXAMPLE_EVENTS) {
    const occurrences = exampleOccurrencesOf({ type, data, actor: EXAMPLE_ACTOR }, { isPrompt: false }, now);
    const found = occurrences.find((occurrence) => occurrence.flavor === flavor && occurrence.eventKey === eventKey);
    if (found) return found;
  }
  throw new Error(`No ${flavor} webhook event is named ${eventKey}`);
}
