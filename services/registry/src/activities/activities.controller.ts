import { Controller, Get, Query } from '@nestjs/common';
import { Authorize, RequestPrincipal } from '@logbook/access';
import { Answers, Principal } from '@logbook/platform';
import { versionNumber } from '../model-versions/model-version.decider';
import { ModelVersionDto } from '../model-versions/model-versions.dto';
import { VersionRules } from '../shared/access';
import { mlflowRoutes } from '../shared/routes';
import { ANSWERS } from '../shared/wire-schemas';
import { ActivitiesQueries } from './activities.queries';
import { callerOf } from './version-activities';

/** Databricks' activity list of a model version: its comments and stage transitions, oldest first. */
@Controller(mlflowRoutes('model-versions'))
export class ActivitiesController {
  constructor(private readonly activities: ActivitiesQueries) {}

  @Get('get-activities')
  @Answers(ANSWERS.activities)
  @Authorize(...VersionRules.read())
  async list(@Query() dto: ModelVersionDto, @RequestPrincipal() principal: Principal | null) {
    const version = versionNumber(dto.name, dto.version);
    const activities = await this.activities.ofVersion(dto.name, version, callerOf(principal));
    // Protobuf JSON leaves an empty list out.
    return activities.length > 0 ? { activities } : {};
  }
}
