import { Controller, Get, Query } from '@nestjs/common';
import { Authorize, RequestPrincipal } from '@logbook/access';
import { Answers, Principal } from '@logbook/platform';
import { versionNumber } from '../model-versions/model-version.decider';
import { ModelVersionDto } from '../model-versions/model-versions.dto';
import { RegistryAccess, VersionRules } from '../shared/access';
import { ANSWERS } from '../shared/wire-schemas';
import { LineageQueries } from './lineage.queries';

/** Beyond MLflow: where a version comes from, from the registry's own projection of tracking's events. */
@Controller(['api/2.0/logbook/model-versions', 'ajax-api/2.0/logbook/model-versions'])
export class LineageController {
  constructor(
    private readonly lineage: LineageQueries,
    private readonly access: RegistryAccess,
  ) {}

  /**
   * Reading the version is what the route needs; the run's parameters, metrics and datasets and the
   * logged model are tracking's, shown only to a caller who may read them in their experiment.
   */
  @Get('lineage')
  @Answers(ANSWERS.lineage)
  @Authorize(...VersionRules.read())
  async lineageOf(@Query() dto: ModelVersionDto, @RequestPrincipal() principal: Principal | null) {
    const found: Record<string, unknown> & {
      run?: { experiment_id: string };
      logged_model?: { experiment_id: string };
    } = await this.lineage.ofVersion(dto.name, versionNumber(dto.name, dto.version));
    const { run, logged_model: loggedModel, ...shown } = found;
    return {
      ...shown,
      ...(run && (await this.access.mayRead(principal, run.experiment_id, 'run')) ? { run } : {}),
      ...(loggedModel && (await this.access.mayRead(principal, loggedModel.experiment_id, 'logged_model'))
        ? { logged_model: loggedModel }
        : {}),
    };
  }
}
