import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { Answers, CommandMetadata, RequestMeta } from '@logbook/platform';
import { mlflowRoutes } from '../shared/routes';
import { ANSWERS } from '../shared/wire-schemas';
import {
  AliasDto,
  CreateRegisteredModelDto,
  DeleteRegisteredModelTagDto,
  GetLatestVersionsDto,
  ModelNameDto,
  RenameRegisteredModelDto,
  SearchRegisteredModelsDto,
  SetAliasDto,
  SetRegisteredModelTagDto,
  TagDto,
  UpdateRegisteredModelDto,
} from './registered-models.dto';
import { RegisteredModelsQueries } from './registered-models.queries';
import { RegisteredModelsService } from './registered-models.service';

export const tagEntries = (tags: TagDto[] | undefined) =>
  (tags ?? []).map((t) => ({ key: t.key, value: t.value ?? '' }));

@Controller(mlflowRoutes('registered-models'))
export class RegisteredModelsController {
  constructor(
    private readonly models: RegisteredModelsService,
    private readonly queries: RegisteredModelsQueries,
  ) {}

  @Post('create')
  @HttpCode(200)
  @Answers(ANSWERS.registeredModel)
  async create(@Body() dto: CreateRegisteredModelDto, @RequestMeta() meta: CommandMetadata) {
    await this.models.create({ name: dto.name, description: dto.description, tags: tagEntries(dto.tags) }, meta);
    return { registered_model: await this.queries.get(dto.name) };
  }

  @Get('get')
  @Answers(ANSWERS.registeredModel)
  async get(@Query() dto: ModelNameDto) {
    return { registered_model: await this.queries.get(dto.name) };
  }

  @Post('rename')
  @HttpCode(200)
  @Answers(ANSWERS.registeredModel)
  async rename(@Body() dto: RenameRegisteredModelDto, @RequestMeta() meta: CommandMetadata) {
    await this.models.rename(dto.name, dto.new_name, meta);
    return { registered_model: await this.queries.get(dto.new_name) };
  }

  @Patch('update')
  @Answers(ANSWERS.registeredModel)
  async update(@Body() dto: UpdateRegisteredModelDto, @RequestMeta() meta: CommandMetadata) {
    await this.models.update(dto.name, dto.description, meta);
    return { registered_model: await this.queries.get(dto.name) };
  }

  @Delete('delete')
  @Answers(ANSWERS.empty)
  async delete(@Body() dto: ModelNameDto, @RequestMeta() meta: CommandMetadata) {
    await this.models.delete(dto.name, meta);
    return {};
  }

  @Get('search')
  @Answers(ANSWERS.registeredModels)
  search(@Query() dto: SearchRegisteredModelsDto) {
    return this.queries.search(dto);
  }

  @Post('get-latest-versions')
  @HttpCode(200)
  @Answers(ANSWERS.modelVersions)
  async latestVersions(@Body() dto: GetLatestVersionsDto) {
    return { model_versions: await this.queries.latestVersions(dto.name, dto.stages) };
  }

  @Get('get-latest-versions')
  @Answers(ANSWERS.modelVersions)
  async latestVersionsByQuery(@Query() dto: GetLatestVersionsDto) {
    return { model_versions: await this.queries.latestVersions(dto.name, dto.stages) };
  }

  @Post('set-tag')
  @HttpCode(200)
  @Answers(ANSWERS.empty)
  async setTag(@Body() dto: SetRegisteredModelTagDto, @RequestMeta() meta: CommandMetadata) {
    await this.models.setTag(dto.name, dto.key, dto.value ?? '', meta);
    return {};
  }

  @Delete('delete-tag')
  @Answers(ANSWERS.empty)
  async deleteTag(@Body() dto: DeleteRegisteredModelTagDto, @RequestMeta() meta: CommandMetadata) {
    await this.models.deleteTag(dto.name, dto.key, meta);
    return {};
  }

  @Post('alias')
  @HttpCode(200)
  @Answers(ANSWERS.empty)
  async setAlias(@Body() dto: SetAliasDto, @RequestMeta() meta: CommandMetadata) {
    await this.models.setAlias(dto.name, dto.alias, dto.version, meta);
    return {};
  }

  @Delete('alias')
  @Answers(ANSWERS.empty)
  async deleteAlias(@Body() dto: AliasDto, @RequestMeta() meta: CommandMetadata) {
    await this.models.deleteAlias(dto.name, dto.alias, meta);
    return {};
  }

  @Get('alias')
  @Answers(ANSWERS.modelVersion)
  async getAlias(@Query() dto: AliasDto) {
    return { model_version: await this.queries.versionByAlias(dto.name, dto.alias) };
  }
}
