import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SYSTEM_METADATA } from '@logbook/platform';
import { WEBHOOK_DELIVERY } from '../../shared/tokens';
import { WebhooksService } from '../webhooks.service';
import { WebhookDeliveryWorker } from './delivery-worker';

/** Starts the delivery worker with the app, recording pauses through the webhooks' own service. */
@Injectable()
export class WebhookDeliveryLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    @Inject(WEBHOOK_DELIVERY) private readonly delivery: WebhookDeliveryWorker,
    private readonly webhooks: WebhooksService,
  ) {}

  onApplicationBootstrap(): void {
    const metadata = () => ({ ...SYSTEM_METADATA(), requestId: 'webhook-delivery' });
    this.delivery.start({
      pause: (webhookId, reason) => this.webhooks.pause(webhookId, reason, metadata()),
      resume: (webhookId, reason) => this.webhooks.resume(webhookId, reason, metadata()),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.delivery.stop();
  }
}
