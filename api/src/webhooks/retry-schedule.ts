/**
 * When a failed webhook delivery is tried again. ONE table, documented in docs/WEBHOOKS.md.
 *
 * RETRY_SCHEDULE_SECONDS[n] is the cap of the wait after failed attempt n+1. The actual wait is
 * "full jitter" (uniform in [0, cap], AWS Architecture Blog, "Exponential Backoff And Jitter"), so a
 * receiver that comes back is not hit by every queued delivery at the same instant. The caps add up
 * to ~6.2 days, so the expected span from first attempt to dead letter is ~3 days. After the last
 * entry's wait the delivery has had RETRY_SCHEDULE_SECONDS.length + 1 attempts; one more failure
 * makes it `dead`.
 */
export const RETRY_SCHEDULE_SECONDS: readonly number[] = [
  30, 60, 120, 300, 600, 1800, 3600, 7200, 14_400, 28_800, 43_200, 86_400, 86_400, 86_400, 86_400, 86_400,
];

/** A receiver's Retry-After is honoured up to this long; a larger value is clamped, not obeyed. */
export const MAX_RETRY_AFTER_SECONDS = 6 * 3600;

/** The schedule as milliseconds, injectable so tests can run the whole thing in a second. */
export interface RetrySchedule {
  /** Wait caps in ms; attempt n (1-based) failing waits up to capsMs[n-1]; past the end → dead. */
  capsMs: readonly number[];
  maxRetryAfterMs: number;
}

export const PRODUCTION_SCHEDULE: RetrySchedule = {
  capsMs: RETRY_SCHEDULE_SECONDS.map((s) => s * 1000),
  maxRetryAfterMs: MAX_RETRY_AFTER_SECONDS * 1000,
};

/**
 * The wait after failed attempt `attempts` (1-based), or null when the delivery is now dead.
 * Retry-After means "not before" (RFC 9110 §10.2.3): it lengthens the wait, never shortens it.
 */
export function nextDelayMs(schedule: RetrySchedule, attempts: number, retryAfterMs: number | null, random: () => number = Math.random): number | null {
  const cap = schedule.capsMs[attempts - 1];
  if (cap === undefined) return null;
  const jittered = Math.floor(random() * cap);
  const asked = retryAfterMs === null ? 0 : Math.min(Math.max(retryAfterMs, 0), schedule.maxRetryAfterMs);
  return Math.max(jittered, asked);
}

/** Retry-After is delay-seconds or an HTTP-date (RFC 9110 §10.2.3); anything else is ignored. */
export function parseRetryAfter(value: string | null, now: Date): number | null {
  if (!value) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at) || !/[a-z]/i.test(text)) return null;
  return Math.max(0, at - now.getTime());
}
