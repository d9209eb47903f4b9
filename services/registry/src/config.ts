import { IsOptional, IsString } from 'class-validator';
import { AuditedServiceEnvironment, auditSettings, AuditSettings } from '@logbook/audit';
import { IntegerSetting, loadConfig, ServiceConfig, serviceConfig } from '@logbook/platform';
import { readPoliciesFile } from './governance/policies-file';
import { PolicyDefinition } from './governance/policy-definition';

/** The environment the registry reads, validated at start: the shared service settings and its own. */
export class RegistryEnvironment extends AuditedServiceEnvironment {
  @IntegerSetting(0, 60_000)
  LOGBOOK_REGISTRATION_WAIT_MS = 3000;

  /** A YAML or JSON file of approval policies, applied at every start. */
  @IsOptional()
  @IsString()
  LOGBOOK_POLICIES_FILE?: string;
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
}

export function loadRegistryConfig(env: NodeJS.ProcessEnv = process.env): RegistryConfig {
  const raw = loadConfig('registry', RegistryEnvironment, env);
  return {
    ...serviceConfig(raw, 'registry'),
    registrationWaitMs: raw.LOGBOOK_REGISTRATION_WAIT_MS,
    audit: auditSettings('registry', raw),
    policies: raw.LOGBOOK_POLICIES_FILE ? readPoliciesFile(raw.LOGBOOK_POLICIES_FILE) : [],
  };
}
