import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CommandMetadata } from '@logbook/platform';
import { EventStore } from '@logbook/eventstore';
import { Tag } from '../experiments/experiment.events';
import { ExperimentsQueries } from '../experiments/experiments.queries';
import { generateRunName } from '../runs/run-names';
import { EVENT_STORE } from '../shared/tokens';
import { LoggedModelCommand, loggedModelStream, loggedModelStreamId } from './logged-model.decider';

@Injectable()
export class LoggedModelsService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly experiments: ExperimentsQueries,
  ) {}

  async create(
    request: {
      experimentId: string;
      name?: string;
      modelType?: string;
      sourceRunId?: string;
      params: Tag[];
      tags: Tag[];
    },
    metadata: CommandMetadata,
  ): Promise<string> {
    const row = await this.experiments.findRow(request.experimentId);
    const modelId = `m-${randomUUID().replace(/-/g, '')}`;
    await this.execute(modelId, {
      type: 'CreateLoggedModel',
      data: {
        modelId,
        experiment: {
          experimentId: request.experimentId,
          found: row !== undefined,
          lifecycleStage: row?.lifecycle_stage ?? 'active',
          artifactLocation: row?.artifact_location ?? '',
        },
        name: request.name,
        generatedName: generateRunName(),
        modelType: request.modelType,
        sourceRunId: request.sourceRunId,
        params: request.params,
        tags: request.tags,
      },
      metadata,
    });
    return modelId;
  }

  finalize(modelId: string, status: string, metadata: CommandMetadata) {
    return this.execute(modelId, { type: 'FinalizeLoggedModel', data: { modelId, status }, metadata });
  }

  delete(modelId: string, metadata: CommandMetadata) {
    return this.execute(modelId, { type: 'DeleteLoggedModel', data: { modelId }, metadata });
  }

  setTags(modelId: string, tags: Tag[], metadata: CommandMetadata) {
    return this.execute(modelId, { type: 'SetLoggedModelTags', data: { modelId, tags }, metadata });
  }

  deleteTag(modelId: string, key: string, metadata: CommandMetadata) {
    return this.execute(modelId, { type: 'DeleteLoggedModelTag', data: { modelId, key }, metadata });
  }

  logParams(modelId: string, params: Tag[], metadata: CommandMetadata) {
    return this.execute(modelId, { type: 'LogLoggedModelParams', data: { modelId, params }, metadata });
  }

  private async execute(modelId: string, command: LoggedModelCommand): Promise<void> {
    await this.store.handle(loggedModelStream, loggedModelStreamId(modelId), command, command.metadata);
  }
}
