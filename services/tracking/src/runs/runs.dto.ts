import { IsOptional, ValidateIf } from 'class-validator';
import {
  BulkField,
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
  Documented,
  KEY_NAME_PATTERN,
  RequiresOneOf,
} from '@logbook/platform';
import { VIEW_TYPES, ViewType } from '../experiments/experiments.dto';
import { EXPERIMENT_ID_PATTERN, EXPERIMENT_ID_OR_EMPTY_PATTERN } from '../shared/ids';
import { LIMITS, MAX_RESULTS } from '../shared/limits';
import { RUN_STATUSES, RunStatus } from './run.events';

/** MLflow accepts the run id as `run_id` or the deprecated `run_uuid`; clients send both. */
@RequiresOneOf('run_id', 'run_uuid')
export class RunRefDto {
  @ValidateIf((o: RunRefDto) => !o.run_uuid)
  @StringField('required')
  run_id?: string;

  @StringField() run_uuid?: string;

  get runId(): string {
    return (this.run_id || this.run_uuid) as string;
  }
}

/** Param and run tag keys are names; long values are cut to the limit, so no value length is refused. */
const KEY_NAME = { maxLength: LIMITS.entityKey, pattern: KEY_NAME_PATTERN };

export class RunTagDto {
  @StringField('required') @Documented(KEY_NAME) key!: string;
  @StringField() value?: string;
}

export class CreateRunDto {
  @IdField() @Documented({ pattern: EXPERIMENT_ID_OR_EMPTY_PATTERN }) experiment_id?: string;
  @StringField() user_id?: string;
  @StringField() @Documented({ maxLength: LIMITS.runName }) run_name?: string;
  @Int64Field() start_time?: number;
  @NestedListField(() => RunTagDto) tags?: RunTagDto[];
}

export class UpdateRunDto extends RunRefDto {
  @EnumField(RUN_STATUSES) status?: RunStatus;
  @Int64Field() end_time?: number;
  @StringField() @Documented({ maxLength: LIMITS.runName }) run_name?: string;
}

export class MetricDto {
  @StringField('required') @Documented(KEY_NAME) key!: string;
  @DoubleField('required') value!: number;
  @Int64Field('required') @Documented({ minimum: 0 }) timestamp!: number;
  @Int64Field() step?: number;
  @StringField() model_id?: string;
  @StringField() dataset_name?: string;
  @StringField() dataset_digest?: string;
}

/** log-metric takes one metric's fields next to the run reference. */
export class LogMetricDto extends RunRefDto implements MetricDto {
  @StringField('required') @Documented(KEY_NAME) key!: string;
  @DoubleField('required') value!: number;
  @Int64Field('required') @Documented({ minimum: 0 }) timestamp!: number;
  @Int64Field() step?: number;
  @StringField() model_id?: string;
  @StringField() dataset_name?: string;
  @StringField() dataset_digest?: string;
}

export class ParamDto {
  @StringField('required') @Documented(KEY_NAME) key!: string;
  @StringField() value?: string;
}

export class LogParamDto extends RunRefDto {
  @StringField('required') @Documented(KEY_NAME) key!: string;
  @StringField() value?: string;
}

export class SetTagDto extends RunRefDto {
  @StringField('required') @Documented(KEY_NAME) key!: string;
  @StringField() value?: string;
}

export class DeleteTagDto extends RunRefDto {
  @StringField('required') key!: string;
}

/**
 * log-batch's metrics are the volume path (up to 1000 a request): they are checked in one pass with
 * the same coercions and messages as the decorated DTOs, instead of one class-validator run per
 * element, which cost about 7 ms a batch, and class-transformer never walks them.
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
  @BulkField(parseMetricList)
  @Documented({ type: 'array', maxItems: LIMITS.metricsPerBatch }, () => MetricDto)
  metrics?: MetricDto[];
  @NestedListField(() => ParamDto)
  @Documented({ maxItems: LIMITS.paramsOrTagsPerBatch })
  params?: ParamDto[];
  @NestedListField(() => RunTagDto)
  @Documented({ maxItems: LIMITS.paramsOrTagsPerBatch })
  tags?: RunTagDto[];
}

export class DatasetDto {
  @StringField('required') @Documented({ maxLength: LIMITS.datasetName }) name!: string;
  @StringField('required') @Documented({ maxLength: LIMITS.datasetDigest }) digest!: string;
  @StringField('required') source_type!: string;
  @StringField('required') @Documented({ maxLength: LIMITS.datasetSource }) source!: string;
  @StringField() @Documented({ maxLength: LIMITS.datasetSchema }) schema?: string;
  @StringField() @Documented({ maxLength: LIMITS.datasetProfile }) profile?: string;
}

export class InputTagDto {
  @StringField('required') @Documented({ maxLength: LIMITS.inputTagKey }) key!: string;
  @StringField() @Documented({ maxLength: LIMITS.inputTagValue }) value?: string;
}

export class DatasetInputDto {
  @NestedListField(() => InputTagDto) tags?: InputTagDto[];
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
  @IdListField() @Documented({ items: { pattern: EXPERIMENT_ID_PATTERN } }) experiment_ids?: string[];
  @StringField() filter?: string;
  @EnumField(VIEW_TYPES) run_view_type?: ViewType;
  @Int64Field() @Documented({ minimum: 1, maximum: MAX_RESULTS.searchRuns.maximum }) max_results?: number;
  @StringListField() order_by?: string[];
  @StringField() page_token?: string;
}

export class GetMetricHistoryDto extends RunRefDto {
  @StringField('required') metric_key!: string;
  @Int64Field() @Documented({ minimum: 1, maximum: MAX_RESULTS.metricHistory.maximum }) max_results?: number;
  @StringField() page_token?: string;
}

/** The UI's bulk read, whose checks (and their order) are MLflow's handler's own, not a schema's. */
export class GetMetricHistoryBulkDto {
  @StringListField() @Documented({ minItems: 1, maxItems: LIMITS.runIdsPerHistoryRequest }) run_id?: string[];
  @StringField() metric_key?: string;
  @Int64Field() @Documented({ maximum: MAX_RESULTS.metricHistoryBulk.maximum }) max_results?: number;
}

export class GetMetricHistoryBulkIntervalDto {
  @StringListField('required')
  @Documented({ minItems: 1, maxItems: LIMITS.runIdsPerHistoryRequest })
  run_ids!: string[];
  @StringField('required') metric_key!: string;
  @Int64Field() start_step?: number;
  @Int64Field() end_step?: number;
  @Int64Field()
  @Documented({ minimum: 1, maximum: MAX_RESULTS.metricHistoryBulkInterval.maximum })
  max_results?: number;
}
