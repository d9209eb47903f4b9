import { IsOptional, IsString, Matches } from 'class-validator';
import { AuditedServiceEnvironment, auditSettings, AuditSettings } from '@logbook/audit';
import { IntegerSetting, loadConfig, ServiceConfig, serviceConfig } from '@logbook/platform';
import { readPoliciesFile } from './governance/policies-file';
import { PolicyDefinition } from './governance/policy-definition';
import { webhookSettings, WebhookSettings } from './webhooks/delivery/webhook-settings';

/** The environment the registry reads, validated at start: the shared service settings and its own. */
export class RegistryEnvironment extends AuditedServiceEnvironment {
  @IntegerSetting(0, 60_000)
  LOGBOOK_REGISTRATION_WAIT_MS = 3000;

  /** A YAML or JSON file of approval policies, applied at every start. */
  @IsOptional()
  @IsString()
  LOGBOOK_POLICIES_FILE?: string;

  /** The URL schemes webhooks may use, comma-separated (MLflow's default: https only). */
  @IsOptional()
  @Matches(/^\s*[A-Za-z][A-Za-z0-9+.-]*\s*(,\s*[A-Za-z][A-Za-z0-9+.-]*\s*)*$/, {
    message: 'MLFLOW_WEBHOOK_ALLOWED_SCHEMES must be URL schemes separated by commas, such as "http,https"',
  })
  MLFLOW_WEBHOOK_ALLOWED_SCHEMES?: string;

  /** Turns SSRF protection off: webhooks may target private, loopback and link-local addresses. */
  @IsOptional()
  @Matches(/^(true|false|1|0)$/i, {
    message: "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS must be one of ['true', 'false', '1', '0'] (case-insensitive)",
  })
  MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS?: string;

  /** Networks (CIDR, comma-separated) webhooks may target although they are not public. */
  @IsOptional()
  @IsString()
  LOGBOOK_WEBHOOK_ALLOWED_NETWORKS?: string;

  /** Seconds a webhook request may take in all. */
  @IntegerSetting(1, 3600)
  MLFLOW_WEBHOOK_REQUEST_TIMEOUT = 30;

  /** Failed deliveries in a row after which a webhook is paused (0: after the first). */
  @IntegerSetting(0, 1000)
  MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES = 3;

  /** The Fernet key that encrypts webhook secrets at rest. */
  @IsOptional()
  @IsString()
  MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY?: string;

  @IntegerSetting(1, 1_000_000)
  LOGBOOK_WEBHOOK_MAX_ATTEMPTS = 100;

  @IntegerSetting(1, 365 * 24 * 3600)
  LOGBOOK_WEBHOOK_MAX_AGE_S = 72 * 3600;

  @IntegerSetting(1, 3600 * 1000)
  LOGBOOK_WEBHOOK_BACKOFF_BASE_MS = 1000;

  @IntegerSetting(1, 24 * 3600 * 1000)
  LOGBOOK_WEBHOOK_BACKOFF_MAX_MS = 60_000;

  /** Seconds a replaced webhook secret still signs deliveries beside the new one (0: not at all). */
  @IntegerSetting(0, 365 * 24 * 3600)
  LOGBOOK_WEBHOOK_SECRET_ROTATION_OVERLAP_S = 24 * 3600;

  @IntegerSetting(1, 10_000)
  LOGBOOK_WEBHOOK_CONCURRENCY = 128;
}

export interface RegistryConfig extends ServiceConfig {
  /**
   * How long model-versions/create waits for the artifacts service's verdict before it answers
   * PENDING_REGISTRATION. The official client polls a pending version only every 3 s, so a verdict
   * reached within that time reaches the caller sooner through the create answer.
   */
  registrationWaitMs: number;
  audit: AuditSettings;
  /** The approval policies of LOGBOOK_POLICIES_FILE, checked: recorded at start when they changed. */
  policies: PolicyDefinition[];
  webhooks: WebhookSettings;
}

export function loadRegistryConfig(env: NodeJS.ProcessEnv = process.env): RegistryConfig {
  const raw = loadConfig('registry', RegistryEnvironment, env);
  return {
    ...serviceConfig(raw, 'registry'),
    registrationWaitMs: raw.LOGBOOK_REGISTRATION_WAIT_MS,
    audit: auditSettings('registry', raw),
    policies: raw.LOGBOOK_POLICIES_FILE ? readPoliciesFile(raw.LOGBOOK_POLICIES_FILE) : [],
    webhooks: webhookSettings(raw),
  };
}
