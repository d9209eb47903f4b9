import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { Authorize, ReadableBy, ReadableSet, RequestPrincipal } from '@logbook/access';
import { CommandMetadata, Answers, Principal, RequestMeta } from '@logbook/platform';
import { ListingAccess, RunExperimentLookup, TrackingRules } from '../shared/access';
import { mlflowRoutes } from '../shared/routes';
import { ANSWERS } from '../shared/wire-schemas';
import {
  CreateRunDto,
  DeleteTagDto,
  LogBatchDto,
  LogInputsDto,
  LogMetricDto,
  LogOutputsDto,
  LogParamDto,
  MetricDto,
  RunRefDto,
  SearchRunsDto,
  SetTagDto,
  UpdateRunDto,
} from './runs.dto';
import { MetricInput } from './run.decider';
import { RunsQueries } from './runs.queries';
import { RunsService } from './runs.service';

const tags = (list: Array<{ key: string; value?: string }> | undefined) =>
  (list ?? []).map((t) => ({ key: t.key, value: t.value ?? '' }));

const metricInput = (m: MetricDto): MetricInput => ({
  key: m.key,
  value: m.value,
  timestamp: m.timestamp,
  step: m.step ?? 0,
  ...(m.model_id ? { modelId: m.model_id } : {}),
  ...(m.dataset_name ? { datasetName: m.dataset_name } : {}),
  ...(m.dataset_digest ? { datasetDigest: m.dataset_digest } : {}),
});

