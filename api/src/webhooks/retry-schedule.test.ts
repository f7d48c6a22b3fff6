import { describe, expect, it } from 'vitest';
import { MAX_RETRY_AFTER_SECONDS, nextDelayMs, parseRetryAfter, PRODUCTION_SCHEDULE, RETRY_SCHEDULE_SECONDS } from './retry-schedule.js';

describe('webhook retry schedule', () => {
  it('is the documented table: growing waits whose full-jitter mean spans about three days', () => {
    expect(RETRY_SCHEDULE_SECONDS).toEqual([30, 60, 120, 300, 600, 1800, 3600, 7200, 14_400, 28_800, 43_200, 86_400, 86_400, 86_400, 86_400, 86_400]);
    for (let i = 1; i < RETRY_SCHEDULE_SECONDS.length; i++) expect(RETRY_SCHEDULE_SECONDS[i]).toBeGreaterThanOrEqual(RETRY_SCHEDULE_SECONDS[i - 1]!);
    const total = RETRY_SCHEDULE_SECONDS.reduce((a, b) => a + b, 0);
    // Uniform jitter in [0, cap]: the expected span is half the caps.
    expect(total / 2 / 86_400).toBeGreaterThan(2.5);
    expect(total / 2 / 86_400).toBeLessThan(3.5);
    expect(PRODUCTION_SCHEDULE.capsMs).toEqual(RETRY_SCHEDULE_SECONDS.map((s) => s * 1000));
    expect(PRODUCTION_SCHEDULE.maxRetryAfterMs).toBe(MAX_RETRY_AFTER_SECONDS * 1000);
  });

  it('uses full jitter under each cap and gives up after the last entry', () => {
    const s = PRODUCTION_SCHEDULE;
    expect(nextDelayMs(s, 1, null, () => 0)).toBe(0);
    expect(nextDelayMs(s, 1, null, () => 0.999999)).toBe(29_999);
    expect(nextDelayMs(s, 5, null, () => 0.5)).toBe(300_000);
    expect(nextDelayMs(s, RETRY_SCHEDULE_SECONDS.length, null, () => 0.5)).toBe(43_200_000);
    expect(nextDelayMs(s, RETRY_SCHEDULE_SECONDS.length + 1, null)).toBeNull();
  });

  it('treats Retry-After as "not before", bounded to six hours', () => {
    const s = PRODUCTION_SCHEDULE;
    expect(nextDelayMs(s, 1, 120_000, () => 0.1)).toBe(120_000);
    expect(nextDelayMs(s, 10, 1000, () => 0.5)).toBe(14_400_000);
    expect(nextDelayMs(s, 1, 30 * 86_400_000, () => 0)).toBe(6 * 3600 * 1000);
  });

  it('parses Retry-After as seconds or an HTTP date, and ignores anything else', () => {
    const now = new Date('2026-03-01T12:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 12:05:00 GMT', now)).toBe(300_000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('-5', now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('2026', now)).toBe(2_026_000);
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});
