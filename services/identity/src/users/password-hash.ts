import { createHash, pbkdf2, randomInt, scrypt, ScryptOptions, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify<string, string, number, ScryptOptions, Buffer>(scrypt);
const pbkdf2Async = promisify(pbkdf2);

/** Werkzeug 3.1's defaults, which MLflow 3.17 hashes its users' passwords with. */
const SCRYPT = { N: 32768, r: 8, p: 1 };
const SCRYPT_KEY_LENGTH = 64;
const SALT_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const SALT_LENGTH = 16;
/** Stored hashes are ours, but a cost read from one is bounded all the same: a hash must not stall the server. */
const MAX_SCRYPT_N = 2 ** 20;
const MAX_PBKDF2_ITERATIONS = 10_000_000;

// Node refuses scrypt parameters needing more than `maxmem` (32 MiB by default); N=32768, r=8 needs 32 MiB
// for its table alone, so the limit is raised to twice what the parameters need.
const scryptMaxmem = (N: number, r: number, p: number) => 256 * N * r * p;

function salt(): string {
  let text = '';
  for (let i = 0; i < SALT_LENGTH; i++) text += SALT_CHARS[randomInt(SALT_CHARS.length)];
  return text;
}

async function scryptHex(password: string, saltText: string, N: number, r: number, p: number): Promise<string> {
  const key = await scryptAsync(password, saltText, SCRYPT_KEY_LENGTH, { N, r, p, maxmem: scryptMaxmem(N, r, p) });
  return key.toString('hex');
}

/** Werkzeug's generate_password_hash: `scrypt:32768:8:1$<salt>$<hex of the 64-byte key>`. */
export async function hashPassword(password: string): Promise<string> {
  const saltText = salt();
  const { N, r, p } = SCRYPT;
  return `scrypt:${N}:${r}:${p}$${saltText}$${await scryptHex(password, saltText, N, r, p)}`;
}

const isPowerOfTwo = (n: number) => n > 1 && (n & (n - 1)) === 0;

/** The hex digest a stored hash's method computes for `password`, or null for a method it cannot be. */
async function digestFor(method: string, saltText: string, password: string): Promise<string | null> {
  const [name, ...args] = method.split(':');
  if (name === 'scrypt') {
    const [N, r, p] = args.length === 0 ? [SCRYPT.N, SCRYPT.r, SCRYPT.p] : args.map(Number);
    if (args.length !== 3 || ![N, r, p].every(Number.isSafeInteger)) return null;
    if (!isPowerOfTwo(N) || N > MAX_SCRYPT_N || r < 1 || r > 32 || p < 1 || p > 16) return null;
    return scryptHex(password, saltText, N, r, p);
  }
  if (name === 'pbkdf2') {
    const digest = args[0] ?? 'sha256';
    const iterations = args.length >= 2 ? Number(args[1]) : 1_000_000;
    if (args.length > 2 || !Number.isSafeInteger(iterations) || iterations < 1) return null;
    if (iterations > MAX_PBKDF2_ITERATIONS || !['sha1', 'sha256', 'sha512'].includes(digest)) return null;
    const keyLength = createHash(digest).digest().length;
    return (await pbkdf2Async(password, saltText, iterations, keyLength, digest)).toString('hex');
  }
  return null;
}

/** Werkzeug's check_password_hash, for the scrypt and pbkdf2 hashes MLflow has written. */
export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  const parts = storedHash.split('$');
  if (parts.length < 3) return false;
  const [method, saltText] = parts;
  const expected = parts.slice(2).join('$');
  const actual = await digestFor(method, saltText, password);
  if (actual === null || actual.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(actual), Buffer.from(expected));
}

/**
 * The hash of a user who signs in only through the identity provider: no password matches it (it is no
 * hash format), until an admin sets one.
 */
export const NO_PASSWORD = '!';
