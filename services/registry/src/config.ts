import { readFileSync } from 'node:fs';
import { IsOptional, IsString } from 'class-validator';
import { signingKeyFromPem, SigningKey } from '@logbook/audit';
import {
  ConfigError,
  IntegerSetting,
  loadConfig,
  ServiceConfig,
  serviceConfig,
  ServiceEnvironment,
} from '@logbook/platform';
import { readPoliciesFile } from './governance/policies-file';
import { PolicyDefinition } from './governance/policy-definition';

/** The environment the registry reads, validated at start: the shared service settings and its own. */
export class RegistryEnvironment extends ServiceEnvironment {
  @IntegerSetting(0, 60_000)
  LOGBOOK_REGISTRATION_WAIT_MS = 3000;

  @IntegerSetting(1, 24 * 3600)
  LOGBOOK_AUDIT_CHECKPOINT_INTERVAL_S = 300;

  @IsOptional()
  @IsString()
  LOGBOOK_AUDIT_SIGNING_KEY_FILE?: string;

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
  audit: {
    /** How often the audit trail's head is signed. */
    checkpointIntervalMs: number;
    /** The key that signs it; absent: a key generated for the database and kept in it. */
    signingKey?: SigningKey;
  };
  /** The approval policies of LOGBOOK_POLICIES_FILE, checked: recorded at start when they changed. */
  policies: PolicyDefinition[];
}

/** The Ed25519 private key in a PEM file, read at start so that a wrong one stops the service at once. */
function signingKeyFile(path: string): SigningKey {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('registry', [
      `LOGBOOK_AUDIT_SIGNING_KEY_FILE: cannot read ${path}: ${(error as Error).message}`,
    ]);
  }
  try {
    return signingKeyFromPem(pem);
  } catch (error) {
    throw new ConfigError('registry', [`LOGBOOK_AUDIT_SIGNING_KEY_FILE: ${path} is ${(error as Error).message}`]);
  }
}

export function loadRegistryConfig(env: NodeJS.ProcessEnv = process.env): RegistryConfig {
  const raw = loadConfig('registry', RegistryEnvironment, env);
  const keyFile = raw.LOGBOOK_AUDIT_SIGNING_KEY_FILE;
  return {
    ...serviceConfig(raw, 'registry'),
    registrationWaitMs: raw.LOGBOOK_REGISTRATION_WAIT_MS,
    audit: {
      checkpointIntervalMs: raw.LOGBOOK_AUDIT_CHECKPOINT_INTERVAL_S * 1000,
      ...(keyFile ? { signingKey: signingKeyFile(keyFile) } : {}),
    },
    policies: raw.LOGBOOK_POLICIES_FILE ? readPoliciesFile(raw.LOGBOOK_POLICIES_FILE) : [],
  };
}
