/** Waits on a condition (never a fixed sleep): polls `get` until `ok` holds, or fails with the last value seen. */
export async function waitFor<T>(get: () => Promise<T> | T, ok: (v: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T = await get();
  while (!ok(last)) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}; last: ${JSON.stringify(last).slice(0, 600)}`);
    await new Promise((r) => setTimeout(r, 40));
    last = await get();
  }
  return last;
}
