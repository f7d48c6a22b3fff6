/**
 * Waits for a condition the system reaches asynchronously (a worker, a notification), polling every
 * 25 ms. Bounded, so a test that never gets there fails naming what it waited for instead of
 * hitting the runner's timeout.
 */
export async function until<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`still waiting after ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
