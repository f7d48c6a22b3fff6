/**
 * At least once to the local handler: an event is attempted until the handler takes it (2xx), with
 * exponential backoff, for as long as the CLI runs. Only then is it acked; a CLI stopped before that
 * leaves it unacked, and the gateway delivers it again on the next start. Events go one at a time,
 * in order: the next waits for the one before, as a handler that is down would fail it anyway.
 */
import type { Attempt } from './forward.js';

export interface RetryPolicy {
  firstMs: number;
  maxMs: number;
}

/** 1 s, 2 s, 4 s … capped at 30 s: a handler being restarted is back before the wait gets long. */
export const FORWARD_RETRY: RetryPolicy = { firstMs: 1000, maxMs: 30_000 };

/**
 * Calls `attempt` until it succeeds (true) or `signal` aborts (false). `report` hears every attempt
 * with the wait before the next one (null after a success).
 */
export async function untilTaken(
  attempt: () => Promise<Attempt>,
  opts: { signal: AbortSignal; report: (result: Attempt, retryInMs: number | null) => void; policy?: RetryPolicy },
): Promise<boolean> {
  const policy = opts.policy ?? FORWARD_RETRY;
  for (let n = 0; !opts.signal.aborted; n++) {
    const result = await attempt();
    if (result.ok) {
      opts.report(result, null);
      return true;
    }
    const wait = Math.min(policy.maxMs, policy.firstMs * 2 ** n);
    opts.report(result, wait);
    if (!(await sleep(wait, opts.signal))) return false;
  }
  return false;
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** `--> email.received msg_… [500] 12 ms, retrying in 2 s` (stripe listen's shape). */
export function statusLine(type: string, subject: string, result: Attempt, retryInMs: number | null): string {
  const retry = retryInMs === null ? '' : `, retrying in ${formatWait(retryInMs)}`;
  return `--> ${type} ${subject} [${result.status}] ${result.ms} ms${retry}${result.detail ? `  ${oneLine(result.detail)}` : ''}`;
}

function formatWait(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 120);
}
