import { Controller, Get, Query } from '@nestjs/common';
import { Answers } from '@logbook/platform';
import { versionNumber } from '../model-versions/model-version.decider';
import { ModelVersionDto } from '../model-versions/model-versions.dto';
import { ANSWERS } from '../shared/wire-schemas';
import { LineageQueries } from './lineage.queries';

/** Beyond MLflow: where a version comes from, from the registry's own projection of tracking's events. */
@Controller(['api/2.0/logbook/model-versions', 'ajax-api/2.0/logbook/model-versions'])
export class LineageController {
  constructor(private readonly lineage: LineageQueries) {}

  @Get('lineage')
  @Answers(ANSWERS.lineage)
  lineageOf(@Query() dto: ModelVersionDto) {
    return this.lineage.ofVersion(dto.name, versionNumber(dto.name, dto.version));
  }
}
