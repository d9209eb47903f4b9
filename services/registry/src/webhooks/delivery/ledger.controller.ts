import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { Authorize, Rules } from '@logbook/access';
import { Answers, CommandMetadata, RequestMeta } from '@logbook/platform';
import { WEBHOOK_DELIVERY } from '../../shared/tokens';
import { WebhooksService } from '../webhooks.service';
import { WebhookDeliveryWorker } from './delivery-worker';
import { ListDeliveriesDto, RedeliverRangeDto } from './ledger.dto';
import { LedgerQueries } from './ledger.queries';
import { LEDGER_ANSWERS } from './ledger.wire-schemas';

/**
 * Beyond MLflow: each webhook's delivery ledger (what was queued, every attempt, the exact body sent),
 * where its deliveries stand, and redelivery. Admins only, as MLflow's webhook routes are.
 */
@Controller(['api/2.0/logbook/webhooks/:webhook_id', 'ajax-api/2.0/logbook/webhooks/:webhook_id'])
export class LedgerController {
  constructor(
    private readonly ledger: LedgerQueries,
    private readonly webhooks: WebhooksService,
    @Inject(WEBHOOK_DELIVERY) private readonly delivery: WebhookDeliveryWorker,
  ) {}

  @Get()
  @Answers(LEDGER_ANSWERS.state)
  @Authorize(Rules.admin())
  async state(@Param('webhook_id') webhookId: string) {
    return { webhook: await this.ledger.summary(webhookId) };
  }

  /** Resumes a paused webhook now rather than at its next probe: its waiting deliveries are due at once. */
  @Post('resume')
  @HttpCode(200)
  @Answers(LEDGER_ANSWERS.state)
  @Authorize(Rules.admin())
  async resume(@Param('webhook_id') webhookId: string, @RequestMeta() meta: CommandMetadata) {
    await this.ledger.webhook(webhookId);
    await this.webhooks.resume(webhookId, `resumed by ${meta.actor.name}`, meta);
    await this.ledger.dueNow(webhookId, meta.now);
    this.delivery.wake();
    return { webhook: await this.ledger.summary(webhookId) };
  }

  @Get('deliveries')
  @Answers(LEDGER_ANSWERS.deliveries)
  @Authorize(Rules.admin())
  list(@Param('webhook_id') webhookId: string, @Query() dto: ListDeliveriesDto) {
    return this.ledger.list(webhookId, dto);
  }

  @Get('deliveries/:delivery_id')
  @Answers(LEDGER_ANSWERS.delivery)
  @Authorize(Rules.admin())
  async get(@Param('webhook_id') webhookId: string, @Param('delivery_id') deliveryId: string) {
    return { delivery: await this.ledger.get(webhookId, deliveryId) };
  }

  @Post('deliveries/:delivery_id/redeliver')
  @HttpCode(200)
  @Answers(LEDGER_ANSWERS.requeued)
  @Authorize(Rules.admin())
  async redeliver(@Param('webhook_id') webhookId: string, @Param('delivery_id') deliveryId: string) {
    const delivery = await this.ledger.redeliver(webhookId, deliveryId, Date.now());
    this.delivery.wake();
    return { delivery };
  }

  @Post('redeliver')
  @HttpCode(200)
  @Answers(LEDGER_ANSWERS.requeuedRange)
  @Authorize(Rules.admin())
  async redeliverRange(@Param('webhook_id') webhookId: string, @Body() dto: RedeliverRangeDto) {
    const redelivered = await this.ledger.redeliverRange(
      webhookId,
      { start: dto.start_time, end: dto.end_time, status: dto.status ?? 'DEAD' },
      Date.now(),
    );
    this.delivery.wake();
    return { redelivered };
  }
}
