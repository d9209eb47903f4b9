import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { Authorize, param, ReadableBy, ReadableSet, RequestPrincipal, Rules } from '@logbook/access';
import { Answers, CommandMetadata, Principal, RequestMeta } from '@logbook/platform';
import { ModelRules, REGISTERED_MODEL, RegistryAccess, VersionRules } from '../shared/access';
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
import { RegisteredModelsQueries, RegisteredModelView, withoutLatestVersions } from './registered-models.queries';
import { RegisteredModelsService } from './registered-models.service';

export const tagEntries = (tags: TagDto[] | undefined) =>
  (tags ?? []).map((t) => ({ key: t.key, value: t.value ?? '' }));

@Controller(mlflowRoutes('registered-models'))
export class RegisteredModelsController {
  constructor(
    private readonly models: RegisteredModelsService,
    private readonly queries: RegisteredModelsQueries,
    private readonly access: RegistryAccess,
  ) {}

  /** A model as the caller may see it: its latest versions withheld when the version tier denies them (MLflow's redaction). */
  private async shown(name: string, principal: Principal | null): Promise<RegisteredModelView> {
    return withoutLatestVersions(await this.queries.get(name), await this.access.versionsReadable(principal));
  }

  @Post('create')
  @HttpCode(200)
  @Answers(ANSWERS.registeredModel)
  @Authorize(Rules.create(REGISTERED_MODEL, param('name')))
  async create(
    @Body() dto: CreateRegisteredModelDto,
    @RequestMeta() meta: CommandMetadata,
    @RequestPrincipal() principal: Principal | null,
  ) {
    await this.models.create({ name: dto.name, description: dto.description, tags: tagEntries(dto.tags) }, meta);
    await this.access.grantCreator(principal, dto.name);
    return { registered_model: await this.queries.get(dto.name) };
  }

  @Get('get')
  @Answers(ANSWERS.registeredModel)
  @Authorize(...ModelRules.read())
  async get(@Query() dto: ModelNameDto, @RequestPrincipal() principal: Principal | null) {
    return { registered_model: await this.shown(dto.name, principal) };
  }

  @Post('rename')
  @HttpCode(200)
  @Answers(ANSWERS.registeredModel)
  @Authorize(...ModelRules.update())
  async rename(
    @Body() dto: RenameRegisteredModelDto,
    @RequestMeta() meta: CommandMetadata,
    @RequestPrincipal() principal: Principal | null,
  ) {
    await this.models.rename(dto.name, dto.new_name, meta);
    await this.access.renamed(dto.name, dto.new_name);
    return { registered_model: await this.shown(dto.new_name, principal) };
  }

  @Patch('update')
  @Answers(ANSWERS.registeredModel)
  @Authorize(...ModelRules.update())
  async update(
    @Body() dto: UpdateRegisteredModelDto,
    @RequestMeta() meta: CommandMetadata,
    @RequestPrincipal() principal: Principal | null,
  ) {
    await this.models.update(dto.name, dto.description, meta);
    return { registered_model: await this.shown(dto.name, principal) };
  }

  @Delete('delete')
  @Answers(ANSWERS.empty)
  @Authorize(...ModelRules.deleteCascade())
  async delete(@Body() dto: ModelNameDto, @RequestMeta() meta: CommandMetadata) {
    await this.models.delete(dto.name, meta);
    await this.access.deleted(dto.name);
    return {};
  }

  @Get('search')
  @Answers(ANSWERS.registeredModels)
  @Authorize(Rules.listing(REGISTERED_MODEL))
  async search(
    @Query() dto: SearchRegisteredModelsDto,
    @ReadableBy(REGISTERED_MODEL) readable: ReadableSet,
    @RequestPrincipal() principal: Principal | null,
  ) {
    const found = await this.queries.search(dto, readable);
    const versions = await this.access.versionsReadable(principal);
    return {
      ...found,
      registered_models: found.registered_models.map((model) => withoutLatestVersions(model, versions)),
    };
  }

  @Post('get-latest-versions')
  @HttpCode(200)
  @Answers(ANSWERS.modelVersions)
  @Authorize(...VersionRules.read())
  async latestVersions(@Body() dto: GetLatestVersionsDto) {
    return { model_versions: await this.queries.latestVersions(dto.name, dto.stages) };
  }

  @Get('get-latest-versions')
  @Answers(ANSWERS.modelVersions)
  @Authorize(...VersionRules.read())
  async latestVersionsByQuery(@Query() dto: GetLatestVersionsDto) {
    return { model_versions: await this.queries.latestVersions(dto.name, dto.stages) };
  }

  @Post('set-tag')
  @HttpCode(200)
  @Answers(ANSWERS.empty)
  @Authorize(...ModelRules.update())
  async setTag(@Body() dto: SetRegisteredModelTagDto, @RequestMeta() meta: CommandMetadata) {
    await this.models.setTag(dto.name, dto.key, dto.value ?? '', meta);
    return {};
  }

  @Delete('delete-tag')
  @Answers(ANSWERS.empty)
  @Authorize(...ModelRules.update())
  async deleteTag(@Body() dto: DeleteRegisteredModelTagDto, @RequestMeta() meta: CommandMetadata) {
    await this.models.deleteTag(dto.name, dto.key, meta);
    return {};
  }

  @Post('alias')
  @HttpCode(200)
  @Answers(ANSWERS.empty)
  @Authorize(...ModelRules.setAlias())
  async setAlias(@Body() dto: SetAliasDto, @RequestMeta() meta: CommandMetadata) {
    await this.models.setAlias(dto.name, dto.alias, dto.version, meta);
    return {};
  }

  @Delete('alias')
  @Answers(ANSWERS.empty)
  @Authorize(...ModelRules.deleteAlias())
  async deleteAlias(@Body() dto: AliasDto, @RequestMeta() meta: CommandMetadata) {
    await this.models.deleteAlias(dto.name, dto.alias, meta);
    return {};
  }

  @Get('alias')
  @Answers(ANSWERS.modelVersion)
  @Authorize(...VersionRules.read())
  async getAlias(@Query() dto: AliasDto) {
    return { model_version: await this.queries.versionByAlias(dto.name, dto.alias) };
  }
}
