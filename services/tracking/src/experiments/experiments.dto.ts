import {
  Documented,
  KEY_NAME_PATTERN,
  EnumField,
  IdField,
  IdListField,
  Int64Field,
  NestedListField,
  StringField,
  StringListField,
} from '@logbook/platform';
import { EXPERIMENT_ID_PATTERN } from '../shared/ids';
import { LIMITS, MAX_RESULTS } from '../shared/limits';

export class ExperimentTagDto {
  @StringField('required') @Documented({ maxLength: LIMITS.experimentTagKey, pattern: KEY_NAME_PATTERN }) key!: string;
  @StringField() @Documented({ maxLength: LIMITS.experimentTagValue }) value?: string;
}

export class CreateExperimentDto {
  @StringField('required') @Documented({ maxLength: LIMITS.experimentName }) name!: string;
  @StringField()
  @Documented({ maxLength: LIMITS.artifactLocation, pattern: '^[^?#]*$' })
  artifact_location?: string;
  @NestedListField(() => ExperimentTagDto) tags?: ExperimentTagDto[];
}

export class ExperimentIdDto {
  @IdField('required') @Documented({ pattern: EXPERIMENT_ID_PATTERN }) experiment_id!: string;
}

export class GetExperimentByNameDto {
  @StringField('required') experiment_name!: string;
}

export class UpdateExperimentDto extends ExperimentIdDto {
  @StringField('required') @Documented({ maxLength: LIMITS.experimentName }) new_name!: string;
}

export class SetExperimentTagDto extends ExperimentIdDto {
  @StringField('required') @Documented({ maxLength: LIMITS.experimentTagKey, pattern: KEY_NAME_PATTERN }) key!: string;
  @StringField() @Documented({ maxLength: LIMITS.experimentTagValue }) value?: string;
}

export class DeleteExperimentTagDto extends ExperimentIdDto {
  @StringField('required') key!: string;
}

export const VIEW_TYPES = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'] as const;
export type ViewType = (typeof VIEW_TYPES)[number];

export class SearchExperimentsDto {
  @Int64Field() @Documented({ minimum: 1, maximum: MAX_RESULTS.searchExperiments.maximum }) max_results?: number;
  @StringField() page_token?: string;
  @StringField() filter?: string;
  @StringListField() order_by?: string[];
  @EnumField(VIEW_TYPES) view_type?: ViewType;
}

export class SearchDatasetsDto {
  @IdListField()
  @Documented({
    minItems: 1,
    maxItems: LIMITS.experimentIdsPerDatasetSearch,
    items: { pattern: EXPERIMENT_ID_PATTERN },
  })
  experiment_ids?: string[];
}
