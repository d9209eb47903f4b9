import { Controller, Get, Query } from '@nestjs/common';
import { Authorize } from '@logbook/access';
import { Answers } from '@logbook/platform';
import { VersionRules } from '../shared/access';
import { ANSWERS } from '../shared/wire-schemas';
import { ModelHistoryDto, ModelStateDto } from './history.dto';
import { HistoryQueries } from './history.queries';

/**
 * Beyond MLflow: what happened to a registered model, and what it was at any past time, from the event log.
 * Both show the model's versions too, so both need what reading a version needs, on the name asked about.
 */
@Authorize(...VersionRules.read())
@Controller(['api/2.0/logbook/registered-models', 'ajax-api/2.0/logbook/registered-models'])
export class HistoryController {
  constructor(private readonly history: HistoryQueries) {}

  @Get('history')
  @Answers(ANSWERS.history)
  changes(@Query() dto: ModelHistoryDto) {
    return this.history.changes(dto);
  }

  @Get('state')
  @Answers(ANSWERS.modelState)
  stateAsOf(@Query() dto: ModelStateDto) {
    return this.history.stateAsOf(dto.name, dto.as_of);
  }
}
