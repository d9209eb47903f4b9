/**
 * Waiting for a fact another service announces through its events, a moment after the request that
 * caused it was answered (tracking announcing a run, artifacts its verdict on a registration). A lookup
 * that finds nothing looks again each time this process's consumer of those events has committed one, and
 * once more at the deadline; never on a timer. Any handled event is a reason to look: the one awaited may
 * have been handled by another replica, whose commit this process sees but is not told of.
 */
export class Announcements {
  private readonly listeners = new Set<() => void>();

  /** The consumer of the announcing events committed one: every waiting lookup looks again. */
  handled(): void {
    for (const listener of this.listeners) listener();
  }

  /** `lookup`'s first answer other than undefined, or its answer at the deadline, `waitMs` from now. */
  async until<T>(lookup: () => Promise<T | undefined>, waitMs: number): Promise<T | undefined> {
    let told = false;
    let expired = false;
    let wake: (() => void) | undefined;
    const listener = () => {
      told = true;
      wake?.();
    };
    const deadline = setTimeout(() => {
      expired = true;
      wake?.();
    }, waitMs);
    this.listeners.add(listener);
    try {
      for (;;) {
        told = false;
        const final = expired;
        const found = await lookup();
        if (found !== undefined || final) return found;
        // An event handled while the lookup ran, or the deadline passing, makes the next lookup start at once.
        if (!told && !expired) await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      clearTimeout(deadline);
      this.listeners.delete(listener);
    }
  }
}
