import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { Database, Queryable } from '@logbook/platform';
import { auditHead } from './audit-log';
import { canonicalJson } from './canonical-json';

/** A signature over the chain's head at some point: whoever holds the public key can check the rows up to it. */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
  signed_at: string;
  key_id: string;
  /** Ed25519 over the canonical JSON of {seq, hash}, base64. */
  signature: string;
}

export interface SigningKey {
  keyId: string;
  privateKey: KeyObject;
  publicKeyPem: string;
}

export interface PublicKey {
  key_id: string;
  public_key: string;
  created_at: string;
}

/** A key's id: the start of the sha256 of its public key (SPKI, DER), so any holder can compute it. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

/** The signing key a PEM holds; throws saying why when it is not an Ed25519 private key. */
export function signingKeyFromPem(pem: string): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (error) {
    throw new Error(`not a PEM private key (${(error as Error).message})`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`an Ed25519 key is needed, this one is ${privateKey.asymmetricKeyType ?? 'of an unknown type'}`);
  }
  const publicKey = createPublicKey(privateKey);
  return {
    keyId: keyIdOf(publicKey),
    privateKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

const signedBytes = (seq: number, hash: string) => Buffer.from(canonicalJson({ seq, hash }));

export function signCheckpoint(key: SigningKey, head: { seq: number; hash: string }, now: number): AuditCheckpoint {
  return {
    seq: head.seq,
    hash: head.hash,
    signed_at: new Date(now).toISOString(),
    key_id: key.keyId,
    signature: sign(null, signedBytes(head.seq, head.hash), key.privateKey).toString('base64'),
  };
}

/** Whether a checkpoint's signature is the named key's over its seq and hash. */
export function checkpointSignatureValid(checkpoint: AuditCheckpoint, publicKeyPem: string): boolean {
  try {
    const publicKey = createPublicKey(publicKeyPem);
    if (keyIdOf(publicKey) !== checkpoint.key_id) return false;
    return verify(
      null,
      signedBytes(checkpoint.seq, checkpoint.hash),
      publicKey,
      Buffer.from(checkpoint.signature, 'base64'),
    );
  } catch {
    return false;
  }
}

/**
 * The key checkpoints are signed with: the configured one (its public key recorded, so verification
 * finds it later), else the one generated for this database on first start and kept in it.
 * `generated` is true when the key is the database's own.
 */
export async function loadSigningKey(
  db: Database,
  schema: string,
  configured?: SigningKey,
): Promise<{ key: SigningKey; generated: boolean }> {
  if (configured) {
    await db.query(
      `INSERT INTO ${schema}.audit_signing_keys (key_id, public_key) VALUES ($1, $2) ON CONFLICT (key_id) DO NOTHING`,
      [configured.keyId, configured.publicKeyPem],
    );
    return { key: configured, generated: false };
  }
  const pem = await db.transaction(async (tx) => {
    // Replicas starting together agree on one key.
    await tx.query(`LOCK TABLE ${schema}.audit_signing_keys IN SHARE ROW EXCLUSIVE MODE`);
    const { rows } = await tx.query<{ private_key: string }>(
      `SELECT private_key FROM ${schema}.audit_signing_keys WHERE private_key IS NOT NULL
       ORDER BY created_at, key_id LIMIT 1`,
    );
    if (rows.length > 0) return rows[0].private_key;
    const privatePem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const key = signingKeyFromPem(privatePem);
    await tx.query(`INSERT INTO ${schema}.audit_signing_keys (key_id, public_key, private_key) VALUES ($1, $2, $3)`, [
      key.keyId,
      key.publicKeyPem,
      privatePem,
    ]);
    return privatePem;
  });
  return { key: signingKeyFromPem(pem), generated: true };
}

/** Signs the chain's head unless it is already signed; the checkpoint written, or null. */
export async function writeCheckpoint(
  db: Queryable,
  schema: string,
  key: SigningKey,
  now: number,
): Promise<AuditCheckpoint | null> {
  const head = await auditHead(db, schema);
  if (head.seq === 0) return null;
  const checkpoint = signCheckpoint(key, head, now);
  const { rowCount } = await db.query(
    `INSERT INTO ${schema}.audit_checkpoints (seq, hash, signed_at, key_id, signature)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING`,
    [checkpoint.seq, checkpoint.hash, checkpoint.signed_at, checkpoint.key_id, checkpoint.signature],
  );
  return rowCount === 1 ? checkpoint : null;
}

export async function auditCheckpoints(db: Queryable, schema: string): Promise<AuditCheckpoint[]> {
  const { rows } = await db.query<{
    seq: string | number;
    hash: string;
    signed_at: Date;
    key_id: string;
    signature: string;
  }>(`SELECT seq, hash, signed_at, key_id, signature FROM ${schema}.audit_checkpoints ORDER BY seq`);
  return rows.map((row) => ({ ...row, seq: Number(row.seq), signed_at: new Date(row.signed_at).toISOString() }));
}

export async function auditPublicKeys(db: Queryable, schema: string): Promise<PublicKey[]> {
  const { rows } = await db.query<{ key_id: string; public_key: string; created_at: Date }>(
    `SELECT key_id, public_key, created_at FROM ${schema}.audit_signing_keys ORDER BY created_at, key_id`,
  );
  return rows.map((row) => ({ ...row, created_at: new Date(row.created_at).toISOString() }));
}

/**
 * Signs the chain's head every interval while the service runs (a checkpoint only when rows were added
 * since the last one). Several replicas may tick: the head's sequence number keys a checkpoint, so one wins.
 */
export class AuditCheckpointer {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly db: Queryable,
    private readonly schema: string,
    private readonly key: SigningKey,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.running ??= this.checkpoint()
        .catch(this.onError)
        .finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  checkpoint(): Promise<AuditCheckpoint | null> {
    return writeCheckpoint(this.db, this.schema, this.key, Date.now());
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
