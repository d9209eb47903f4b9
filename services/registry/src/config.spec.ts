import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { keyIdOf } from '@logbook/audit';
import { loadRegistryConfig } from './config';

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
