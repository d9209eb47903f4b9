// The smoke checks' runner: one line per step, each bounded in time, then `N passed, M failed`.

export function checklist(stepTimeoutMs) {
  let passed = 0;
  let failed = 0;
  return {
    async step(name, fn) {
      const t0 = Date.now();
      let timer;
      try {
        const detail = await Promise.race([
          fn(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${stepTimeoutMs} ms`)), stepTimeoutMs);
          }),
        ]);
        passed++;
        console.log(`ok   ${name} (${Date.now() - t0} ms)${detail ? ` - ${detail}` : ''}`);
      } catch (err) {
        failed++;
        console.log(`FAIL ${name} (${Date.now() - t0} ms): ${err?.name ?? 'Error'}: ${err?.message ?? err}`);
      } finally {
        clearTimeout(timer);
      }
    },
    /** Prints the summary and exits 1 if any step failed. */
    finish() {
      console.log(`${passed} passed, ${failed} failed`);
      process.exit(failed ? 1 : 0);
    },
  };
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}
