import { Max, Min } from 'class-validator';
import { BooleanField, Documented, EnumField, Int64Field, StringField } from '@logbook/platform';
import { MAX_RESULTS } from '../shared/limits';

/** The latest time a filter takes: the end of year 9999, as far as Postgres' timestamps reach comfortably. */
const LATEST_TIME_MS = 253_402_300_799_999;
const MAX_VERSION = 2 ** 31 - 1;

/** Which audit rows are wanted; each filter left out matches every row. */
export class AuditFilterDto {
  @StringField() @Documented({ description: 'The registered model the change is about (its name then)' }) name?: string;

  @Int64Field()
  @Min(1)
  @Max(MAX_VERSION)
  @Documented({ minimum: 1, maximum: MAX_VERSION, description: 'The model version the change is about' })
  version?: number;

  @StringField() @Documented({ description: "The actor's id or name" }) actor?: string;

  @StringField()
  @Documented({ description: 'An event type, such as ModelVersionStageTransitioned' })
  event_type?: string;

  @Int64Field()
  @Min(0)
  @Max(LATEST_TIME_MS)
  @Documented({ minimum: 0, maximum: LATEST_TIME_MS, description: 'Recorded at or after, in ms since the epoch' })
  from?: number;

  @Int64Field()
  @Min(0)
  @Max(LATEST_TIME_MS)
  @Documented({ minimum: 0, maximum: LATEST_TIME_MS, description: 'Recorded before, in ms since the epoch' })
  to?: number;

  @BooleanField()
  @Documented({
    description: 'true: only the rows of break-glass uses (the decision says breakGlass); false: the others',
  })
  break_glass?: boolean;
}

export const AUDIT_ORDERS = ['newest', 'oldest'] as const;

export class AuditSearchDto extends AuditFilterDto {
  @Int64Field() @Documented({ minimum: 1, maximum: MAX_RESULTS.auditEntries.maximum }) max_results?: number;
  @StringField() page_token?: string;
  @EnumField(AUDIT_ORDERS)
  @Documented({ description: 'newest (the default) or oldest first' })
  order?: (typeof AUDIT_ORDERS)[number];
}
