/** How one kind of key (a username, a client address) is slowed after failed sign-ins. */
export interface ThrottlePolicy {
  /** Failures allowed before any wait. */
  freeFailures: number;
  /** The longest wait; waits double from one second up to it with each further failure. */
  maxWaitMs: number;
  /** Keys remembered at most; the least recently failed are forgotten first. */
  capacity: number;
}

/** A key's failures are forgotten this long after its last one. */
const FORGET_AFTER_MS = 15 * 60_000;

interface Failures {
  count: number;
  lastAt: number;
  blockedUntil: number;
}

/**
 * Failed sign-ins per key, in this process. Brute force against one user or from one address gets
 * ever longer waits, during which its attempts are refused without checking the password (which also
 * spares the scrypt work); a success clears the key.
 */
export class SignInThrottle {
  private readonly failures = new Map<string, Failures>();

  constructor(private readonly policy: ThrottlePolicy) {}

  /** How long `key` must wait before its next attempt is checked; 0 when it may try now. */
  waitMs(key: string, now: number): number {
    const entry = this.current(key, now);
    return entry ? Math.max(0, entry.blockedUntil - now) : 0;
  }

  failed(key: string, now: number): void {
    const count = (this.current(key, now)?.count ?? 0) + 1;
    const beyond = count - this.policy.freeFailures;
    const wait = beyond > 0 ? Math.min(1000 * 2 ** (beyond - 1), this.policy.maxWaitMs) : 0;
    this.failures.delete(key);
    this.failures.set(key, { count, lastAt: now, blockedUntil: now + wait });
    if (this.failures.size > this.policy.capacity) {
      this.failures.delete(this.failures.keys().next().value as string);
    }
  }

  succeeded(key: string): void {
    this.failures.delete(key);
  }

  private current(key: string, now: number): Failures | undefined {
    const entry = this.failures.get(key);
    if (entry && now - entry.lastAt > FORGET_AFTER_MS) {
      this.failures.delete(key);
      return undefined;
    }
    return entry;
  }
}
