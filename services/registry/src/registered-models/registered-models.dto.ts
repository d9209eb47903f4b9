import {
  Documented,
  Int64Field,
  KEY_NAME_PATTERN,
  NestedListField,
  StringField,
  StringListField,
} from '@logbook/platform';
import { LIMITS, MAX_RESULTS, STAGES } from '../shared/limits';

// Not blank, no '/' or ':', and nothing a path would resolve elsewhere ('.', or a leading '..').
const MODEL_NAME = { pattern: '^(?:\\.[^/:.][^/:]*|[^/:.\\s][^/:]*|\\s+[^/:\\s][^/:]*)$' };
export const ALIAS = { pattern: '^[\\w-]+$', maxLength: LIMITS.alias };

export class TagDto {
  @StringField('required') @Documented({ maxLength: LIMITS.tagKey, pattern: KEY_NAME_PATTERN }) key!: string;
  @StringField() @Documented({ maxLength: LIMITS.tagValue }) value?: string;
}

export class ModelNameDto {
  @StringField('required') @Documented(MODEL_NAME) name!: string;
}

export class CreateRegisteredModelDto extends ModelNameDto {
  @NestedListField(() => TagDto) tags?: TagDto[];
  @StringField() description?: string;
  @StringField() deployment_job_id?: string;
}

export class RenameRegisteredModelDto extends ModelNameDto {
  @StringField('required') @Documented(MODEL_NAME) new_name!: string;
}

export class UpdateRegisteredModelDto extends ModelNameDto {
  @StringField() description?: string;
  @StringField() deployment_job_id?: string;
}

export class SearchRegisteredModelsDto {
  @StringField() filter?: string;
  @Int64Field() @Documented({ minimum: 1, maximum: MAX_RESULTS.searchRegisteredModels.maximum }) max_results?: number;
  @StringListField() order_by?: string[];
  @StringField() page_token?: string;
}

export class GetLatestVersionsDto extends ModelNameDto {
  @StringListField() @Documented({ items: { enum: [...STAGES] } }) stages?: string[];
}

export class SetRegisteredModelTagDto extends ModelNameDto {
  @StringField('required') @Documented({ maxLength: LIMITS.tagKey, pattern: KEY_NAME_PATTERN }) key!: string;
  @StringField() @Documented({ maxLength: LIMITS.tagValue }) value?: string;
}

export class DeleteRegisteredModelTagDto extends ModelNameDto {
  @StringField('required') @Documented({ pattern: KEY_NAME_PATTERN }) key!: string;
}

export class AliasDto extends ModelNameDto {
  @StringField('required') @Documented(ALIAS) alias!: string;
}

export class SetAliasDto extends AliasDto {
  @StringField('required') @Documented({ pattern: '^[0-9]+$' }) version!: string;
}
