import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { keyIdOf } from '@logbook/audit';
import { loadRegistryConfig } from './config';
import { SecretBox } from './webhooks/delivery/secret-box';

describe('registry configuration of the audit trail', () => {
  const dir = mkdtempSync(join(tmpdir(), 'registry-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const pemFile = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('checkpoints every 300 s with a generated key by default', () => {
    const { audit } = loadRegistryConfig({});
    assert.deepEqual(audit, { checkpointIntervalMs: 300_000 });
  });

  it('reads the Ed25519 signing key at start', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const path = pemFile('audit.pem', privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const { audit } = loadRegistryConfig({
      LOGBOOK_AUDIT_SIGNING_KEY_FILE: path,
      LOGBOOK_AUDIT_CHECKPOINT_INTERVAL_S: '60',
    });
    assert.equal(audit.checkpointIntervalMs, 60_000);
    assert.equal(audit.signingKey?.keyId, keyIdOf(publicKey));
  });

  it('fails at start naming the variable and what is wrong', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    for (const [env, message] of [
      [{ LOGBOOK_AUDIT_SIGNING_KEY_FILE: join(dir, 'missing.pem') }, /LOGBOOK_AUDIT_SIGNING_KEY_FILE: cannot read/],
      [
        { LOGBOOK_AUDIT_SIGNING_KEY_FILE: pemFile('rsa.pem', rsa.toString()) },
        /an Ed25519 key is needed, this one is rsa/,
      ],
      [{ LOGBOOK_AUDIT_SIGNING_KEY_FILE: pemFile('junk.pem', 'not a key') }, /is not a PEM private key/],
      [{ LOGBOOK_AUDIT_CHECKPOINT_INTERVAL_S: '0' }, /LOGBOOK_AUDIT_CHECKPOINT_INTERVAL_S/],
    ] as const) {
      assert.throws(() => loadRegistryConfig(env), message);
    }
  });
});

describe('registry configuration of webhooks', () => {
  const key = '8ybEvgbGN0J0WZ0lUekBZEN6lTU0rQ1eNSGxeRMiwZI=';

  it("defaults to MLflow's: https only, no private addresses, 30 s, 3 retries, no encryption key", () => {
    const { webhooks } = loadRegistryConfig({});
    assert.deepEqual(webhooks, {
      allowedSchemes: ['https'],
      allowPrivateIps: false,
      allowedNetworks: [],
      requestTimeoutMs: 30_000,
      maxRetries: 3,
      secretBox: null,
      maxAttempts: 100,
      maxAgeMs: 259_200_000,
      backoffBaseMs: 1000,
      backoffMaxMs: 60_000,
      rotationOverlapMs: 86_400_000,
      concurrency: 128,
    });
  });

  it('reads every variable', () => {
    const { webhooks } = loadRegistryConfig({
      MLFLOW_WEBHOOK_ALLOWED_SCHEMES: ' http , HTTPS',
      MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS: 'TRUE',
      LOGBOOK_WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8, fd00::/8',
      MLFLOW_WEBHOOK_REQUEST_TIMEOUT: '5',
      MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES: '0',
      MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY: key,
      LOGBOOK_WEBHOOK_MAX_ATTEMPTS: '7',
      LOGBOOK_WEBHOOK_MAX_AGE_S: '3600',
      LOGBOOK_WEBHOOK_BACKOFF_BASE_MS: '10',
      LOGBOOK_WEBHOOK_BACKOFF_MAX_MS: '100',
      LOGBOOK_WEBHOOK_SECRET_ROTATION_OVERLAP_S: '0',
      LOGBOOK_WEBHOOK_CONCURRENCY: '4',
    });
    const { secretBox, ...rest } = webhooks;
    assert.deepEqual(rest, {
      allowedSchemes: ['http', 'https'],
      allowPrivateIps: true,
      allowedNetworks: ['127.0.0.0/8', 'fd00::/8'],
      requestTimeoutMs: 5000,
      maxRetries: 0,
      maxAttempts: 7,
      maxAgeMs: 3_600_000,
      backoffBaseMs: 10,
      backoffMaxMs: 100,
      rotationOverlapMs: 0,
      concurrency: 4,
    });
    assert.equal(secretBox?.decrypt(SecretBox.fromKey(key).encrypt('s')), 's');
  });

  it('reads MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS as MLflow does: true, false, 1 or 0 in any case', () => {
    for (const [value, expected] of [
      ['1', true],
      ['True', true],
      ['0', false],
      ['FALSE', false],
    ] as const) {
      assert.equal(loadRegistryConfig({ MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS: value }).webhooks.allowPrivateIps, expected);
    }
  });

  it('fails at start naming the variable and what is wrong', () => {
    for (const [env, message] of [
      [
        { MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS: 'yes' },
        /MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS must be one of \['true', 'false', '1', '0'\]/,
      ],
      [
        { MLFLOW_WEBHOOK_ALLOWED_SCHEMES: 'https,' },
        /MLFLOW_WEBHOOK_ALLOWED_SCHEMES must be URL schemes separated by commas/,
      ],
      [{ MLFLOW_WEBHOOK_ALLOWED_SCHEMES: 'https://' }, /MLFLOW_WEBHOOK_ALLOWED_SCHEMES must be URL schemes/],
      [
        { LOGBOOK_WEBHOOK_ALLOWED_NETWORKS: '10.0.0.0/8,10.0.0.0/33' },
        /LOGBOOK_WEBHOOK_ALLOWED_NETWORKS: "10.0.0.0\/33" is not a CIDR network/,
      ],
      [
        { LOGBOOK_WEBHOOK_ALLOWED_NETWORKS: 'localhost' },
        /LOGBOOK_WEBHOOK_ALLOWED_NETWORKS: "localhost" is not a CIDR/,
      ],
      [
        { MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY: 'not-a-key' },
        /MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY: a Fernet key is 32 bytes/,
      ],
      [{ MLFLOW_WEBHOOK_REQUEST_TIMEOUT: '0' }, /MLFLOW_WEBHOOK_REQUEST_TIMEOUT/],
      [{ MLFLOW_WEBHOOK_REQUEST_TIMEOUT: '2.5' }, /MLFLOW_WEBHOOK_REQUEST_TIMEOUT/],
      [{ MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES: '-1' }, /MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES/],
      [{ LOGBOOK_WEBHOOK_MAX_ATTEMPTS: '0' }, /LOGBOOK_WEBHOOK_MAX_ATTEMPTS/],
      [{ LOGBOOK_WEBHOOK_MAX_AGE_S: '0' }, /LOGBOOK_WEBHOOK_MAX_AGE_S/],
      [{ LOGBOOK_WEBHOOK_BACKOFF_BASE_MS: '0' }, /LOGBOOK_WEBHOOK_BACKOFF_BASE_MS/],
      [{ LOGBOOK_WEBHOOK_BACKOFF_MAX_MS: 'never' }, /LOGBOOK_WEBHOOK_BACKOFF_MAX_MS/],
      [
        { LOGBOOK_WEBHOOK_BACKOFF_BASE_MS: '5000', LOGBOOK_WEBHOOK_BACKOFF_MAX_MS: '1000' },
        /LOGBOOK_WEBHOOK_BACKOFF_BASE_MS: must not exceed LOGBOOK_WEBHOOK_BACKOFF_MAX_MS/,
      ],
      [{ LOGBOOK_WEBHOOK_CONCURRENCY: '0' }, /LOGBOOK_WEBHOOK_CONCURRENCY/],
    ] as const) {
      assert.throws(() => loadRegistryConfig(env), message);
    }
  });
});
