import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { Authorize, ReadableBy, ReadableSet, RequestPrincipal, Rules } from '@logbook/access';
import { Answers, CommandMetadata, Principal, RequestMeta } from '@logbook/platform';
import { tagEntries } from '../registered-models/registered-models.controller';
import { RegisteredModelsService } from '../registered-models/registered-models.service';
import { MODEL_VERSION_TIER, REGISTERED_MODEL, RegistryAccess, VersionRules } from '../shared/access';
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
    private readonly access: RegistryAccess,
  ) {}

  @Post('create')
  @HttpCode(200)
  @Answers(ANSWERS.modelVersion)
  @Authorize(...VersionRules.create())
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
  @Authorize(...VersionRules.read())
  async get(@Query() dto: ModelVersionDto) {
    return { model_version: await this.queries.get(dto.name, versionNumber(dto.name, dto.version)) };
  }

  @Patch('update')
  @Answers(ANSWERS.modelVersion)
  @Authorize(...VersionRules.update())
  async update(@Body() dto: UpdateModelVersionDto, @RequestMeta() meta: CommandMetadata) {
    await this.versions.update(dto.name, dto.version, dto.description, meta);
    return { model_version: await this.queries.get(dto.name, versionNumber(dto.name, dto.version)) };
  }

  @Delete('delete')
  @Answers(ANSWERS.empty)
  @Authorize(...VersionRules.delete())
  async delete(@Body() dto: ModelVersionDto, @RequestMeta() meta: CommandMetadata) {
    await this.versions.delete(dto.name, dto.version, meta);
    return {};
  }

  @Get('search')
  @Answers(ANSWERS.modelVersions)
  @Authorize(Rules.listing(REGISTERED_MODEL, MODEL_VERSION_TIER))
  async search(
    @Query() dto: SearchModelVersionsDto,
    @ReadableBy(REGISTERED_MODEL) versions: ReadableSet,
    @RequestPrincipal() principal: Principal | null,
  ) {
    // MLflow's filter_search_model_versions keeps a version when its model is readable and its tier is not denied.
    return this.queries.search(dto, [versions, await this.access.modelsReadable(principal)]);
  }

  @Post('transition-stage')
  @HttpCode(200)
  @Answers(ANSWERS.modelVersion)
  @Authorize(...VersionRules.update())
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
  @Authorize(...VersionRules.read())
  async downloadUri(@Query() dto: ModelVersionDto) {
    return { artifact_uri: await this.queries.downloadUri(dto.name, versionNumber(dto.name, dto.version)) };
  }

  @Post('set-tag')
  @HttpCode(200)
  @Answers(ANSWERS.empty)
  @Authorize(...VersionRules.update())
  async setTag(@Body() dto: SetModelVersionTagDto, @RequestMeta() meta: CommandMetadata) {
    await this.versions.setTag(dto.name, dto.version, dto.key, dto.value ?? '', meta);
    return {};
  }

  @Delete('delete-tag')
  @Answers(ANSWERS.empty)
  @Authorize(...VersionRules.delete())
  async deleteTag(@Body() dto: DeleteModelVersionTagDto, @RequestMeta() meta: CommandMetadata) {
    await this.versions.deleteTag(dto.name, dto.version, dto.key, meta);
    return {};
  }
}
