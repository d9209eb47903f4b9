import { IsBoolean, IsOptional } from 'class-validator';
import {
  Documented,
  Int64Field,
  KEY_NAME_PATTERN,
  NestedListField,
  StringField,
  StringListField,
} from '@logbook/platform';
import { ModelNameDto, TagDto } from '../registered-models/registered-models.dto';
import { LIMITS, MAX_RESULTS, STAGES } from '../shared/limits';

export class CreateModelVersionDto extends ModelNameDto {
  @StringField('required') source!: string;
  @StringField() run_id?: string;
  @NestedListField(() => TagDto) tags?: TagDto[];
  @StringField() run_link?: string;
  @StringField() description?: string;
  @StringField() model_id?: string;
}

export class ModelVersionDto extends ModelNameDto {
  @StringField('required') @Documented({ pattern: '^[0-9]+$' }) version!: string;
}

export class UpdateModelVersionDto extends ModelVersionDto {
  @StringField() description?: string;
}

export class TransitionStageDto extends ModelVersionDto {
  @StringField('required') @Documented({ enum: [...STAGES] }) stage!: string;
  @IsOptional() @IsBoolean() archive_existing_versions?: boolean;
}

export class SetModelVersionTagDto extends ModelVersionDto {
  @StringField('required') @Documented({ maxLength: LIMITS.tagKey, pattern: KEY_NAME_PATTERN }) key!: string;
  @StringField() @Documented({ maxLength: LIMITS.tagValue }) value?: string;
}

export class DeleteModelVersionTagDto extends ModelVersionDto {
  @StringField('required') @Documented({ pattern: KEY_NAME_PATTERN }) key!: string;
}

export class SearchModelVersionsDto {
  @StringField() filter?: string;
  @Int64Field() @Documented({ minimum: 1, maximum: MAX_RESULTS.searchModelVersions.maximum }) max_results?: number;
  @StringListField() order_by?: string[];
  @StringField() page_token?: string;
}
