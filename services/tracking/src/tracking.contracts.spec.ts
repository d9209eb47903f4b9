import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contractValidators, TRACKING_TOPICS } from '@logbook/contracts';
import { Decider, DomainEvent, fold } from '@logbook/eventstore';
import { CommandMetadata } from '@logbook/platform';
import { ExperimentCommand, experimentDecider } from './experiments/experiment.decider';
import { LoggedModelCommand, loggedModelDecider } from './logged-models/logged-model.decider';
import { ExperimentFact, RunCommand, runDecider } from './runs/run.decider';
import { trackingToContract } from './tracking.contracts';

const metadata: CommandMetadata = {
  now: 1_764_864_000_000,
  actor: { id: 'ada', kind: 'user', name: 'ada', authMethod: 'basic' },
  requestId: 'req-1',
};
const experimentId = '7';
const runId = '0f6c3e1a9b8d4c2e8f7a6b5c4d3e2f10';
const modelId = 'm-4a1b2c3d4e5f60718293a4b5c6d7e8f9';
const experiment: ExperimentFact = { experimentId, found: true, lifecycleStage: 'active' };
const tags = [{ key: 'team', value: 'growth' }];

/** Runs the commands one after another on one stream; every event the decider emitted, in order. */
function play<State, Command, Event extends DomainEvent>(
  decider: Decider<State, Command, Event>,
  commands: Command[],
): Event[] {
  const history: Event[] = [];
  for (const command of commands) history.push(...decider.decide(command, fold(decider, history)));
  return history;
}

type Scripted<C> = C extends { metadata: CommandMetadata } ? Omit<C, 'metadata'> : never;
const withMetadata = <C>(commands: Scripted<C>[]) => commands.map((c) => ({ ...c, metadata }) as C);

const experimentEvents = play(
  experimentDecider,
  withMetadata<ExperimentCommand>([
    {
      type: 'CreateExperiment',
      data: { experimentId, name: 'churn', artifactLocation: 'mlflow-artifacts:/7', tags, nameTaken: false },
    },
    { type: 'RenameExperiment', data: { experimentId, newName: 'churn-2026', nameTaken: false } },
    { type: 'SetExperimentTag', data: { experimentId, key: 'team', value: 'ml' } },
    { type: 'DeleteExperimentTag', data: { experimentId, key: 'team' } },
    { type: 'DeleteExperiment', data: { experimentId } },
    { type: 'RestoreExperiment', data: { experimentId } },
  ]),
);

const runEvents = play(
  runDecider,
  withMetadata<RunCommand>([
    {
      type: 'CreateRun',
      data: {
        runId,
        experiment,
        userId: '',
        generatedName: 'brave-owl-42',
        tags,
        artifactUri: `mlflow-artifacts:/7/${runId}/artifacts`,
      },
    },
    { type: 'UpdateRun', data: { runId, experiment, status: 'FINISHED', endTime: metadata.now, runName: 'calm' } },
    { type: 'UpdateRun', data: { runId, experiment, status: 'RUNNING' } },
    {
      type: 'LogRunData',
      data: {
        runId,
        experiment,
        metrics: [
          { key: 'loss', value: NaN, timestamp: metadata.now, step: 0 },
          {
            key: 'acc',
            value: -Infinity,
            timestamp: metadata.now,
            step: 1,
            modelId,
            datasetName: 'd',
            datasetDigest: 'x',
          },
        ],
        params: [{ key: 'lr', value: '0.01' }],
        tags,
      },
    },
    { type: 'DeleteRunTag', data: { runId, experiment, key: 'team' } },
    {
      type: 'LogRunInputs',
      data: {
        runId,
        experiment,
        datasets: [{ name: 'train', digest: 'a1', sourceType: 'local', source: '{}', schema: '{}', tags: [] }],
        modelIds: [modelId],
      },
    },
    { type: 'LogRunOutputs', data: { runId, experiment, models: [{ modelId, step: 2 }] } },
    { type: 'DeleteRun', data: { runId } },
    { type: 'RestoreRun', data: { runId } },
    { type: 'DeleteRun', data: { runId } },
    { type: 'PurgeRun', data: { runId, experiment } },
  ]),
);

const loggedModelEvents = play(
  loggedModelDecider,
  withMetadata<LoggedModelCommand>([
    {
      type: 'CreateLoggedModel',
      data: {
        modelId,
        experiment: { ...experiment, artifactLocation: 'mlflow-artifacts:/7' },
        generatedName: 'clf',
        params: [],
        tags: [],
      },
    },
    { type: 'LogLoggedModelParams', data: { modelId, params: [{ key: 'depth', value: '6' }] } },
    { type: 'SetLoggedModelTags', data: { modelId, tags } },
    { type: 'DeleteLoggedModelTag', data: { modelId, key: 'team' } },
    { type: 'FinalizeLoggedModel', data: { modelId, status: 'LOGGED_MODEL_READY' } },
    { type: 'DeleteLoggedModel', data: { modelId } },
  ]),
);

describe("tracking's publisher: what the deciders emit leaves as valid contracts", () => {
  const validators = contractValidators(TRACKING_TOPICS.flatMap((topic) => topic.events));
  const emitted: DomainEvent[] = [...experimentEvents, ...runEvents, ...loggedModelEvents];

  it('given a history covering every tracking event type, then each is published as a contract its consumers accept', () => {
    const published = emitted.flatMap((event) => trackingToContract({ ...event, schemaVersion: 1 }));
    const problems = published.flatMap((event) =>
      validators[event.type](event.data, event).map((problem) => `${event.type}: ${problem}`),
    );
    assert.deepEqual(problems, []);
    const contracted = TRACKING_TOPICS.flatMap((topic) => topic.events.map((event) => event.name)).sort();
    assert.deepEqual([...new Set(published.map((event) => event.type))].sort(), contracted);
  });
});
