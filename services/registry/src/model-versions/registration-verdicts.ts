import { Inject, Injectable } from '@nestjs/common';
import { Announcements } from '@logbook/messaging';
import { REGISTRATION_VERDICTS } from '../shared/tokens';
import { ModelVersionView } from './model-versions.queries';

export interface RegistrationVerdictsSource {
  announcements: Announcements;
  waitMs: number;
}

/**
 * A new version is PENDING_REGISTRATION until the artifacts service has verified and copied its source,
 * usually well within a second. The create answer waits for that verdict (up to the configured time), so
 * the caller sees READY or FAILED_REGISTRATION at once, as MLflow's own server answers.
 */
@Injectable()
export class RegistrationVerdicts {
  constructor(@Inject(REGISTRATION_VERDICTS) private readonly source: RegistrationVerdictsSource) {}

  /** The version as `lookup` reads it once its registration is decided, or as it stands when the wait ends. */
  async settled(lookup: () => Promise<ModelVersionView>): Promise<ModelVersionView> {
    const first = await lookup();
    if (first.status !== 'PENDING_REGISTRATION' || this.source.waitMs === 0) return first;
    let latest = first;
    const decided = await this.source.announcements.until(async () => {
      latest = await lookup();
      return latest.status === 'PENDING_REGISTRATION' ? undefined : latest;
    }, this.source.waitMs);
    return decided ?? latest;
  }
}
