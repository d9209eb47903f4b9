import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';

export interface AuthenticatedUser {
  id: number;
  username: string;
  isAdmin: boolean;
}

interface Entry {
  user: AuthenticatedUser;
  expiresAt: number;
}

export const CREDENTIAL_TTL_MS = 60_000;
export const CREDENTIAL_CACHE_SIZE = 4096;

/**
 * Credentials that verified lately, so a client sending Basic auth on every request costs one scrypt per
 * minute rather than one per request. Keyed by a digest, so no password is kept in memory; bounded in age
 * and in size (least recently used first out). Per process: another replica forgets a changed password
 * only when its own entry expires.
 */
@Injectable()
export class CredentialCache {
  private readonly entries = new Map<string, Entry>();
  private readonly keysByUsername = new Map<string, Set<string>>();

  constructor(
    private readonly ttlMs = CREDENTIAL_TTL_MS,
    private readonly maxEntries = CREDENTIAL_CACHE_SIZE,
    private readonly clock: () => number = Date.now,
  ) {}

  static keyOf(username: string, password: string): string {
    return createHash('sha256').update(`${username}\0${password}`).digest('hex');
  }

  get(username: string, password: string): AuthenticatedUser | null {
    return this.lookup(username, CredentialCache.keyOf(username, password));
  }

  remember(username: string, password: string, user: AuthenticatedUser): void {
    this.store(username, CredentialCache.keyOf(username, password), user);
  }

  /** A user an identity provider vouched for (no password involved), as remembered lately. */
  getVouched(username: string): AuthenticatedUser | null {
    return this.lookup(username, `vouched\0${username}`);
  }

  rememberVouched(user: AuthenticatedUser): void {
    this.store(user.username, `vouched\0${user.username}`, user);
  }

  private lookup(username: string, key: string): AuthenticatedUser | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    this.entries.delete(key);
    if (entry.expiresAt <= this.clock()) {
      this.unindex(username, key);
      return null;
    }
    this.entries.set(key, entry);
    return entry.user;
  }

  private store(username: string, key: string, user: AuthenticatedUser): void {
    this.entries.delete(key);
    this.entries.set(key, { user, expiresAt: this.clock() + this.ttlMs });
    const keys = this.keysByUsername.get(username) ?? new Set<string>();
    this.keysByUsername.set(username, keys.add(key));
    while (this.entries.size > this.maxEntries) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(oldestKey);
      this.unindex(oldest.user.username, oldestKey);
    }
  }

  /** Drops every entry of a user whose password, admin flag or existence changed. */
  forget(username: string): void {
    for (const key of this.keysByUsername.get(username) ?? []) this.entries.delete(key);
    this.keysByUsername.delete(username);
  }

  get size(): number {
    return this.entries.size;
  }

  private unindex(username: string, key: string): void {
    const keys = this.keysByUsername.get(username);
    keys?.delete(key);
    if (keys?.size === 0) this.keysByUsername.delete(username);
  }
}
