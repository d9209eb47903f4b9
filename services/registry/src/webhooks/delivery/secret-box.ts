import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const VERSION = 0x80;
const HEADER_LENGTH = 1 + 8 + 16;
const MAC_LENGTH = 32;
const KEY_PATTERN = /^[A-Za-z0-9_-]{43}=$/;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]+={0,2}$/;

/** Why a token is refused, always the same words: which check failed is no business of a caller. */
export class InvalidSecretToken extends Error {
  constructor() {
    super('the secret token is not one this key encrypted, or it was altered');
    this.name = 'InvalidSecretToken';
  }
}

/**
 * Encrypts webhook secrets at rest as Fernet tokens (https://github.com/fernet/spec), so that a
 * key and tokens made by Python's cryptography.fernet, as MLflow keeps them, work here and back.
 */
export class SecretBox {
  private constructor(
    private readonly signingKey: Buffer,
    private readonly encryptionKey: Buffer,
  ) {}

  /** A Fernet key: 32 bytes in URL-safe base64 with padding, as `Fernet.generate_key()` gives. */
  static fromKey(key: string): SecretBox {
    if (!KEY_PATTERN.test(key)) {
      throw new Error('a Fernet key is 32 bytes in URL-safe base64 (44 characters ending in "=")');
    }
    const bytes = Buffer.from(key, 'base64url');
    return new SecretBox(bytes.subarray(0, 16), bytes.subarray(16, 32));
  }

  encrypt(plain: string, now: number = Date.now()): string {
    const header = Buffer.alloc(HEADER_LENGTH);
    header.writeUInt8(VERSION, 0);
    header.writeBigUInt64BE(BigInt(Math.floor(now / 1000)), 1);
    const iv = randomBytes(16);
    iv.copy(header, 9);
    const cipher = createCipheriv('aes-128-cbc', this.encryptionKey, iv);
    const signed = Buffer.concat([header, cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([signed, this.mac(signed)]).toString('base64url') + padding(signed.length + MAC_LENGTH);
  }

  decrypt(token: string): string {
    if (!TOKEN_PATTERN.test(token)) throw new InvalidSecretToken();
    const bytes = Buffer.from(token, 'base64url');
    const cipherLength = bytes.length - HEADER_LENGTH - MAC_LENGTH;
    if (bytes[0] !== VERSION || cipherLength <= 0 || cipherLength % 16 !== 0) throw new InvalidSecretToken();
    const signed = bytes.subarray(0, bytes.length - MAC_LENGTH);
    if (!timingSafeEqual(this.mac(signed), bytes.subarray(bytes.length - MAC_LENGTH))) {
      throw new InvalidSecretToken();
    }
    try {
      const decipher = createDecipheriv('aes-128-cbc', this.encryptionKey, bytes.subarray(9, HEADER_LENGTH));
      return Buffer.concat([decipher.update(signed.subarray(HEADER_LENGTH)), decipher.final()]).toString('utf8');
    } catch {
      throw new InvalidSecretToken();
    }
  }

  private mac(signed: Buffer): Buffer {
    return createHmac('sha256', this.signingKey).update(signed).digest();
  }
}

/** Fernet tokens keep base64's padding, which Node's base64url encoding leaves off. */
function padding(byteLength: number): string {
  return '='.repeat((3 - (byteLength % 3)) % 3);
}