@Controller(mlflowRoutes('runs'))
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    private readonly queries: RunsQueries,
    private readonly runExperiments: RunExperimentLookup,
    private readonly listings: ListingAccess,
  ) {}

  @Post('create')
  @HttpCode(200)
  @Authorize(...TrackingRules.createRun())
  @Answers(ANSWERS.run)
  async create(@Body() dto: CreateRunDto, @RequestMeta() meta: CommandMetadata) {
    const runId = await this.runs.create(
      {
        experimentId: dto.experiment_id,
        userId: dto.user_id,
        runName: dto.run_name,
        startTime: dto.start_time,
        tags: tags(dto.tags),
      },
      meta,
    );
    const run = await this.queries.get(runId);
    // Its first log-batch finds its experiment without reading it.
    this.runExperiments.remember(runId, run.info.experiment_id);
    return { run };
  }

  @Get('get')
  @Authorize(...TrackingRules.run('read'))
  @Answers(ANSWERS.run)
  async get(@Query() dto: RunRefDto) {
    return { run: await this.queries.get(dto.runId) };
  }

  @Post('update')
  @HttpCode(200)
  @Authorize(...TrackingRules.run('update'))
  @Answers(ANSWERS.runInfo)
  async update(@Body() dto: UpdateRunDto, @RequestMeta() meta: CommandMetadata) {
    await this.runs.update(dto.runId, { status: dto.status, endTime: dto.end_time, runName: dto.run_name }, meta);
    return { run_info: (await this.queries.get(dto.runId)).info };
  }

  @Post('delete')
  @HttpCode(200)
  @Authorize(...TrackingRules.run('delete'))
  @Answers(ANSWERS.empty)
  async delete(@Body() dto: RunRefDto, @RequestMeta() meta: CommandMetadata) {
    await this.runs.delete(dto.runId, meta);
    return {};
  }

  @Post('restore')
  @HttpCode(200)
  @Authorize(...TrackingRules.run('delete'))
  @Answers(ANSWERS.empty)
  async restore(@Body() dto: RunRefDto, @RequestMeta() meta: CommandMetadata) {
    await this.runs.restore(dto.runId, meta);
    return {};
  }

  @Post('log-metric')
  @HttpCode(200)
  @Authorize(...TrackingRules.runAndModels('metric'))
  @Answers(ANSWERS.empty)
  async logMetric(@Body() dto: LogMetricDto, @RequestMeta() meta: CommandMetadata) {
    await this.runs.logData(dto.runId, { metrics: [metricInput(dto)], params: [], tags: [] }, meta);
    return {};
  }

  @Post('log-parameter')
  @HttpCode(200)
  @Authorize(...TrackingRules.run('update'))
  @Answers(ANSWERS.empty)
  async logParam(@Body() dto: LogParamDto, @RequestMeta() meta: CommandMetadata) {
    await this.runs.logData(dto.runId, { metrics: [], params: tags([dto]), tags: [] }, meta);
    return {};
  }

  @Post('set-tag')
  @HttpCode(200)
  @Authorize(...TrackingRules.run('update'))
  @Answers(ANSWERS.empty)
  async setTag(@Body() dto: SetTagDto, @RequestMeta() meta: CommandMetadata) {
    await this.runs.logData(dto.runId, { metrics: [], params: [], tags: tags([dto]) }, meta);
    return {};
  }

  @Post('delete-tag')
  @HttpCode(200)
  @Authorize(...TrackingRules.run('update'))
  @Answers(ANSWERS.empty)
  async deleteTag(@Body() dto: DeleteTagDto, @RequestMeta() meta: CommandMetadata) {
    await this.runs.deleteTag(dto.runId, dto.key, meta);
    return {};
  }

  @Post('log-batch')
  @HttpCode(200)
  @Authorize(...TrackingRules.runAndModels('batch'))
  @Answers(ANSWERS.empty)
  async logBatch(@Body() dto: LogBatchDto, @RequestMeta() meta: CommandMetadata) {
    const metrics = (dto.metrics ?? []).map(metricInput);
    await this.runs.logData(dto.runId, { metrics, params: tags(dto.params), tags: tags(dto.tags) }, meta);
    return {};
  }

  @Post('log-inputs')
  @HttpCode(200)
  @Authorize(...TrackingRules.runAndModels('io'))
  @Answers(ANSWERS.empty)
  async logInputs(@Body() dto: LogInputsDto, @RequestMeta() meta: CommandMetadata) {
    const datasets = (dto.datasets ?? []).map((input) => ({
      name: input.dataset.name,
      digest: input.dataset.digest,
      sourceType: input.dataset.source_type,
      source: input.dataset.source,
      ...(input.dataset.schema !== undefined ? { schema: input.dataset.schema } : {}),
      ...(input.dataset.profile !== undefined ? { profile: input.dataset.profile } : {}),
      tags: tags(input.tags),
    }));
    await this.runs.logInputs(
      dto.runId,
      datasets,
      (dto.models ?? []).map((m) => m.model_id),
      meta,
    );
    return {};
  }

  @Post('outputs')
  @HttpCode(200)
  @Authorize(...TrackingRules.runAndModels('io'))
  @Answers(ANSWERS.empty)
  async logOutputs(@Body() dto: LogOutputsDto, @RequestMeta() meta: CommandMetadata) {
    await this.runs.logOutputs(
      dto.runId,
      dto.models.map((m) => ({ modelId: m.model_id, step: m.step })),
      meta,
    );
    return {};
  }

  @Post('search')
  @HttpCode(200)
  @Authorize(...TrackingRules.listRuns())
  @Answers(ANSWERS.runs)
  async search(
    @Body() dto: SearchRunsDto,
    @ReadableBy('experiment') readable: ReadableSet,
    @RequestPrincipal() principal: Principal | null,
  ) {
    return this.queries.search(dto, await this.listings.experimentsThrough(principal, readable));
  }

  @Get('search')
  @Authorize(...TrackingRules.listRuns())
  @Answers(ANSWERS.runs)
  async searchByQuery(
    @Query() dto: SearchRunsDto,
    @ReadableBy('experiment') readable: ReadableSet,
    @RequestPrincipal() principal: Principal | null,
  ) {
    return this.queries.search(dto, await this.listings.experimentsThrough(principal, readable));
  }
}
