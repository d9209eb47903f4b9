import { Documented, Int64Field, StringField } from '@logbook/platform';
import { ModelNameDto } from '../registered-models/registered-models.dto';
import { MAX_RESULTS } from '../shared/limits';

export class ModelHistoryDto extends ModelNameDto {
  @Int64Field() @Documented({ minimum: 1, maximum: MAX_RESULTS.modelHistory.maximum }) max_results?: number;
  @StringField() page_token?: string;
}

export class ModelStateDto extends ModelNameDto {
  @Int64Field('required')
  @Documented({ minimum: 0, description: 'A time in milliseconds since the Unix epoch' })
  as_of!: number;
}
