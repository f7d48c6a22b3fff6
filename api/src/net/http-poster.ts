/**
 * The one way webhooks reach the outside world: a POST over node:http(s) whose every connection goes
 * through the SSRF guard (guarded-lookup.ts for names, checkTargetUrl for literal IPs and schemes).
 *
 * Redirects: only 307 and 308 are followed, because only they keep POST and the body (RFC 9110
 * §15.4.8, §15.4.9), so the signature still matches; at most MAX_REDIRECTS hops, each re-checked
 * like the first. 301/302/303 are returned as the response (a failure): a client would turn them
 * into a GET without the event. One deadline (webhooks.timeout_ms) covers the whole attempt.
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

export interface PostRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export type PostOutcome =
  | { kind: 'response'; status: number; retryAfter: string | null; redirects: number }
  /** `refused`: the SSRF guard or URL rules stopped it before any byte was sent to the target. */
  | { kind: 'error'; refused: boolean; error: string };

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
      let target = request.url;
      for (let hop = 0; ; hop++) {
        const verdict = checkTargetUrl(target, options.policy);
        if (!verdict.ok) return { kind: 'error', refused: true, error: `${hop > 0 ? 'redirect to ' : ''}${target} refused: ${verdict.reason}` };
        let res: { status: number; location: string | null; retryAfter: string | null };
        try {
          res = await postOnce(verdict.url, request, lookup, deadline - Date.now(), options.timeoutMs);
        } catch (err) {
          const refused = err instanceof ForbiddenTargetError;
          return { kind: 'error', refused, error: `${hop > 0 ? `redirect to ${target}: ` : ''}${describeDialFailure(err, verdict.url, options.policy)}` };
        }
        if ((res.status === 307 || res.status === 308) && res.location && hop < MAX_REDIRECTS) {
          try {
            target = new URL(res.location, verdict.url).toString();
          } catch {
            return { kind: 'response', status: res.status, retryAfter: res.retryAfter, redirects: hop };
          }
          continue;
        }
        return { kind: 'response', status: res.status, retryAfter: res.retryAfter, redirects: hop };
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
): Promise<{ status: number; location: string | null; retryAfter: string | null }> {
  return new Promise((resolve, reject) => {
    if (remainingMs <= 0) return reject(new Error(`timed out after ${timeoutMs} ms (redirects included)`));
    const body = Buffer.from(request.body, 'utf8');
    const client = url.protocol === 'https:' ? https : http;
    let settled = false;
    let result: { status: number; location: string | null; retryAfter: string | null } | null = null;
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
      result = { status: res.statusCode ?? 0, location: header('location'), retryAfter: header('retry-after') };
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) finish(null);
      });
      res.on('end', () => finish(null));
      res.on('error', () => finish(null));
    });
    req.on('error', (err) => finish(err));
    req.end(body);
  });
}
