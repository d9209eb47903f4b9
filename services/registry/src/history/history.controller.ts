import { Controller, Get, Query } from '@nestjs/common';
import { Answers } from '@logbook/platform';
import { ANSWERS } from '../shared/wire-schemas';
import { ModelHistoryDto, ModelStateDto } from './history.dto';
import { HistoryQueries } from './history.queries';

/** Beyond MLflow: what happened to a registered model, and what it was at any past time, from the event log. */
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
