import {
  BooleanField,
  Documented,
  EnumField,
  Int64Field,
  NestedField,
  NestedListField,
  StringField,
  StringListField,
} from '@logbook/platform';
import {
  DATABRICKS_FLAVOR_EVENTS,
  LOGBOOK_WEBHOOK_EVENTS,
  MLFLOW_WEBHOOK_ACTIONS,
  MLFLOW_WEBHOOK_ENTITIES,
} from './webhook-catalog';
import { LIST_WEBHOOKS } from './webhooks.queries';

/** Proto enum names in proto order, so a number (1, 2, ...) names the same value MLflow's enum gives it. */
const upper = (values: readonly string[]) => values.map((value) => value.toUpperCase());
export const MLFLOW_WEBHOOK_STATUSES = ['ACTIVE', 'DISABLED'] as const;
export const DATABRICKS_WEBHOOK_STATUSES = ['ACTIVE', 'DISABLED', 'TEST_MODE'] as const;

/** As MLflow's list_webhooks reads it: 0 (or nothing) is the default page. */
const MAX_RESULTS_DOC = {
  minimum: 0,
  maximum: LIST_WEBHOOKS.maximum,
  description: `Page size; 0 or left out: ${LIST_WEBHOOKS.fallback}`,
};

// MLflow 3's webhooks (mlflow/protos/webhooks.proto)

export class WebhookEventDto {
  @EnumField(upper(MLFLOW_WEBHOOK_ENTITIES), 'required') entity!: string;
  @EnumField(upper(MLFLOW_WEBHOOK_ACTIONS), 'required') action!: string;
}

const LOGBOOK_EVENTS_DOC = {
  description: "Logbook's further events (MLflow's client ignores them)",
  items: { enum: [...LOGBOOK_WEBHOOK_EVENTS] },
};

export class CreateWebhookDto {
  @StringField('required')
  @Documented({ maxLength: 63, description: 'Letters, digits, dots, underscores and hyphens' })
  name!: string;
  @StringField('required') url!: string;
  @NestedListField(() => WebhookEventDto, 'required') @Documented({ minItems: 1 }) events!: WebhookEventDto[];
  @StringField() description?: string;
  @StringField() @Documented({ description: 'Signs each delivery; never answered' }) secret?: string;
  @EnumField(MLFLOW_WEBHOOK_STATUSES) status?: string;
  @StringListField() @Documented(LOGBOOK_EVENTS_DOC) logbook_events?: string[];
}

/** Fields left out (or empty, for name, url and events) keep their value; events replace the list. */
export class UpdateWebhookDto {
  @StringField() name?: string;
  @StringField() description?: string;
  @StringField() url?: string;
  @NestedListField(() => WebhookEventDto) events?: WebhookEventDto[];
  @StringField()
  @Documented({ description: 'A new secret; the replaced one keeps signing for an overlap' })
  secret?: string;
  @EnumField(MLFLOW_WEBHOOK_STATUSES) status?: string;
  @StringListField() @Documented(LOGBOOK_EVENTS_DOC) logbook_events?: string[];
}

export class ListWebhooksDto {
  @Int64Field() @Documented(MAX_RESULTS_DOC) max_results?: number;
  @StringField() page_token?: string;
}

export class TestWebhookDto {
  @NestedField(() => WebhookEventDto)
  @Documented({ description: "The event whose example is sent; the webhook's first when left out" })
  event?: WebhookEventDto;
}

// Databricks' registry webhooks (databricks-sdk service/ml.py)

export class HttpUrlSpecDto {
  @StringField('required') url!: string;
  @StringField()
  @Documented({ description: 'Signs each delivery (X-Databricks-Signature); never answered' })
  secret?: string;
  @StringField()
  @Documented({ description: 'The Authorization header sent, "<type> <credentials>"; empty: none; never answered' })
  authorization?: string;
  @BooleanField() @Documented({ description: 'Defaults to true' }) enable_ssl_verification?: boolean;
}

/** Databricks can run a job on an event; Logbook cannot, and refuses it. */
export class JobSpecDto {
  @StringField() job_id?: string;
  @StringField() access_token?: string;
  @StringField() workspace_url?: string;
}

const DATABRICKS_EVENTS_DOC = { items: { enum: [...DATABRICKS_FLAVOR_EVENTS] } };

export class CreateRegistryWebhookDto {
  @StringListField('required') @Documented({ ...DATABRICKS_EVENTS_DOC, minItems: 1 }) events!: string[];
  @StringField() description?: string;
  @NestedField(() => HttpUrlSpecDto, 'required')
  @Documented({ description: 'Required: Logbook calls URLs, not jobs' })
  http_url_spec!: HttpUrlSpecDto;
  @NestedField(() => JobSpecDto) @Documented({ description: 'Not supported: refused' }) job_spec?: JobSpecDto;
  @StringField()
  @Documented({ description: 'The model it is about; left out, the webhook is registry-wide (admins only)' })
  model_name?: string;
  @EnumField(DATABRICKS_WEBHOOK_STATUSES) status?: string;
}

export class RegistryWebhookIdDto {
  @StringField('required') id!: string;
}

export class UpdateRegistryWebhookDto extends RegistryWebhookIdDto {
  @StringField() description?: string;
  @StringListField()
  @Documented({ ...DATABRICKS_EVENTS_DOC, description: 'Replace the events; empty: kept' })
  events?: string[];
  @NestedField(() => HttpUrlSpecDto) http_url_spec?: HttpUrlSpecDto;
  @NestedField(() => JobSpecDto) @Documented({ description: 'Not supported: refused' }) job_spec?: JobSpecDto;
  @EnumField(DATABRICKS_WEBHOOK_STATUSES) status?: string;
}

export class ListRegistryWebhooksDto {
  @StringListField() @Documented(DATABRICKS_EVENTS_DOC) events?: string[];
  @Int64Field() @Documented(MAX_RESULTS_DOC) max_results?: number;
  @StringField() model_name?: string;
  @StringField() page_token?: string;
}

export class TestRegistryWebhookDto extends RegistryWebhookIdDto {
  @StringField()
  @Documented({ enum: [...DATABRICKS_FLAVOR_EVENTS], description: "The webhook's first event when left out" })
  event?: string;
}
