import { Documented, EnumField, Int64Field, StringField } from '@logbook/platform';

/** max_results of a ledger page: the page size when it is left out, and the largest one accepted. */
export const LIST_DELIVERIES = { fallback: 100, maximum: 1000 } as const;

export const DELIVERY_STATUSES = ['PENDING', 'DELIVERED', 'DEAD', 'CANCELLED'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** What a range redelivery may take again: deliveries that ended. */
export const REDELIVERABLE_STATUSES = ['DEAD', 'DELIVERED'] as const;

export class ListDeliveriesDto {
  @EnumField(DELIVERY_STATUSES)
  @Documented({ description: 'Only the deliveries in this state' })
  status?: DeliveryStatus;
  @Int64Field() @Documented({ minimum: 1, maximum: LIST_DELIVERIES.maximum }) max_results?: number;
  @StringField() page_token?: string;
}

export class RedeliverRangeDto {
  @Int64Field('required')
  @Documented({ minimum: 0, description: 'From this event time on, in milliseconds since the epoch' })
  start_time!: number;
  @Int64Field('required')
  @Documented({ minimum: 0, description: 'Up to this event time (exclusive), in milliseconds since the epoch' })
  end_time!: number;
  @EnumField(REDELIVERABLE_STATUSES)
  @Documented({ description: 'Only the deliveries that ended so; DEAD when left out' })
  status?: (typeof REDELIVERABLE_STATUSES)[number];
}
