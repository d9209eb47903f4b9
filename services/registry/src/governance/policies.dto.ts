import { Documented, Int64Field, StringField } from '@logbook/platform';

/** max_results of a policy search: the page size when it is left out, and the largest one accepted. */
export const SEARCH_POLICIES = { fallback: 100, maximum: 1000 } as const;

export class PolicyNameDto {
  @StringField('required') @Documented({ maxLength: 255 }) name!: string;
}

export class GetPolicyDto extends PolicyNameDto {
  @Int64Field() @Documented({ minimum: 1, description: 'A past version; the live one when left out' }) version?: number;
}

export class SearchPoliciesDto {
  @Int64Field() @Documented({ minimum: 1, maximum: SEARCH_POLICIES.maximum }) max_results?: number;
  @StringField() page_token?: string;
}
