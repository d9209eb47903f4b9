import { Transform } from 'class-transformer';
import { IsOptional, ValidateIf } from 'class-validator';
import {
  coerceDouble,
  coerceInt64,
  DoubleField,
  EnumField,
  IdField,
  IdListField,
  Int64Field,
  integerOutOfRange,
  invalidValue,
  isExactInteger,
  missingParameter,
  NestedField,
  NestedListField,
  StringField,
  StringListField,
} from '../../../../libs/platform/src/http/validation';
import { TagDto, VIEW_TYPES, ViewType } from '../experiments/experiments.dto';
import { RUN_STATUSES, RunStatus } from './run.events';

/** MLflow accepts the run id as `run_id` or the deprecated `run_uuid`; clients send both. */
export class RunRefDto {
  @ValidateIf((o: RunRefDto) => !o.run_uuid)
  @StringField('required')
  run_id?: string;

  @StringField() run_uuid?: string;

  get runId(): string {
    return (this.run_id || this.run_uuid) as string;
  }
}

export class CreateRunDto {
  @IdField() experiment_id?: string;
  @StringField() user_id?: string;
  @StringField() run_name?: string;
  @Int64Field() start_time?: number;
  @NestedListField(() => TagDto) tags?: TagDto[];
}

export class UpdateRunDto extends RunRefDto {
  @EnumField(RUN_STATUSES) status?: RunStatus;
  @Int64Field() end_time?: number;
  @StringField() run_name?: string;
}

export class MetricDto {
  @StringField('required') key!: string;
  @DoubleField('required') value!: number;
  @Int64Field('required') timestamp!: number;
  @Int64Field() step?: number;
  @StringField() model_id?: string;
  @StringField() dataset_name?: string;
  @StringField() dataset_digest?: string;
}

/** log-metric takes one metric's fields next to the run reference. */
export class LogMetricDto extends RunRefDto implements MetricDto {
  @StringField('required') key!: string;
  @DoubleField('required') value!: number;
  @Int64Field('required') timestamp!: number;
  @Int64Field() step?: number;
  @StringField() model_id?: string;
  @StringField() dataset_name?: string;
  @StringField() dataset_digest?: string;
}

export class ParamDto {
  @StringField('required') key!: string;
  @StringField() value?: string;
}

export class LogParamDto extends RunRefDto {
  @StringField('required') key!: string;
  @StringField() value?: string;
}

export class SetTagDto extends RunRefDto {
  @StringField('required') key!: string;
  @StringField() value?: string;
}

export class DeleteTagDto extends RunRefDto {
  @StringField('required') key!: string;
}

/**
 * log-batch's metrics are the volume path (up to 1000 a request): they are checked in one pass with
 * the same coercions and messages as the decorated DTOs, instead of one class-validator run per
 * element, which cost about 7 ms a batch.
 */
function parseMetricList(value: unknown): MetricDto[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalidValue('metrics', value);
  return value.map((item: unknown, index) => {
    const path = `metrics[${index}]`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw invalidValue(path, item);
    const raw = item as Record<string, unknown>;
    const field = (name: string, required: boolean, check: (v: unknown) => boolean, coerce = (v: unknown) => v) => {
      const given = raw[name];
      if (given === undefined || given === null || given === '') {
        if (required) throw missingParameter(`${path}.${name}`);
        return undefined;
      }
      const coerced = coerce(given);
      if (check(coerced)) return coerced;
      if (check === isExactInteger && Number.isInteger(coerced)) throw integerOutOfRange(`${path}.${name}`);
      throw invalidValue(`${path}.${name}`, given);
    };
    const isString = (v: unknown) => typeof v === 'string';
    const metric: MetricDto = {
      key: field('key', true, isString) as string,
      value: field('value', true, (v) => typeof v === 'number', coerceDouble) as number,
      timestamp: field('timestamp', true, isExactInteger, coerceInt64) as number,
    };
    const step = field('step', false, isExactInteger, coerceInt64);
    if (step !== undefined) metric.step = step as number;
    for (const name of ['model_id', 'dataset_name', 'dataset_digest'] as const) {
      const text = field(name, false, isString);
      if (text !== undefined) metric[name] = text as string;
    }
    return metric;
  });
}

export class LogBatchDto extends RunRefDto {
  @IsOptional()
  @Transform(({ value }) => parseMetricList(value))
  metrics?: MetricDto[];
  @NestedListField(() => ParamDto) params?: ParamDto[];
  @NestedListField(() => TagDto) tags?: TagDto[];
}

export class DatasetDto {
  @StringField('required') name!: string;
  @StringField('required') digest!: string;
  @StringField('required') source_type!: string;
  @StringField('required') source!: string;
  @StringField() schema?: string;
  @StringField() profile?: string;
}

export class DatasetInputDto {
  @NestedListField(() => TagDto) tags?: TagDto[];
  @NestedField(() => DatasetDto, 'required') dataset!: DatasetDto;
}

export class ModelInputDto {
  @StringField('required') model_id!: string;
}

export class LogInputsDto extends RunRefDto {
  @NestedListField(() => DatasetInputDto) datasets?: DatasetInputDto[];
  @NestedListField(() => ModelInputDto) models?: ModelInputDto[];
}

export class ModelOutputDto {
  @StringField('required') model_id!: string;
  @Int64Field('required') step!: number;
}

export class LogOutputsDto extends RunRefDto {
  @NestedListField(() => ModelOutputDto, 'required') models!: ModelOutputDto[];
}

export class SearchRunsDto {
  @IdListField() experiment_ids?: string[];
  @StringField() filter?: string;
  @EnumField(VIEW_TYPES) run_view_type?: ViewType;
  @Int64Field() max_results?: number;
  @StringListField() order_by?: string[];
  @StringField() page_token?: string;
}

export class GetMetricHistoryDto extends RunRefDto {
  @StringField('required') metric_key!: string;
  @Int64Field() max_results?: number;
  @StringField() page_token?: string;
}

export class GetMetricHistoryBulkIntervalDto {
  @StringListField('required') run_ids!: string[];
  @StringField('required') metric_key!: string;
  @Int64Field() start_step?: number;
  @Int64Field() end_step?: number;
  @Int64Field() max_results?: number;
}
