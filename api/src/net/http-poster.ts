/**
 * The one way webhooks reach the outside world: a POST whose every attempt passes the SSRF guard
 * first (checkTargetUrl for schemes and literal IPs, guarded-lookup.ts for what a name resolves
 * to), then goes out on a keep-alive pool that dials only the addresses just vetted
 * (target-pools.ts): a connection is reused only for the same origin and the same vetted
 * addresses, never handed to a name that now resolves elsewhere.
 *
 * Redirects: only 307 and 308 are followed, because only they keep POST and the body (RFC 9110
 * §15.4.8, §15.4.9), so the signature still matches; at most MAX_REDIRECTS hops, each re-checked
 * like the first. 301/302/303 are returned as the response (a failure): a client would turn them
 * into a GET without the event. One deadline (webhooks.timeout_ms) covers the whole attempt.
 *
 * The response body is read only so far: its first RESPONSE_HEAD_BYTES are kept for the delivery's
 * record, the rest up to MAX_RESPONSE_BYTES is discarded as it arrives, and past that the request
 * is aborted, which closes its socket (it never goes back to the pool), so a receiver answering
 * with an endless body costs a bounded read. So does one that stalls: the deadline aborts it too.
 */
import { isIP } from 'node:net';
import type { Dispatcher } from 'undici';
import { VERSION } from '../version.js';
import type { TargetPolicy } from './address-policy.js';
import { ForbiddenTargetError, systemHostResolver, vetHost, type HostResolver, type ResolvedAddress } from './guarded-lookup.js';
import { describeDialFailure } from './dial-errors.js';
import { TargetPools } from './target-pools.js';
import { checkTargetUrl, urlHost } from './target-url.js';

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

/** The gateway's transport: also owns the keep-alive pools, closed when the gateway stops. */
export interface HttpPoster extends WebhookTransport {
  close(): Promise<void>;
}

export interface HttpPosterOptions {
  policy: TargetPolicy;
  timeoutMs: number;
  resolve?: HostResolver;
}

export function createHttpPoster(options: HttpPosterOptions): HttpPoster {
  const resolve = options.resolve ?? systemHostResolver;
  const pools = new TargetPools({ connectTimeoutMs: options.timeoutMs });
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
      const body = Buffer.from(request.body, 'utf8');
      let target = request.url;
      for (let hop = 0; ; hop++) {
        const verdict = checkTargetUrl(target, options.policy);
        if (!verdict.ok) return { kind: 'error', refused: true, error: `${hop > 0 ? 'redirect to ' : ''}${target} refused: ${verdict.reason}`, latencyMs: elapsed(performance.now()) };
        const url = verdict.url;
        let res: HopResult;
        try {
          const host = urlHost(url);
          const family = isIP(host);
          // A literal IP was vetted by checkTargetUrl; a name is resolved and vetted now, every hop.
          const addresses: ResolvedAddress[] = family ? [{ address: host, family: family as 4 | 6 }] : await vetHost(resolve, options.policy, host);
          res = await postOnce(pools.pool(url, addresses), url, request.headers, body, deadline - Date.now(), options.timeoutMs);
        } catch (err) {
          const refused = err instanceof ForbiddenTargetError;
          return { kind: 'error', refused, error: `${hop > 0 ? `redirect to ${target}: ` : ''}${describeDialFailure(err, url, options.policy)}`, latencyMs: elapsed(performance.now()) };
        }
        if ((res.status === 307 || res.status === 308) && res.location && hop < MAX_REDIRECTS) {
          try {
            target = new URL(res.location, url).toString();
          } catch {
            return answer(res, hop);
          }
          continue;
        }
        return answer(res, hop);
      }
    },
    close: () => pools.close(),
  };
}

/**
 * One request on `pool`, through undici's dispatch handler: the body chunks are seen as the parser
 * produces them, so the cap and the deadline abort a response still in progress, and undici then
 * destroys its socket instead of returning it to the pool. A response read to its end leaves the
 * socket in the pool for the next attempt to the same vetted addresses.
 */
function postOnce(pool: Dispatcher, url: URL, headers: Record<string, string>, body: Buffer, remainingMs: number, timeoutMs: number): Promise<HopResult> {
  return new Promise((resolve, reject) => {
    if (remainingMs <= 0) return reject(new Error(`timed out after ${timeoutMs} ms (redirects included)`));
    let settled = false;
    let result: HopResult | null = null;
    let controller: Dispatcher.DispatchController | null = null;
    // The body's first RESPONSE_HEAD_BYTES, copied out of the chunks as they pass; never more.
    const head = Buffer.alloc(RESPONSE_HEAD_BYTES);
    let headLength = 0;
    let read = 0;
    let bodyEnded = false;
    const finish = (err: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // A head cut short by a stall, reset or timeout is not what the receiver said: keep none.
      if (result && (bodyEnded || headLength === RESPONSE_HEAD_BYTES)) result.bodyHead = Buffer.from(head.subarray(0, headLength));
      // Headers arrived: the status is the answer even if the body then stalled.
      if (result) resolve(result);
      else reject(err ?? new Error('connection closed before a response'));
      // Anything unfinished (over the cap, stalled, timed out) takes its socket down with it.
      if (!bodyEnded) controller?.abort(new Error('webhook response abandoned'));
    };
    const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms`)), remainingMs);
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        // Still queued in the pool when the deadline passed: do not send it at all.
        if (settled) c.abort(new Error('webhook attempt timed out'));
      },
      onResponseStart(_c, status, responseHeaders) {
        const header = (name: string) => {
          const v = responseHeaders[name];
          return (Array.isArray(v) ? v[0] : v) ?? null;
        };
        result = { status, location: header('location'), retryAfter: header('retry-after'), headersAt: performance.now(), bodyHead: null };
      },
      onResponseData(_c, chunk) {
        if (headLength < RESPONSE_HEAD_BYTES) headLength += chunk.copy(head, headLength, 0, RESPONSE_HEAD_BYTES - headLength);
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) finish(null);
      },
      onResponseEnd() {
        bodyEnded = true;
        finish(null);
      },
      onResponseError(_c, err) {
        finish(err);
      },
    };
    pool.dispatch(
      {
        method: 'POST',
        path: `${url.pathname}${url.search}`,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(body.length),
          'user-agent': `e2a-webhooks/${VERSION}`,
        },
        body,
      },
      handler,
    );
  });
}
