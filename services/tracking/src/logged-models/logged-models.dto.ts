import { IsArray, IsBoolean, IsOptional, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { IdField, IdListField, Int64Field, NestedListField, StringField, Documented } from '@logbook/platform';
import { EXPERIMENT_ID_PATTERN } from '../shared/ids';
import { MAX_RESULTS } from '../shared/limits';
import { ParamDto, RunTagDto } from '../runs/runs.dto';
import { FINAL_STATUSES } from './logged-model.events';

export class CreateLoggedModelDto {
  @IdField('required') @Documented({ pattern: EXPERIMENT_ID_PATTERN }) experiment_id!: string;
  @StringField() @Documented({ pattern: '^[^/:.%"\']+$' }) name?: string;
  @StringField() model_type?: string;
  @StringField() source_run_id?: string;
  @NestedListField(() => ParamDto) params?: ParamDto[];
  @NestedListField(() => RunTagDto) tags?: RunTagDto[];
}

export class FinalizeLoggedModelDto {
  @StringField() model_id?: string;
  @StringField('required') @Documented({ enum: [...FINAL_STATUSES] }) status!: string;
}

export class LoggedModelTagsDto {
  @NestedListField(() => RunTagDto) tags?: RunTagDto[];
}

export class LoggedModelParamsDto {
  @StringField() model_id?: string;
  @NestedListField(() => ParamDto) params?: ParamDto[];
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
  @IdListField('required') @Documented({ items: { pattern: EXPERIMENT_ID_PATTERN } }) experiment_ids!: string[];
  @StringField() filter?: string;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => DatasetFilterDto) datasets?: DatasetFilterDto[];
  @Int64Field() @Documented({ minimum: 1, maximum: MAX_RESULTS.searchLoggedModels.maximum }) max_results?: number;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => OrderByDto) order_by?: OrderByDto[];
  @StringField() page_token?: string;
}
