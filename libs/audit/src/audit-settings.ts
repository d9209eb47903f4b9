import { readFileSync } from 'node:fs';
import { IsOptional, IsString } from 'class-validator';
import { ConfigError, Database, IntegerSetting, Logger, ServiceEnvironment } from '@logbook/platform';
import { AuditCheckpointer, loadSigningKey, SigningKey, signingKeyFromPem } from './checkpoints';

/** The environment of a service that keeps an audit trail: the shared service settings and how it signs. */
export class AuditedServiceEnvironment extends ServiceEnvironment {
  @IntegerSetting(1, 24 * 3600)
  LOGBOOK_AUDIT_CHECKPOINT_INTERVAL_S = 300;

  @IsOptional()
  @IsString()
  LOGBOOK_AUDIT_SIGNING_KEY_FILE?: string;
}

export interface AuditSettings {
  /** How often the audit trail's head is signed. */
  checkpointIntervalMs: number;
  /** The key that signs it; absent: a key generated for the database and kept in it. */
  signingKey?: SigningKey;
}

/** The Ed25519 private key in a PEM file, read at start so that a wrong one stops the service at once. */
function signingKeyFile(service: string, path: string): SigningKey {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(service, [
      `LOGBOOK_AUDIT_SIGNING_KEY_FILE: cannot read ${path}: ${(error as Error).message}`,
    ]);
  }
  try {
    return signingKeyFromPem(pem);
  } catch (error) {
    throw new ConfigError(service, [`LOGBOOK_AUDIT_SIGNING_KEY_FILE: ${path} is ${(error as Error).message}`]);
  }
}

export function auditSettings(service: string, env: AuditedServiceEnvironment): AuditSettings {
  const keyFile = env.LOGBOOK_AUDIT_SIGNING_KEY_FILE;
  return {
    checkpointIntervalMs: env.LOGBOOK_AUDIT_CHECKPOINT_INTERVAL_S * 1000,
    ...(keyFile ? { signingKey: signingKeyFile(service, keyFile) } : {}),
  };
}

/** Signs the head of the audit trail in `schema` every configured interval, until the checkpointer stops. */
export async function startAuditCheckpoints(
  db: Database,
  schema: string,
  settings: AuditSettings,
  logger: Logger,
): Promise<AuditCheckpointer> {
  const { key, generated } = await loadSigningKey(db, schema, settings.signingKey);
  if (generated) {
    logger.warn(
      { keyId: key.keyId },
      `audit checkpoints are signed with a key generated for this database and kept in ${schema}.audit_signing_keys; ` +
        'set LOGBOOK_AUDIT_SIGNING_KEY_FILE to sign with a key kept elsewhere',
    );
  }
  const checkpointer = new AuditCheckpointer(db, schema, key, (error) =>
    logger.error({ err: error }, 'audit checkpoint failed'),
  );
  checkpointer.start(settings.checkpointIntervalMs);
  return checkpointer;
}
