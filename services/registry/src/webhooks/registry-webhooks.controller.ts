import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { Authorize, ownerOf, param, permissionDenied, RequestPrincipal, Rules } from '@logbook/access';
import { Answers, CommandMetadata, MlflowError, Principal, RequestMeta } from '@logbook/platform';
import { REGISTERED_MODEL } from '../shared/access';
import { mlflowRoutes } from '../shared/routes';
import { checkDatabricksEvents } from './webhook-validation';
import { databricksWebhookView } from './webhook.views';
import { WebhookStatus } from './webhook.events';
import {
  CreateRegistryWebhookDto,
  ListRegistryWebhooksDto,
  RegistryWebhookIdDto,
  TestRegistryWebhookDto,
  UpdateRegistryWebhookDto,
} from './webhooks.dto';
import { WebhooksQueries } from './webhooks.queries';
import { WebhooksService } from './webhooks.service';
import { WEBHOOK_ANSWERS } from './webhooks.wire-schemas';

/** MANAGE on the model a webhook is about (named in the request, or the webhook's own). */
const manageNamedModel = Rules.on(REGISTERED_MODEL, 'manage', param('model_name'));
const manageWebhookModel = Rules.on(REGISTERED_MODEL, 'manage', ownerOf(WebhooksQueries, 'id'));

/** A registry-wide webhook (no model) sees every model's events: only admins may see or change one. */
function checkRegistryWide(modelName: string | null | undefined, principal: Principal | null): void {
  if (modelName == null && principal && !principal.isAdmin) throw permissionDenied();
}

/**
 * Databricks' registry webhooks (Workspace Model Registry), on MLflow's prefixes: a webhook about one
 * model takes MANAGE on it; a registry-wide one takes an admin.
 */
@Controller(mlflowRoutes('registry-webhooks'))
export class RegistryWebhooksController {
  constructor(
    private readonly webhooks: WebhooksService,
    private readonly queries: WebhooksQueries,
  ) {}

  @Post('create')
  @HttpCode(200)
  @Answers(WEBHOOK_ANSWERS.registryWebhook)
  @Authorize(manageNamedModel)
  async create(
    @Body() dto: CreateRegistryWebhookDto,
    @RequestMeta() meta: CommandMetadata,
    @RequestPrincipal() principal: Principal | null,
  ) {
    checkRegistryWide(dto.model_name, principal);
    const webhookId = await this.webhooks.createDatabricks(
      {
        events: dto.events,
        description: dto.description,
        modelName: dto.model_name,
        status: dto.status as WebhookStatus | undefined,
        httpUrlSpec: dto.http_url_spec,
        jobSpec: dto.job_spec,
      },
      meta,
    );
    return { webhook: databricksWebhookView(await this.queries.get(webhookId, 'databricks')) };
  }

  /** Newest first; of one model, and subscribed to any of `events`, when given. */
  @Get('list')
  @Answers(WEBHOOK_ANSWERS.registryWebhooks)
  @Authorize(manageNamedModel)
  async list(@Query() dto: ListRegistryWebhooksDto, @RequestPrincipal() principal: Principal | null) {
    checkRegistryWide(dto.model_name, principal);
    const page = await this.queries.list('databricks', {
      maxResults: dto.max_results,
      pageToken: dto.page_token,
      modelName: dto.model_name,
      events: dto.events,
    });
    return {
      webhooks: page.rows.map(databricksWebhookView),
      ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
    };
  }

  @Patch('update')
  @Answers(WEBHOOK_ANSWERS.registryWebhook)
  @Authorize(manageWebhookModel)
  async update(
    @Body() dto: UpdateRegistryWebhookDto,
    @RequestMeta() meta: CommandMetadata,
    @RequestPrincipal() principal: Principal | null,
  ) {
    checkRegistryWide((await this.queries.get(dto.id, 'databricks')).model_name, principal);
    await this.webhooks.updateDatabricks(
      dto.id,
      {
        events: dto.events,
        description: dto.description,
        status: dto.status as WebhookStatus | undefined,
        httpUrlSpec: dto.http_url_spec,
        jobSpec: dto.job_spec,
      },
      meta,
    );
    return { webhook: databricksWebhookView(await this.queries.get(dto.id, 'databricks')) };
  }

  /** The id is a query parameter, as Databricks' SDK sends it. */
  @Delete('delete')
  @Answers(WEBHOOK_ANSWERS.empty)
  @Authorize(manageWebhookModel)
  async delete(
    @Query() dto: RegistryWebhookIdDto,
    @RequestMeta() meta: CommandMetadata,
    @RequestPrincipal() principal: Principal | null,
  ) {
    checkRegistryWide((await this.queries.get(dto.id, 'databricks')).model_name, principal);
    await this.webhooks.delete(dto.id, 'databricks', meta);
    return {};
  }

  /**
   * Sends an example of the event (the webhook's first when none is named), also to a webhook in
   * TEST_MODE, and answers the receiver's status and body: under `webhook`, as Databricks' REST API
   * answers, and at the top level, where Databricks' SDK reads them.
   */
  @Post('test')
  @HttpCode(200)
  @Answers(WEBHOOK_ANSWERS.registryTestResult)
  @Authorize(manageWebhookModel)
  async test(@Body() dto: TestRegistryWebhookDto, @RequestPrincipal() principal: Principal | null) {
    const webhook = await this.queries.get(dto.id, 'databricks');
    checkRegistryWide(webhook.model_name, principal);
    if (dto.event !== undefined) checkDatabricksEvents([dto.event]);
    const outcome = await this.webhooks.test(webhook, dto.event);
    // Not a 5xx: the SDK would retry it for minutes.
    if (outcome.statusCode === null) throw new MlflowError('BAD_REQUEST', `Failed to test webhook: ${outcome.error}`);
    const answered = { body: outcome.responseBody ?? '', status_code: outcome.statusCode };
    return { webhook: answered, ...answered };
  }
}
