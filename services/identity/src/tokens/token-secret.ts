import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The most a token may do with its owner's permissions: READ (read only), USE, EDIT (write) or MANAGE
 * (also grant and delete). Never more than its owner may.
 */
export const TOKEN_SCOPES = ['READ', 'USE', 'EDIT', 'MANAGE'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** `lbk_<id>_<secret>`: the prefix tells a Logbook token from a JWT; the id finds its hash without a scan. */
const TOKEN_PATTERN = /^lbk_([1-9][0-9]{0,9})_([A-Za-z0-9_-]{43})$/;

export const isTokenSecret = (text: string) => text.startsWith('lbk_');

/** A new token's secret, shown to its owner once, and the hash that is all Logbook keeps of it. */
export function newTokenSecret(tokenId: number): { secret: string; hash: string } {
  const secret = `lbk_${tokenId}_${randomBytes(32).toString('base64url')}`;
  return { secret, hash: hashOf(secret) };
}

/** A secret's 256 random bits need no slow hash: SHA-256 cannot be reversed, and brute force is hopeless. */
const hashOf = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** The token id a secret names, or null when it is not shaped as one. */
export function tokenIdOf(secret: string): number | null {
  const match = TOKEN_PATTERN.exec(secret);
  return match ? Number(match[1]) : null;
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const given = Buffer.from(hashOf(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
