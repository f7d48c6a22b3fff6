/**
 * Option and argument parsers: a bad value is a usage error (exit 2) that says what to write
 * instead, reported by commander before any request is made.
 */
import { MESSAGE_PRIORITIES } from '@e2a/sdk/values';
import { InvalidArgumentError } from 'commander';
import { parseDuration } from './duration.js';
import { CliError } from './failure.js';

/** `--limit <n>`: a whole number from 1 to `max`. */
export function limitOption(max: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || n < 1 || n > max) throw new InvalidArgumentError(`expected a whole number from 1 to ${max}, e.g. --limit 20`);
    return n;
  };
}

/** The API's largest page: a listing of at most `limit` items asks for pages of this size. */
export const pageSize = (limit: number): number => Math.min(limit, 200);

/** The first `limit` items of a paged listing (`--limit`); no page is asked for after that. */
export async function firstItems<T>(items: AsyncIterable<T>, limit: number): Promise<T[]> {
  const out: T[] = [];
  if (limit <= 0) return out;
  for await (const item of items) {
    out.push(item);
    if (out.length >= limit) break;
  }
  return out;
}

/** Seconds as a positive number: `--timeout 30`. */
export function secondsOption(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number of seconds greater than 0, e.g. --timeout 30');
  return n;
}

/** An http(s) URL, checked as written (the server checks it again). */
export function urlValue(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError(`not a URL: write it in full with the scheme, e.g. https://example.com/hooks/e2a or http://127.0.0.1:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError(`expected an http:// or https:// URL, got ${url.protocol}//…`);
  return text;
}

/** `--ttl 1h`: a duration as whole seconds, at least one (the server sets the real bounds). */
export function ttlOption(text: string): number {
  const seconds = Math.round(durationOption(text) / 1000);
  if (seconds < 1) throw new InvalidArgumentError(`expected a duration of at least a second, e.g. --ttl 1h or --ttl 7d`);
  return seconds;
}

/** `30s`, `5m`, `2h` → milliseconds. */
export function durationOption(text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    if (err instanceof CliError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

/**
 * `--at`: when to send, as an RFC 3339 time (`2026-07-01T09:00:00+02:00`) or a delay from now
 * (`+30m`, `+2h`, `+1d`), sent as RFC 3339 in UTC. The server checks it is in the future and within
 * outbound.max_schedule_days.
 */
export function sendAtOption(text: string): string {
  const value = text.trim();
  if (value.startsWith('+')) return new Date(Date.now() + durationOption(value.slice(1))).toISOString();
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(value) ? new Date(value) : null;
  if (!at || Number.isNaN(at.getTime())) throw new InvalidArgumentError('expected an RFC 3339 time with its offset (2026-07-01T09:00:00+02:00) or a delay such as +30m, +2h, +1d');
  return at.toISOString();
}

/** --priority's choices: declared before the SDK is loaded (sdk.ts), so from its zod-free values. */
export const PRIORITY_CHOICES = MESSAGE_PRIORITIES;
