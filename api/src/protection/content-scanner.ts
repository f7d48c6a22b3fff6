/**
 * Runs the content scan (content-scan.ts) where it cannot stall the gateway. Every rule is linear,
 * but linear is still ~55 ms per MB of text on this hardware (NFKC, lower-casing, 33 patterns), so a
 * 25 MiB text part would hold the event loop for over a second: from `offThreadFromChars` on, the
 * scan runs in a worker thread. Nothing is skipped or truncated, so size is no way around the scan.
 * A scan that does not finish within its budget counts as a hit: the message gets the agent's
 * content-scan action (held for review by default) rather than going through unscanned.
 */
import { createWorkerPool, isTimeout } from '@e2a/relay';
import type { Protection } from '@e2a/sdk/wire';
import { scanContent, type ScanHit, type ScanInput } from './content-scan.js';

type Sensitivity = Protection['content_scan']['sensitivity'];

export interface ContentScanner {
  scan(input: ScanInput, sensitivity: Sensitivity): Promise<ScanHit[]>;
  close(): Promise<void>;
}

export interface ContentScannerOptions {
  /** Inputs of this many characters and more (subject + text + HTML) are scanned in a worker (default 256 Ki). */
  offThreadFromChars?: number;
  /** Time budget for one scan in the thread (default 30 s). */
  timeoutMs?: number;
}

/** 256 Ki characters: ~15 ms on the event loop; more is worth the copy to a thread (~1 ms per MB). */
const OFF_THREAD_FROM_CHARS = 256 * 1024;

/** Scans on the event loop only: for tests and for callers whose input is already bounded. */
export const inThreadScanner: ContentScanner = {
  scan: async (input, sensitivity) => scanContent(input, sensitivity),
  close: async () => {},
};

export function createContentScanner(options: ContentScannerOptions = {}): ContentScanner {
  const offThreadFromChars = options.offThreadFromChars ?? OFF_THREAD_FROM_CHARS;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pool = createWorkerPool(new URL(`./scan-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));
  // A message to several agents with the same sensitivity is scanned once (the inputs are the same strings).
  let last: { input: ScanInput; sensitivity: Sensitivity; hits: Promise<ScanHit[]> } | null = null;

  const offThread = async (input: ScanInput, sensitivity: Sensitivity): Promise<ScanHit[]> => {
    try {
      return (await pool.run({ input, sensitivity }, { signal: AbortSignal.timeout(timeoutMs) })) as ScanHit[];
    } catch (err) {
      if (!isTimeout(err)) throw err;
      return [{ category: 'prompt_injection', rule: 'scan_incomplete', where: 'message', reason: `content scan did not finish within ${timeoutMs / 1000} s, so the message was not passed unscanned` }];
    }
  };

  return {
    scan(input, sensitivity) {
      if (sensitivity === 'off') return Promise.resolve([]);
      const size = (input.subject?.length ?? 0) + (input.text?.length ?? 0) + (input.html?.length ?? 0);
      if (size < offThreadFromChars) return Promise.resolve(scanContent(input, sensitivity));
      if (last && last.sensitivity === sensitivity && last.input.subject === input.subject && last.input.text === input.text && last.input.html === input.html) return last.hits;
      const hits = offThread(input, sensitivity);
      last = { input, sensitivity, hits };
      // Forget it once settled: the memo is for the recipients of one message, not a cache.
      void hits.finally(() => {
        if (last?.hits === hits) last = null;
      }).catch(() => {});
      return hits;
    },
    close: () => pool.destroy(),
  };
}
