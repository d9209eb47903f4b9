import { ConfigError } from '@logbook/platform';
import type { RegistryEnvironment } from '../../config';
import { parseCidr } from './address-policy';
import { SecretBox } from './secret-box';

/** How the registry delivers webhooks: where it may send them, how long it tries, how it keeps secrets. */
export interface WebhookSettings {
  /** The URL schemes a webhook may use (MLflow: https only, http for local development). */
  allowedSchemes: string[];
  /** Whether webhooks may target private, loopback and link-local addresses: SSRF protection off. */
  allowPrivateIps: boolean;
  /** Networks (CIDR) webhooks may target although they are not public. */
  allowedNetworks: readonly string[];
  requestTimeoutMs: number;
  /** Failed attempts in a row beyond which a webhook is paused, then probed every backoffMaxMs. */
  maxRetries: number;
  /** Encrypts webhook secrets at rest; null when no key is set. */
  secretBox: SecretBox | null;
  /** A delivery is dead-lettered after this many attempts ... */
  maxAttempts: number;
  /** ... or once it is older than this. */
  maxAgeMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** How long a rotated-out secret still signs deliveries, beside the new one. */
  rotationOverlapMs: number;
  /** Deliveries in flight at once. */
  concurrency: number;
}

export type WebhookEnvironment = Pick<
  RegistryEnvironment,
  | 'MLFLOW_WEBHOOK_ALLOWED_SCHEMES'
  | 'MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS'
  | 'LOGBOOK_WEBHOOK_ALLOWED_NETWORKS'
  | 'MLFLOW_WEBHOOK_REQUEST_TIMEOUT'
  | 'MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES'
  | 'MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY'
  | 'LOGBOOK_WEBHOOK_MAX_ATTEMPTS'
  | 'LOGBOOK_WEBHOOK_MAX_AGE_S'
  | 'LOGBOOK_WEBHOOK_BACKOFF_BASE_MS'
  | 'LOGBOOK_WEBHOOK_BACKOFF_MAX_MS'
  | 'LOGBOOK_WEBHOOK_SECRET_ROTATION_OVERLAP_S'
  | 'LOGBOOK_WEBHOOK_CONCURRENCY'
>;

/** The webhook settings of the validated environment; throws a ConfigError naming each variable that is wrong. */
export function webhookSettings(env: WebhookEnvironment, service = 'registry'): WebhookSettings {
  const problems: string[] = [];
  const allowedNetworks = commaList(env.LOGBOOK_WEBHOOK_ALLOWED_NETWORKS);
  for (const network of allowedNetworks.filter((text) => parseCidr(text) === null)) {
    problems.push(
      `LOGBOOK_WEBHOOK_ALLOWED_NETWORKS: ${JSON.stringify(network)} is not a CIDR network (a.b.c.d/n or ipv6/n)`,
    );
  }
  if (env.LOGBOOK_WEBHOOK_BACKOFF_BASE_MS > env.LOGBOOK_WEBHOOK_BACKOFF_MAX_MS) {
    problems.push('LOGBOOK_WEBHOOK_BACKOFF_BASE_MS: must not exceed LOGBOOK_WEBHOOK_BACKOFF_MAX_MS');
  }
  let secretBox: SecretBox | null = null;
  if (env.MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY !== undefined) {
    try {
      secretBox = SecretBox.fromKey(env.MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY);
    } catch (error) {
      problems.push(`MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(service, problems);
  return {
    // URL schemes are compared lower-cased, as a URL's own scheme is read.
    allowedSchemes: commaList(env.MLFLOW_WEBHOOK_ALLOWED_SCHEMES ?? 'https').map((scheme) => scheme.toLowerCase()),
    allowPrivateIps: ['true', '1'].includes((env.MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS ?? 'false').toLowerCase()),
    allowedNetworks,
    requestTimeoutMs: env.MLFLOW_WEBHOOK_REQUEST_TIMEOUT * 1000,
    maxRetries: env.MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES,
    secretBox,
    maxAttempts: env.LOGBOOK_WEBHOOK_MAX_ATTEMPTS,
    maxAgeMs: env.LOGBOOK_WEBHOOK_MAX_AGE_S * 1000,
    backoffBaseMs: env.LOGBOOK_WEBHOOK_BACKOFF_BASE_MS,
    backoffMaxMs: env.LOGBOOK_WEBHOOK_BACKOFF_MAX_MS,
    rotationOverlapMs: env.LOGBOOK_WEBHOOK_SECRET_ROTATION_OVERLAP_S * 1000,
    concurrency: env.LOGBOOK_WEBHOOK_CONCURRENCY,
  };
}

/** A comma-separated list, each item trimmed, as MLflow splits MLFLOW_WEBHOOK_ALLOWED_SCHEMES. */
function commaList(text: string | undefined): string[] {
  return text === undefined || text.trim() === '' ? [] : text.split(',').map((item) => item.trim());
}
