import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { CommandMetadata, Answers, RequestMeta } from '@logbook/platform';
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
  ) {}

  @Post('create')
  @HttpCode(200)
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
    return { run: await this.queries.get(runId) };
  }

  @Get('get')
  @Answers(ANSWERS.run)
  async get(@Query() dto: RunRefDto) {
    return { run: await this.queries.get(dto.runId) };
  }

  @Post('update')
  @HttpCode(200)
  @Answers(ANSWERS.runInfo)
  async update(@Body() dto: UpdateRunDto, @RequestMeta() meta: CommandMetadata) {
    await this.runs.update(dto.runId, { status: dto.status, endTime: dto.end_time, runName: dto.run_name }, meta);
    return { run_info: (await this.queries.get(dto.runId)).info };
  }

  @Post('delete')
  @HttpCode(200)
  @Answers(ANSWERS.empty)
  async delete(@Body() dto: RunRefDto, @RequestMeta() meta: CommandMetadata) {
    await this.runs.delete(dto.runId, meta);
    return {};
  }

  @Post('restore')
  @HttpCode(200)
  @Answers(ANSWERS.empty)
  async restore(@Body() dto: RunRefDto, @RequestMeta() meta: CommandMetadata) {
    await this.runs.restore(dto.runId, meta);
    return {};
  }

  @Post('log-metric')
  @HttpCode(200)
  @Answers(ANSWERS.empty)
  async logMetric(@Body() dto: LogMetricDto, @RequestMeta() meta: CommandMetadata) {
    await this.runs.logData(dto.runId, { metrics: [metricInput(dto)], params: [], tags: [] }, meta);
    return {};
  }

  @Post('log-parameter')
  @HttpCode(200)
  @Answers(ANSWERS.empty)
  async logParam(@Body() dto: LogParamDto, @RequestMeta() meta: CommandMetadata) {
    await this.runs.logData(dto.runId, { metrics: [], params: tags([dto]), tags: [] }, meta);
    return {};
  }

  @Post('set-tag')
  @HttpCode(200)
  @Answers(ANSWERS.empty)
  async setTag(@Body() dto: SetTagDto, @RequestMeta() meta: CommandMetadata) {
    await this.runs.logData(dto.runId, { metrics: [], params: [], tags: tags([dto]) }, meta);
    return {};
  }

  @Post('delete-tag')
  @HttpCode(200)
  @Answers(ANSWERS.empty)
  async deleteTag(@Body() dto: DeleteTagDto, @RequestMeta() meta: CommandMetadata) {
    await this.runs.deleteTag(dto.runId, dto.key, meta);
    return {};
  }

  @Post('log-batch')
  @HttpCode(200)
  @Answers(ANSWERS.empty)
  async logBatch(@Body() dto: LogBatchDto, @RequestMeta() meta: CommandMetadata) {
    const metrics = (dto.metrics ?? []).map(metricInput);
    await this.runs.logData(dto.runId, { metrics, params: tags(dto.params), tags: tags(dto.tags) }, meta);
    return {};
  }

  @Post('log-inputs')
  @HttpCode(200)
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
  @Answers(ANSWERS.runs)
  search(@Body() dto: SearchRunsDto) {
    return this.queries.search(dto);
  }

  @Get('search')
  @Answers(ANSWERS.runs)
  searchByQuery(@Query() dto: SearchRunsDto) {
    return this.queries.search(dto);
  }
}
