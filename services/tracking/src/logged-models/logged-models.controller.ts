import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { Authorize, ReadableBy, ReadableSet, RequestPrincipal } from '@logbook/access';
import { CommandMetadata, Answers, Principal, RequestMeta } from '@logbook/platform';
import { parseLoggedModelFilter } from '@logbook/search';
import { ListingAccess, RUN_TIER, TrackingRules } from '../shared/access';
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
    private readonly listings: ListingAccess,
  ) {}

  @Post()
  @HttpCode(200)
  @Authorize(...TrackingRules.createLoggedModel())
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
  @Authorize(...TrackingRules.listLoggedModels())
  @Answers(ANSWERS.models)
  async search(
    @Body() dto: SearchLoggedModelsDto,
    @ReadableBy('experiment') readable: ReadableSet,
    @RequestPrincipal() principal: Principal | null,
  ) {
    // A filter on the source run reads runs too: a caller denied the run tier finds none (MLflow refuses).
    const tiers = filtersOnSourceRun(dto.filter) ? [RUN_TIER] : [];
    return this.queries.search(dto, await this.listings.experimentsThrough(principal, readable, ...tiers));
  }

  @Get(':modelId')
  @Authorize(...TrackingRules.loggedModel('read'))
  @Answers(ANSWERS.model)
  async get(@Param('modelId') modelId: string) {
    return { model: await this.queries.get(modelId) };
  }

  @Patch(':modelId')
  @Authorize(...TrackingRules.loggedModel('update'))
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
  @Authorize(...TrackingRules.loggedModel('delete'))
  @Answers(ANSWERS.empty)
  async delete(@Param('modelId') modelId: string, @RequestMeta() meta: CommandMetadata) {
    await this.models.delete(modelId, meta);
    return {};
  }

  @Patch(':modelId/tags')
  @Authorize(...TrackingRules.loggedModel('update'))
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
  @Authorize(...TrackingRules.loggedModel('delete'))
  @Answers(ANSWERS.empty)
  async deleteTag(@Param('modelId') modelId: string, @Param('key') key: string, @RequestMeta() meta: CommandMetadata) {
    await this.models.deleteTag(modelId, key, meta);
    return {};
  }

  @Post(':modelId/params')
  @HttpCode(200)
  @Authorize(...TrackingRules.loggedModel('update'))
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

/** Whether a search's filter selects models by their source run (or cannot be read, which the search refuses). */
function filtersOnSourceRun(filter: string | undefined): boolean {
  if (!filter) return false;
  try {
    return parseLoggedModelFilter(filter).some(
      (clause) => clause.kind === 'attribute' && clause.key === 'source_run_id',
    );
  } catch {
    return true;
  }
}
