import type { WebhookSettings } from './webhook-settings';

/** The longest wait a receiver's Retry-After is obeyed to: beyond it the delivery is tried again anyway. */
export const MAX_RETRY_AFTER_MS = 3600 * 1000;
/** MLflow's urllib3 retries add up to one second of jitter (backoff_jitter=1.0). */
const JITTER_MS = 1000;

/**
 * How long to wait before the next attempt after `failedAttempts` (≥ 1) failures in a row:
 * exponential backoff from backoffBaseMs, capped at backoffMaxMs, plus up to a second of jitter
 * so that deliveries failed together do not return together; never sooner than the receiver's
 * Retry-After asked, up to an hour.
 */
export function retryDelayMs(
  failedAttempts: number,
  settings: Pick<WebhookSettings, 'backoffBaseMs' | 'backoffMaxMs'>,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, Math.floor(failedAttempts) - 1);
  const backoff = Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** Math.min(exponent, 52));
  const delay = Math.round(backoff + random() * JITTER_MS);
  return retryAfterMs === null ? delay : Math.max(delay, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
}

/**
 * A Retry-After header in milliseconds from `now`: delay-seconds or an HTTP date (a date past is 0);
 * null when absent or neither.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[A-Za-z]/.test(text)) return null;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
