import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { Authorize, Rules } from '@logbook/access';
import { Answers, CommandMetadata, RequestMeta } from '@logbook/platform';
import { mlflowRoutes } from '../shared/routes';
import { mlflowEventKey } from './webhook-validation';
import { mlflowWebhookView } from './webhook.views';
import { WebhookStatus } from './webhook.events';
import { CreateWebhookDto, ListWebhooksDto, TestWebhookDto, UpdateWebhookDto } from './webhooks.dto';
import { WebhooksQueries } from './webhooks.queries';
import { WebhooksService } from './webhooks.service';
import { WEBHOOK_ANSWERS } from './webhooks.wire-schemas';

/** What create and update take alike from their bodies (name, url and events are required on create only). */
const fields = (dto: CreateWebhookDto | UpdateWebhookDto) => ({
  logbookEvents: dto.logbook_events,
  description: dto.description,
  secret: dto.secret,
  status: dto.status as WebhookStatus | undefined,
});

/**
 * MLflow 3's webhooks. MLflow 3.17's auth lets only admins reach any webhook route (sender_is_admin);
 * so does Logbook.
 */
@Controller(mlflowRoutes('webhooks'))
export class WebhooksController {
  constructor(
    private readonly webhooks: WebhooksService,
    private readonly queries: WebhooksQueries,
  ) {}

  @Post()
  @HttpCode(200)
  @Answers(WEBHOOK_ANSWERS.webhook)
  @Authorize(Rules.admin())
  async create(@Body() dto: CreateWebhookDto, @RequestMeta() meta: CommandMetadata) {
    const webhookId = await this.webhooks.createMlflow(
      { ...fields(dto), name: dto.name, url: dto.url, events: dto.events.map(mlflowEventKey) },
      meta,
    );
    return { webhook: mlflowWebhookView(await this.queries.get(webhookId, 'mlflow')) };
  }

  /** Newest first, a page at a time (MLflow's offset token). */
  @Get()
  @Answers(WEBHOOK_ANSWERS.webhooks)
  @Authorize(Rules.admin())
  async list(@Query() dto: ListWebhooksDto) {
    const page = await this.queries.list('mlflow', { maxResults: dto.max_results, pageToken: dto.page_token });
    return {
      webhooks: page.rows.map(mlflowWebhookView),
      ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
    };
  }

  @Get(':webhook_id')
  @Answers(WEBHOOK_ANSWERS.webhook)
  @Authorize(Rules.admin())
  async get(@Param('webhook_id') webhookId: string) {
    return { webhook: mlflowWebhookView(await this.queries.get(webhookId, 'mlflow')) };
  }

  @Patch(':webhook_id')
  @Answers(WEBHOOK_ANSWERS.webhook)
  @Authorize(Rules.admin())
  async update(
    @Param('webhook_id') webhookId: string,
    @Body() dto: UpdateWebhookDto,
    @RequestMeta() meta: CommandMetadata,
  ) {
    await this.webhooks.updateMlflow(
      webhookId,
      { ...fields(dto), name: dto.name, url: dto.url, events: dto.events?.map(mlflowEventKey) },
      meta,
    );
    return { webhook: mlflowWebhookView(await this.queries.get(webhookId, 'mlflow')) };
  }

  @Delete(':webhook_id')
  @Answers(WEBHOOK_ANSWERS.empty)
  @Authorize(Rules.admin())
  async delete(@Param('webhook_id') webhookId: string, @RequestMeta() meta: CommandMetadata) {
    await this.webhooks.delete(webhookId, 'mlflow', meta);
    return {};
  }

  /** Sends an example of the event (the webhook's first when none is named) and answers what came back. */
  @Post(':webhook_id/test')
  @HttpCode(200)
  @Answers(WEBHOOK_ANSWERS.testResult)
  @Authorize(Rules.admin())
  async test(@Param('webhook_id') webhookId: string, @Body() dto: TestWebhookDto) {
    const webhook = await this.queries.get(webhookId, 'mlflow');
    const outcome = await this.webhooks.test(webhook, dto.event ? mlflowEventKey(dto.event) : undefined);
    if (outcome.statusCode === null) {
      return { result: { success: false, error_message: `Failed to test webhook: ${outcome.error}` } };
    }
    return {
      result: {
        success: outcome.statusCode < 400,
        response_status: outcome.statusCode,
        response_body: outcome.responseBody ?? '',
      },
    };
  }
}
