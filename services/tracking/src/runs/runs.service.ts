import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CommandMetadata, Database } from '@logbook/platform';
import { EventStore } from '@logbook/eventstore';
import { Tag } from '../experiments/experiment.events';
import { ExperimentsQueries } from '../experiments/experiments.queries';
import { DEFAULT_EXPERIMENT_ID } from '../experiments/experiments.service';
import { DATABASE, EVENT_STORE } from '../shared/tokens';
import { ExperimentFact, MetricInput, RunCommand, runStream, runStreamId } from './run.decider';
import { DatasetInput, RunStatus } from './run.events';
import { generateRunName } from './run-names';

type CommandData<T extends RunCommand['type']> = Extract<RunCommand, { type: T }>['data'];
type WithoutContext<T extends RunCommand['type']> = Omit<CommandData<T>, 'runId' | 'experiment'>;

@Injectable()
export class RunsService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DATABASE) private readonly db: Database,
    private readonly experiments: ExperimentsQueries,
  ) {}

  async create(
    request: { experimentId?: string; userId?: string; runName?: string; startTime?: number; tags: Tag[] },
    metadata: CommandMetadata,
  ): Promise<string> {
    const experimentId = request.experimentId || DEFAULT_EXPERIMENT_ID;
    const row = await this.experiments.findRow(experimentId);
    const runId = randomUUID().replace(/-/g, '');
    const experiment: ExperimentFact = {
      experimentId,
      found: row !== undefined,
      lifecycleStage: row?.lifecycle_stage ?? 'active',
    };
    await this.execute(runId, {
      type: 'CreateRun',
      data: {
        runId,
        experiment,
        userId: request.userId ?? '',
        runName: request.runName,
        generatedName: generateRunName(),
        startTime: request.startTime,
        tags: request.tags,
        artifactUri: `${row?.artifact_location ?? ''}/${runId}/artifacts`,
      },
      metadata,
    });
    return runId;
  }

  async update(
    runId: string,
    changes: { status?: RunStatus; endTime?: number; runName?: string },
    metadata: CommandMetadata,
  ) {
    await this.withExperiment(runId, 'UpdateRun', changes, metadata);
  }

  async delete(runId: string, metadata: CommandMetadata): Promise<void> {
    await this.execute(runId, { type: 'DeleteRun', data: { runId }, metadata });
  }

  async restore(runId: string, metadata: CommandMetadata): Promise<void> {
    await this.execute(runId, { type: 'RestoreRun', data: { runId }, metadata });
  }

  /** Permanently removes a deleted run (MLflow's `gc`). */
  async purge(runId: string, metadata: CommandMetadata): Promise<void> {
    await this.withExperiment(runId, 'PurgeRun', {}, metadata);
  }

  async logData(
    runId: string,
    data: { metrics: MetricInput[]; params: Tag[]; tags: Tag[] },
    metadata: CommandMetadata,
  ) {
    await this.withExperiment(runId, 'LogRunData', data, metadata);
  }

  async deleteTag(runId: string, key: string, metadata: CommandMetadata): Promise<void> {
    await this.withExperiment(runId, 'DeleteRunTag', { key }, metadata);
  }

  async logInputs(runId: string, datasets: DatasetInput[], modelIds: string[], metadata: CommandMetadata) {
    await this.withExperiment(runId, 'LogRunInputs', { datasets, modelIds }, metadata);
  }

  async logOutputs(runId: string, models: { modelId: string; step: number }[], metadata: CommandMetadata) {
    await this.withExperiment(runId, 'LogRunOutputs', { models }, metadata);
  }

  /** Runs follow their experiment's lifecycle, which lives in another stream: look it up and pass it in. */
  private async withExperiment<
    T extends 'UpdateRun' | 'LogRunData' | 'DeleteRunTag' | 'LogRunInputs' | 'LogRunOutputs' | 'PurgeRun',
  >(runId: string, type: T, data: WithoutContext<T>, metadata: CommandMetadata): Promise<void> {
    const { rows } = await this.db.query<{ experiment_id: string; lifecycle_stage: 'active' | 'deleted' }>(
      `SELECT e.experiment_id::text AS experiment_id, e.lifecycle_stage FROM tracking.runs r
       JOIN tracking.experiments e ON e.experiment_id = r.experiment_id WHERE r.run_id = $1`,
      [runId],
    );
    const experiment: ExperimentFact = rows[0]
      ? { experimentId: rows[0].experiment_id, found: true, lifecycleStage: rows[0].lifecycle_stage }
      : { experimentId: '', found: false, lifecycleStage: 'active' };
    await this.execute(runId, { type, data: { ...data, runId, experiment }, metadata } as RunCommand);
  }

  private async execute(runId: string, command: RunCommand): Promise<void> {
    await this.store.handle(runStream, runStreamId(runId), command, command.metadata);
  }
}
