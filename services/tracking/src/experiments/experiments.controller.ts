import { Body, Controller, Get, HttpCode, Optional, Post, Query } from '@nestjs/common';
import { AccessDecisions, Authorize, ReadableBy, ReadableSet, RequestPrincipal } from '@logbook/access';
import { CommandMetadata, Answers, Principal, RequestMeta } from '@logbook/platform';
import { TrackingRules } from '../shared/access';
import { mlflowRoutes } from '../shared/routes';
import { ANSWERS } from '../shared/wire-schemas';
import {
  CreateExperimentDto,
  DeleteExperimentTagDto,
  ExperimentIdDto,
  GetExperimentByNameDto,
  SearchDatasetsDto,
  SearchExperimentsDto,
  SetExperimentTagDto,
  UpdateExperimentDto,
} from './experiments.dto';
import { ExperimentsQueries } from './experiments.queries';
import { ExperimentsService } from './experiments.service';

@Controller(mlflowRoutes('experiments'))
export class ExperimentsController {
  constructor(
    private readonly experiments: ExperimentsService,
    private readonly queries: ExperimentsQueries,
    /** Absent when the module runs without authorization (a spec of the service alone). */
    @Optional() private readonly decisions?: AccessDecisions,
  ) {}

  /** The creator gets MANAGE on the new experiment before the answer (MLflow's set_can_manage_experiment_permission). */
  @Post('create')
  @HttpCode(200)
  @Authorize(...TrackingRules.createExperiment())
  @Answers(ANSWERS.experimentId)
  async create(
    @Body() dto: CreateExperimentDto,
    @RequestMeta() meta: CommandMetadata,
    @RequestPrincipal() principal: Principal | null,
  ) {
    const tags = (dto.tags ?? []).map((t) => ({ key: t.key, value: t.value ?? '' }));
    const experimentId = await this.experiments.create(dto.name, dto.artifact_location, tags, meta);
    if (principal && this.decisions) await this.decisions.grantCreator(principal, 'experiment', experimentId);
    return { experiment_id: experimentId };
  }

  @Get('get')
  @Authorize(...TrackingRules.readExperiment())
  @Answers(ANSWERS.experiment)
  async get(@Query() dto: ExperimentIdDto) {
    return { experiment: await this.queries.get(dto.experiment_id) };
  }

  @Get('get-by-name')
  @Authorize(...TrackingRules.readExperimentByName())
  @Answers(ANSWERS.experiment)
  async getByName(@Query() dto: GetExperimentByNameDto) {
    return { experiment: await this.queries.getByName(dto.experiment_name) };
  }

  /** Only the experiments the caller may read, filtered before paging (MLflow's filter_search_experiments). */
  @Post('search')
  @HttpCode(200)
  @Authorize(...TrackingRules.listExperiments())
  @Answers(ANSWERS.experiments)
  search(@Body() dto: SearchExperimentsDto, @ReadableBy('experiment') readable: ReadableSet) {
    return this.queries.search(dto, readable);
  }

  @Get('search')
  @Authorize(...TrackingRules.listExperiments())
  @Answers(ANSWERS.experiments)
  searchByQuery(@Query() dto: SearchExperimentsDto, @ReadableBy('experiment') readable: ReadableSet) {
    return this.queries.search(dto, readable);
  }

  @Post('delete')
  @HttpCode(200)
  @Authorize(...TrackingRules.deleteExperiment())
  @Answers(ANSWERS.empty)
  async delete(@Body() dto: ExperimentIdDto, @RequestMeta() meta: CommandMetadata) {
    await this.experiments.delete(dto.experiment_id, meta);
    return {};
  }

  @Post('restore')
  @HttpCode(200)
  @Authorize(...TrackingRules.deleteExperiment())
  @Answers(ANSWERS.empty)
  async restore(@Body() dto: ExperimentIdDto, @RequestMeta() meta: CommandMetadata) {
    await this.experiments.restore(dto.experiment_id, meta);
    return {};
  }

  @Post('update')
  @HttpCode(200)
  @Authorize(...TrackingRules.updateExperiment())
  @Answers(ANSWERS.empty)
  async update(@Body() dto: UpdateExperimentDto, @RequestMeta() meta: CommandMetadata) {
    await this.experiments.rename(dto.experiment_id, dto.new_name, meta);
    return {};
  }

  @Post('set-experiment-tag')
  @HttpCode(200)
  @Authorize(...TrackingRules.updateExperiment())
  @Answers(ANSWERS.empty)
  async setTag(@Body() dto: SetExperimentTagDto, @RequestMeta() meta: CommandMetadata) {
    await this.experiments.setTag(dto.experiment_id, dto.key, dto.value ?? '', meta);
    return {};
  }

  @Post('delete-experiment-tag')
  @HttpCode(200)
  @Authorize(...TrackingRules.updateExperiment())
  @Answers(ANSWERS.empty)
  async deleteTag(@Body() dto: DeleteExperimentTagDto, @RequestMeta() meta: CommandMetadata) {
    await this.experiments.deleteTag(dto.experiment_id, dto.key, meta);
    return {};
  }
}

/** The datasets of experiments, which MLflow serves to its UI only, under the ajax prefix. */
@Controller('ajax-api/2.0/mlflow/experiments')
export class ExperimentDatasetsController {
  constructor(private readonly queries: ExperimentsQueries) {}

  /** MLflow refuses the whole request unless the caller may read every experiment it names. */
  @Post('search-datasets')
  @HttpCode(200)
  @Authorize(...TrackingRules.readEveryExperiment())
  @Answers(ANSWERS.datasetSummaries)
  searchDatasets(@Body() dto: SearchDatasetsDto) {
    return this.queries.searchDatasets(dto.experiment_ids ?? []);
  }
}
