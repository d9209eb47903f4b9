import {
  EnumField,
  IdField,
  Int64Field,
  NestedListField,
  StringField,
  StringListField,
} from '../../../../libs/platform/src/http/validation';

export class TagDto {
  @StringField('required') key!: string;
  @StringField() value?: string;
}

export class CreateExperimentDto {
  @StringField('required') name!: string;
  @StringField() artifact_location?: string;
  @NestedListField(() => TagDto) tags?: TagDto[];
}

export class ExperimentIdDto {
  @IdField('required') experiment_id!: string;
}

export class GetExperimentByNameDto {
  @StringField('required') experiment_name!: string;
}

export class UpdateExperimentDto extends ExperimentIdDto {
  @StringField('required') new_name!: string;
}

export class SetExperimentTagDto extends ExperimentIdDto {
  @StringField('required') key!: string;
  @StringField() value?: string;
}

export class DeleteExperimentTagDto extends ExperimentIdDto {
  @StringField('required') key!: string;
}

export const VIEW_TYPES = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'] as const;
export type ViewType = (typeof VIEW_TYPES)[number];

export class SearchExperimentsDto {
  @Int64Field() max_results?: number;
  @StringField() page_token?: string;
  @StringField() filter?: string;
  @StringListField() order_by?: string[];
  @EnumField(VIEW_TYPES) view_type?: ViewType;
}
