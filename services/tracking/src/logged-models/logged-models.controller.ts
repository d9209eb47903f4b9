import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { CommandMetadata, Answers, RequestMeta } from '@logbook/platform';
import { ANSWERS } from '../shared/wire-schemas';
import {
  CreateLoggedModelDto,
  FinalizeLoggedModelDto,
  LoggedModelParamsDto,
  LoggedModelTagsDto,
  SearchLoggedModelsDto,
} from './logged-models.dto';
import { LoggedModelsQueries } from './logged-models.queries';
import { LoggedModelsService } from './logged-models.service';

const entries = (list: Array<{ key: string; value?: string }> | undefined) =>
  (list ?? []).map((t) => ({ key: t.key, value: t.value ?? '' }));

/** MLflow 3 logged models, served under the 2.0 prefix the client uses and the 3.0 one the server registers. */
@Controller([
  'api/2.0/mlflow/logged-models',
  'api/3.0/mlflow/logged-models',
  'ajax-api/2.0/mlflow/logged-models',
  'ajax-api/3.0/mlflow/logged-models',
])
export class LoggedModelsController {
  constructor(
    private readonly models: LoggedModelsService,
    private readonly queries: LoggedModelsQueries,
  ) {}

  @Post()
  @HttpCode(200)
  @Answers(ANSWERS.model)
  async create(@Body() dto: CreateLoggedModelDto, @RequestMeta() meta: CommandMetadata) {
    const modelId = await this.models.create(
      {
        experimentId: dto.experiment_id,
        name: dto.name,
        modelType: dto.model_type || undefined,
        sourceRunId: dto.source_run_id || undefined,
        params: entries(dto.params),
        tags: entries(dto.tags),
      },
      meta,
    );
    return { model: await this.queries.get(modelId) };
  }

  @Post('search')
  @HttpCode(200)
  @Answers(ANSWERS.models)
  search(@Body() dto: SearchLoggedModelsDto) {
    return this.queries.search(dto);
  }

  @Get(':modelId')
  @Answers(ANSWERS.model)
  async get(@Param('modelId') modelId: string) {
    return { model: await this.queries.get(modelId) };
  }

  @Patch(':modelId')
  @Answers(ANSWERS.model)
  async finalize(
    @Param('modelId') modelId: string,
    @Body() dto: FinalizeLoggedModelDto,
    @RequestMeta() meta: CommandMetadata,
  ) {
    await this.models.finalize(modelId, dto.status, meta);
    return { model: await this.queries.get(modelId) };
  }

  @Delete(':modelId')
  @Answers(ANSWERS.empty)
  async delete(@Param('modelId') modelId: string, @RequestMeta() meta: CommandMetadata) {
    await this.models.delete(modelId, meta);
    return {};
  }

  @Patch(':modelId/tags')
  @Answers(ANSWERS.empty)
  async setTags(
    @Param('modelId') modelId: string,
    @Body() dto: LoggedModelTagsDto,
    @RequestMeta() meta: CommandMetadata,
  ) {
    await this.models.setTags(modelId, entries(dto.tags), meta);
    return {};
  }

  @Delete(':modelId/tags/:key')
  @Answers(ANSWERS.empty)
  async deleteTag(@Param('modelId') modelId: string, @Param('key') key: string, @RequestMeta() meta: CommandMetadata) {
    await this.models.deleteTag(modelId, key, meta);
    return {};
  }

  @Post(':modelId/params')
  @HttpCode(200)
  @Answers(ANSWERS.empty)
  async logParams(
    @Param('modelId') modelId: string,
    @Body() dto: LoggedModelParamsDto,
    @RequestMeta() meta: CommandMetadata,
  ) {
    await this.models.logParams(modelId, entries(dto.params), meta);
    return {};
  }
}
