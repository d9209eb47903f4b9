import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { Answers, CommandMetadata, RequestMeta } from '@logbook/platform';
import { tagEntries } from '../registered-models/registered-models.controller';
import { RegisteredModelsService } from '../registered-models/registered-models.service';
import { mlflowRoutes } from '../shared/routes';
import { ANSWERS } from '../shared/wire-schemas';
import { versionNumber } from './model-version.decider';
import {
  CreateModelVersionDto,
  DeleteModelVersionTagDto,
  ModelVersionDto,
  SearchModelVersionsDto,
  SetModelVersionTagDto,
  TransitionStageDto,
  UpdateModelVersionDto,
} from './model-versions.dto';
import { ModelVersionsQueries } from './model-versions.queries';
import { ModelVersionsService } from './model-versions.service';
import { RegistrationVerdicts } from './registration-verdicts';

@Controller(mlflowRoutes('model-versions'))
export class ModelVersionsController {
  constructor(
    private readonly versions: ModelVersionsService,
    private readonly models: RegisteredModelsService,
    private readonly queries: ModelVersionsQueries,
    private readonly verdicts: RegistrationVerdicts,
  ) {}

  @Post('create')
  @HttpCode(200)
  @Answers(ANSWERS.modelVersion)
  async create(@Body() dto: CreateModelVersionDto, @RequestMeta() meta: CommandMetadata) {
    const version = await this.versions.create(
      {
        name: dto.name,
        source: dto.source,
        runId: dto.run_id,
        runLink: dto.run_link,
        description: dto.description,
        modelId: dto.model_id,
        tags: tagEntries(dto.tags),
      },
      meta,
    );
    return { model_version: await this.verdicts.settled(() => this.queries.get(dto.name, version)) };
  }

  @Get('get')
  @Answers(ANSWERS.modelVersion)
  async get(@Query() dto: ModelVersionDto) {
    return { model_version: await this.queries.get(dto.name, versionNumber(dto.name, dto.version)) };
  }

  @Patch('update')
  @Answers(ANSWERS.modelVersion)
  async update(@Body() dto: UpdateModelVersionDto, @RequestMeta() meta: CommandMetadata) {
    await this.versions.update(dto.name, dto.version, dto.description, meta);
    return { model_version: await this.queries.get(dto.name, versionNumber(dto.name, dto.version)) };
  }

  @Delete('delete')
  @Answers(ANSWERS.empty)
  async delete(@Body() dto: ModelVersionDto, @RequestMeta() meta: CommandMetadata) {
    await this.versions.delete(dto.name, dto.version, meta);
    return {};
  }

  @Get('search')
  @Answers(ANSWERS.modelVersions)
  search(@Query() dto: SearchModelVersionsDto) {
    return this.queries.search(dto);
  }

  @Post('transition-stage')
  @HttpCode(200)
  @Answers(ANSWERS.modelVersion)
  async transitionStage(@Body() dto: TransitionStageDto, @RequestMeta() meta: CommandMetadata) {
    await this.models.transitionStage(
      {
        name: dto.name,
        version: dto.version,
        stage: dto.stage,
        archiveExistingVersions: dto.archive_existing_versions ?? false,
      },
      meta,
    );
    return { model_version: await this.queries.get(dto.name, versionNumber(dto.name, dto.version)) };
  }

  @Get('get-download-uri')
  @Answers(ANSWERS.downloadUri)
  async downloadUri(@Query() dto: ModelVersionDto) {
    return { artifact_uri: await this.queries.downloadUri(dto.name, versionNumber(dto.name, dto.version)) };
  }

  @Post('set-tag')
  @HttpCode(200)
  @Answers(ANSWERS.empty)
  async setTag(@Body() dto: SetModelVersionTagDto, @RequestMeta() meta: CommandMetadata) {
    await this.versions.setTag(dto.name, dto.version, dto.key, dto.value ?? '', meta);
    return {};
  }

  @Delete('delete-tag')
  @Answers(ANSWERS.empty)
  async deleteTag(@Body() dto: DeleteModelVersionTagDto, @RequestMeta() meta: CommandMetadata) {
    await this.versions.deleteTag(dto.name, dto.version, dto.key, meta);
    return {};
  }
}
