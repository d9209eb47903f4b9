import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { CommandMetadata, Answers, RequestMeta } from '@logbook/platform';
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
  ) {}

  @Post('create')
  @HttpCode(200)
  @Answers(ANSWERS.experimentId)
  async create(@Body() dto: CreateExperimentDto, @RequestMeta() meta: CommandMetadata) {
    const tags = (dto.tags ?? []).map((t) => ({ key: t.key, value: t.value ?? '' }));
    return { experiment_id: await this.experiments.create(dto.name, dto.artifact_location, tags, meta) };
  }

  @Get('get')
  @Answers(ANSWERS.experiment)
  async get(@Query() dto: ExperimentIdDto) {
    return { experiment: await this.queries.get(dto.experiment_id) };
  }

  @Get('get-by-name')
  @Answers(ANSWERS.experiment)
  async getByName(@Query() dto: GetExperimentByNameDto) {
    return { experiment: await this.queries.getByName(dto.experiment_name) };
  }

  @Post('search')
  @HttpCode(200)
  @Answers(ANSWERS.experiments)
  search(@Body() dto: SearchExperimentsDto) {
    return this.queries.search(dto);
  }

  @Get('search')
  @Answers(ANSWERS.experiments)
  searchByQuery(@Query() dto: SearchExperimentsDto) {
    return this.queries.search(dto);
  }

  @Post('delete')
  @HttpCode(200)
  @Answers(ANSWERS.empty)
  async delete(@Body() dto: ExperimentIdDto, @RequestMeta() meta: CommandMetadata) {
    await this.experiments.delete(dto.experiment_id, meta);
    return {};
  }

  @Post('restore')
  @HttpCode(200)
  @Answers(ANSWERS.empty)
  async restore(@Body() dto: ExperimentIdDto, @RequestMeta() meta: CommandMetadata) {
    await this.experiments.restore(dto.experiment_id, meta);
    return {};
  }

  @Post('update')
  @HttpCode(200)
  @Answers(ANSWERS.empty)
  async update(@Body() dto: UpdateExperimentDto, @RequestMeta() meta: CommandMetadata) {
    await this.experiments.rename(dto.experiment_id, dto.new_name, meta);
    return {};
  }

  @Post('set-experiment-tag')
  @HttpCode(200)
  @Answers(ANSWERS.empty)
  async setTag(@Body() dto: SetExperimentTagDto, @RequestMeta() meta: CommandMetadata) {
    await this.experiments.setTag(dto.experiment_id, dto.key, dto.value ?? '', meta);
    return {};
  }

  @Post('delete-experiment-tag')
  @HttpCode(200)
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

  @Post('search-datasets')
  @HttpCode(200)
  @Answers(ANSWERS.datasetSummaries)
  searchDatasets(@Body() dto: SearchDatasetsDto) {
    return this.queries.searchDatasets(dto.experiment_ids ?? []);
  }
}
