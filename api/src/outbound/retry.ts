/**
 * When a temporarily failed send is tried again: exponential backoff with "equal jitter" (half the
 * wait fixed, half random), so a recovering server is not hit by every queued message at once and
 * no retry comes immediately. RFC 5321 §4.5.4.1: retry intervals of at least 30 minutes are
 * usual, and mail that cannot be delivered for 4-5 days is returned; we start sooner (1 min,
 * doubling to a 1 h cap) because agents wait on results, and give up after outbound.retry_hours
 * (72 h by default) counted from the first attempt.
 */
export interface OutboundRetryPolicy {
  baseMs: number;
  capMs: number;
}

export const PRODUCTION_RETRY: OutboundRetryPolicy = { baseMs: 60_000, capMs: 3_600_000 };

/** The wait after failed attempt `attempts` (1-based). */
export function retryDelayMs(policy: OutboundRetryPolicy, attempts: number, random: () => number = Math.random): number {
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
  return Math.floor(exp / 2 + random() * (exp / 2));
}
