import { IsArray, IsBoolean, IsOptional, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import {
  IdField,
  IdListField,
  Int64Field,
  NestedListField,
  StringField,
} from '../../../../libs/platform/src/http/validation';
import { TagDto } from '../experiments/experiments.dto';

export class CreateLoggedModelDto {
  @IdField('required') experiment_id!: string;
  @StringField() name?: string;
  @StringField() model_type?: string;
  @StringField() source_run_id?: string;
  @NestedListField(() => TagDto) params?: TagDto[];
  @NestedListField(() => TagDto) tags?: TagDto[];
}

export class FinalizeLoggedModelDto {
  @StringField() model_id?: string;
  @StringField('required') status!: string;
}

export class LoggedModelTagsDto {
  @NestedListField(() => TagDto) tags?: TagDto[];
}

export class LoggedModelParamsDto {
  @StringField() model_id?: string;
  @NestedListField(() => TagDto) params?: TagDto[];
}

export class DatasetFilterDto {
  @StringField('required') dataset_name!: string;
  @StringField() dataset_digest?: string;
}

export class OrderByDto {
  @StringField('required') field_name!: string;
  @IsOptional() @IsBoolean() ascending?: boolean;
  @StringField() dataset_name?: string;
  @StringField() dataset_digest?: string;
}

export class SearchLoggedModelsDto {
  @IdListField('required') experiment_ids!: string[];
  @StringField() filter?: string;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => DatasetFilterDto) datasets?: DatasetFilterDto[];
  @Int64Field() max_results?: number;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => OrderByDto) order_by?: OrderByDto[];
  @StringField() page_token?: string;
}
