/**
 * The one way tests wait: on a condition, never a fixed sleep (docs/decisions/0018-tests-prove-by-state.md). `until`
 * calls `probe` until it returns something truthy and returns that; it checks again every `everyMs`, or as soon as a
 * `wake` source says something changed (a socket line, a process exit). On timeout it fails with what it waited for
 * and the last value or error seen, so a failure explains itself.
 */
export interface UntilOptions {
  timeoutMs?: number;
  /** Poll interval when nothing wakes the check earlier (default 25 ms). */
  everyMs?: number;
  /** Registers a callback to run when the condition may have changed; returns its removal. */
  wake?: (check: () => void) => () => void;
}

export async function until<T>(probe: () => T | Promise<T>, what: string, opts: UntilOptions | number = {}): Promise<NonNullable<T>> {
  const { timeoutMs = 15_000, everyMs = 25, wake } = typeof opts === 'number' ? { timeoutMs: opts } : opts;
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (e) {
      last = e instanceof Error ? `error: ${e.message}` : e;
    }
    const left = end - Date.now();
    if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${String(JSON.stringify(last)).slice(0, 600)}`);
    await new Promise<void>((resolve) => {
      const off = wake?.(() => {
        clearTimeout(timer);
        off?.();
        resolve();
      });
      const timer = setTimeout(() => {
        off?.();
        resolve();
      }, Math.min(left, everyMs));
    });
  }
}

/** `until` for a value and a test on it: returns the first value of `get` that passes `ok`. */
export async function waitFor<T>(get: () => Promise<T> | T, ok: (v: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  let seen: T | undefined;
  await until(async () => ok((seen = await get())) || null, what, timeoutMs).catch((e: Error) => {
    throw new Error(`${e.message.replace(/; last: .*$/s, '')}; last: ${String(JSON.stringify(seen)).slice(0, 600)}`);
  });
  return seen as T;
}
