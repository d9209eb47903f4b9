import { ConfigError, Queryable } from '@logbook/platform';
import { SecretBox } from './delivery/secret-box';

/**
 * Every ciphertext the webhooks hold: secrets (any still signing) and Databricks' Authorization headers.
 * Read at start, so a registry that could not sign its deliveries refuses to run instead.
 */
async function storedCiphertexts(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ ciphertext: string }>(
    `SELECT secret->>'ciphertext' AS ciphertext FROM registry.webhooks, jsonb_array_elements(secrets) AS secret
     UNION ALL
     SELECT authorization_header FROM registry.webhooks WHERE authorization_header IS NOT NULL`,
  );
  return rows.map((row) => row.ciphertext);
}

const KEY = 'MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY';

/**
 * Refuses to start when stored webhooks hold secrets and no key is configured, or the key configured
 * is not the one they were encrypted with.
 */
export async function checkWebhookSecretsReadable(db: Queryable, secretBox: SecretBox | null): Promise<void> {
  const ciphertexts = await storedCiphertexts(db);
  if (ciphertexts.length === 0) return;
  if (!secretBox) {
    throw new ConfigError('registry', [
      `${KEY} is not set, but ${ciphertexts.length} stored webhook secret(s) were encrypted with one: set it to the key they were encrypted with.`,
    ]);
  }
  for (const ciphertext of ciphertexts) {
    try {
      secretBox.decrypt(ciphertext);
    } catch {
      throw new ConfigError('registry', [
        `${KEY} cannot decrypt the stored webhook secrets: it is not the key they were encrypted with.`,
      ]);
    }
  }
}
