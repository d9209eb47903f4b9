import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Logger, SYSTEM_METADATA } from '@logbook/platform';
import { REGISTRY_LOGGER } from '../shared/tokens';
import { TransitionRequestsService } from './transition-requests.service';

/** How often open requests past their time are closed; an approval or a new request closes one at once anyway. */
const SWEEP_INTERVAL_MS = 30_000;

/** Closes open transition requests whose policy's time ran out, so lists and events show them expired. */
@Injectable()
export class TransitionRequestExpiry implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> = Promise.resolve();

  constructor(
    private readonly requests: TransitionRequestsService,
    @Inject(REGISTRY_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.sweeping = this.requests
        .expireDue({ ...SYSTEM_METADATA(), requestId: 'request-expiry' })
        .then(() => undefined)
        .catch((error: unknown) => this.logger.warn({ err: error }, 'expiring transition requests failed'));
    }, SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }
}
