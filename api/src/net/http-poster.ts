/**
 * The one way webhooks reach the outside world: a POST over node:http(s) whose every connection goes
 * through the SSRF guard (guarded-lookup.ts for names, checkTargetUrl for literal IPs and schemes).
 *
 * Redirects: only 307 and 308 are followed, because only they keep POST and the body (RFC 9110
 * §15.4.8, §15.4.9), so the signature still matches; at most MAX_REDIRECTS hops, each re-checked
 * like the first. 301/302/303 are returned as the response (a failure): a client would turn them
 * into a GET without the event. One deadline (webhooks.timeout_ms) covers the whole attempt.
 *
 * The response body is read only so far: its first RESPONSE_HEAD_BYTES are kept for the delivery's
 * record, the rest up to MAX_RESPONSE_BYTES is discarded as it arrives, and past that the socket is
 * destroyed, so a receiver answering with an endless body costs a bounded read.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { VERSION } from '../version.js';
import type { TargetPolicy } from './address-policy.js';
import { createGuardedLookup, ForbiddenTargetError, systemHostResolver, type HostResolver } from './guarded-lookup.js';
import { describeDialFailure } from './dial-errors.js';
import { checkTargetUrl } from './target-url.js';

export const MAX_REDIRECTS = 3;
/** Receivers' response bodies are read only this far; we need the status, not the page. */
const MAX_RESPONSE_BYTES = 64 * 1024;
/** The start of the body kept for the record (webhooks/response-excerpt.ts makes the excerpt). */
export const RESPONSE_HEAD_BYTES = 1024;

export interface PostRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * `latencyMs`: from the start of the attempt (the first hop) to the final response's headers, or
 * to the failure. `bodyHead`: the first RESPONSE_HEAD_BYTES of the final response body (all of it
 * if shorter), or null when the body stalled or broke before that much or its end arrived.
 */
export type PostOutcome =
  | { kind: 'response'; status: number; retryAfter: string | null; redirects: number; latencyMs: number; bodyHead: Buffer | null }
  /** `refused`: the SSRF guard or URL rules stopped it before any byte was sent to the target. */
  | { kind: 'error'; refused: boolean; error: string; latencyMs: number };

interface HopResult {
  status: number;
  location: string | null;
  retryAfter: string | null;
  /** performance.now() when the headers arrived. */
  headersAt: number;
  bodyHead: Buffer | null;
}

/** Narrow interface for the outside world, so the worker can be tested with any transport. */
export interface WebhookTransport {
  post(request: PostRequest): Promise<PostOutcome>;
}

export interface HttpPosterOptions {
  policy: TargetPolicy;
  timeoutMs: number;
  resolve?: HostResolver;
}

export function createHttpPoster(options: HttpPosterOptions): WebhookTransport {
  const lookup = createGuardedLookup(options.resolve ?? systemHostResolver, options.policy);
  return {
    async post(request) {
      const deadline = Date.now() + options.timeoutMs;
      const started = performance.now();
      const elapsed = (until: number) => Math.max(0, Math.round(until - started));
      const answer = (res: HopResult, redirects: number): PostOutcome => ({
        kind: 'response',
        status: res.status,
        retryAfter: res.retryAfter,
        redirects,
        latencyMs: elapsed(res.headersAt),
        bodyHead: res.bodyHead,
      });
      let target = request.url;
      for (let hop = 0; ; hop++) {
        const verdict = checkTargetUrl(target, options.policy);
        if (!verdict.ok) return { kind: 'error', refused: true, error: `${hop > 0 ? 'redirect to ' : ''}${target} refused: ${verdict.reason}`, latencyMs: elapsed(performance.now()) };
        let res: HopResult;
        try {
          res = await postOnce(verdict.url, request, lookup, deadline - Date.now(), options.timeoutMs);
        } catch (err) {
          const refused = err instanceof ForbiddenTargetError;
          return { kind: 'error', refused, error: `${hop > 0 ? `redirect to ${target}: ` : ''}${describeDialFailure(err, verdict.url, options.policy)}`, latencyMs: elapsed(performance.now()) };
        }
        if ((res.status === 307 || res.status === 308) && res.location && hop < MAX_REDIRECTS) {
          try {
            target = new URL(res.location, verdict.url).toString();
          } catch {
            return answer(res, hop);
          }
          continue;
        }
        return answer(res, hop);
      }
    },
  };
}

function postOnce(
  url: URL,
  request: PostRequest,
  lookup: LookupFunction,
  remainingMs: number,
  timeoutMs: number,
): Promise<HopResult> {
  return new Promise((resolve, reject) => {
    if (remainingMs <= 0) return reject(new Error(`timed out after ${timeoutMs} ms (redirects included)`));
    const body = Buffer.from(request.body, 'utf8');
    const client = url.protocol === 'https:' ? https : http;
    let settled = false;
    let result: HopResult | null = null;
    // The body's first RESPONSE_HEAD_BYTES, copied out of the chunks as they pass; never more.
    const head = Buffer.alloc(RESPONSE_HEAD_BYTES);
    let headLength = 0;
    let bodyEnded = false;
    const req = client.request(url, {
      method: 'POST',
      // A fresh connection per attempt: every attempt is dialled, so every attempt is checked.
      agent: false,
      lookup,
      headers: {
        ...request.headers,
        'content-type': 'application/json',
        'content-length': String(body.length),
        'user-agent': `e2a-webhooks/${VERSION}`,
      },
    });
    const finish = (err: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // A head cut short by a stall, reset or timeout is not what the receiver said: keep none.
      if (result && (bodyEnded || headLength === RESPONSE_HEAD_BYTES)) result.bodyHead = Buffer.from(head.subarray(0, headLength));
      // Headers arrived: the status is the answer even if the body then stalled.
      if (result) resolve(result);
      else reject(err ?? new Error('connection closed before a response'));
      req.destroy();
    };
    const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms`)), remainingMs);
    req.on('response', (res) => {
      const header = (name: string) => {
        const v = res.headers[name];
        return (Array.isArray(v) ? v[0] : v) ?? null;
      };
      result = { status: res.statusCode ?? 0, location: header('location'), retryAfter: header('retry-after'), headersAt: performance.now(), bodyHead: null };
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        if (headLength < RESPONSE_HEAD_BYTES) headLength += chunk.copy(head, headLength, 0, RESPONSE_HEAD_BYTES - headLength);
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) finish(null);
      });
      res.on('end', () => {
        bodyEnded = true;
        finish(null);
      });
      res.on('error', () => finish(null));
    });
    req.on('error', (err) => finish(err));
    req.end(body);
  });
}
