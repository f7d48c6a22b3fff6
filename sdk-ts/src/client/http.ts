/**
 * The SDK's one HTTP path: fetch (browsers and Node >= 18), auth header, JSON, typed errors, and
 * automatic retries for requests that are safe to repeat: GET/HEAD/DELETE and any request sent with
 * an Idempotency-Key (the server returns the original result for a repeated key).
 */
import { ConnectionError, RateLimitError, describeBody, errorFromResponse, isErrorEnvelope, notE2AServer } from './errors.js';

export interface HttpOptions {
  /** Bearer key; null with `session` (a browser on the gateway's own origin, signed in by cookie). */
  apiKey: string | null;
  /**
   * Cookie auth for the dashboard: send the session cookie (`credentials: 'same-origin'`), no
   * Authorization header, and the `e2a_csrf` cookie's value as X-CSRF-Token on methods that change state.
   */
  session?: boolean;
  baseUrl: string;
  fetch: typeof fetch;
  maxRetries: number;
  timeoutMs: number;
}

export interface RequestOptions {
  /** An array repeats the parameter (`?label=a&label=b`). */
  query?: Record<string, string | number | boolean | readonly string[] | undefined | null>;
  body?: unknown;
  idempotencyKey?: string;
  /** Return the raw bytes instead of parsing JSON. */
  raw?: boolean;
  /**
   * Return the Response with its body unread, for a download too big for memory (an export
   * archive). The timeout covers the wait for the response's headers only, not the body.
   */
  stream?: boolean;
  signal?: AbortSignal;
}

const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The `e2a_csrf` cookie the gateway sets beside the session cookie (readable by the page on purpose). */
function csrfToken(): string | undefined {
  const cookie = (globalThis as { document?: { cookie?: string } }).document?.cookie ?? '';
  for (const part of cookie.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === 'e2a_csrf') return decodeURIComponent(value.join('='));
  }
  return undefined;
}

export class HttpClient {
  /** The base with one trailing slash, so a path resolves under it even when it has a path prefix. */
  private readonly base: string;

  constructor(private readonly options: HttpOptions) {
    this.base = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
  }

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  /** An API path (`/v1/…`) as an absolute URL under the base. */
  url(path: string): URL {
    return new URL(path.replace(/^\//, ''), this.base);
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = this.url(path);
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (Array.isArray(v)) for (const item of v) url.searchParams.append(k, item);
      else if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { accept: opts.raw ? '*/*' : 'application/json' };
    if (this.options.apiKey !== null) headers.authorization = `Bearer ${this.options.apiKey}`;
    if (this.options.session && !SAFE_METHODS.has(method)) {
      const csrf = csrfToken();
      if (csrf) headers['x-csrf-token'] = csrf;
    }
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
    const retryable = ['GET', 'HEAD', 'DELETE'].includes(method) || opts.idempotencyKey !== undefined;

    for (let attempt = 0; ; attempt++) {
      let response: Response;
      const headersTimeout = opts.stream ? new AbortController() : null;
      const timer = headersTimeout ? setTimeout(() => headersTimeout.abort(new DOMException('timeout', 'TimeoutError')), this.options.timeoutMs) : undefined;
      const timeout = headersTimeout ? headersTimeout.signal : AbortSignal.timeout(this.options.timeoutMs);
      const signal = opts.signal ? eitherSignal(opts.signal, timeout) : timeout;
      try {
        response = await this.options.fetch(url, {
          method,
          headers,
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
          signal,
          ...(this.options.session ? { credentials: 'same-origin' as const } : {}),
        });
      } catch (err) {
        clearTimeout(timer);
        if (opts.signal?.aborted) throw err;
        const timedOut = timeout.aborted;
        if (retryable && attempt < this.options.maxRetries) {
          await sleep(backoff(attempt));
          continue;
        }
        throw new ConnectionError(
          timedOut
            ? `e2a: no answer from ${url.origin} within ${this.options.timeoutMs} ms`
            : `e2a: cannot reach ${url.origin} (${(err as Error).message}); check E2A_API_URL and that the server is running`,
          timedOut ? 'timeout' : 'network_error',
          null,
          null,
        );
      }
      clearTimeout(timer);
      if (response.ok) {
        if (opts.stream) return response as T;
        if (response.status === 204) return undefined as T;
        if (opts.raw) return new Uint8Array(await response.arrayBuffer()) as T;
        return (await this.json(response, url, true)) as T;
      }
      const body = await this.json(response, url, false);
      const error = errorFromResponse(response.status, body as Parameters<typeof errorFromResponse>[1], response.headers);
      if (retryable && RETRY_STATUSES.has(response.status) && attempt < this.options.maxRetries) {
        const wait = error instanceof RateLimitError && error.retryAfter !== null ? error.retryAfter * 1000 : backoff(attempt);
        await sleep(Math.min(wait, 60_000));
        continue;
      }
      throw error;
    }
  }

  /**
   * The JSON object an e2a server answers with. Anything else (an HTML page, a bare value, an error
   * without the { error: { code, message } } envelope) means the URL is not an e2a server; a 502,
   * 503 or 504 without one is a proxy in front of a gateway that is down, and stays a ServerError.
   */
  private async json(response: Response, url: URL, ok: boolean): Promise<unknown> {
    const text = await response.text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
    const proxy = [502, 503, 504].includes(response.status);
    if (ok ? !isObject : !isErrorEnvelope(body) && !proxy) {
      const what = body === undefined ? describeBody(response.headers.get('content-type'), text) : `JSON without the e2a ${ok ? 'object' : 'error envelope'} (${JSON.stringify(body).slice(0, 60)})`;
      throw notE2AServer(url.origin, response.status, what, response.headers.get('x-request-id'));
    }
    return body ?? null;
  }
}

/** Exponential backoff with full jitter: 0.5 s, 1 s, 2 s … caps at 8 s. */
function backoff(attempt: number): number {
  return Math.random() * Math.min(8000, 500 * 2 ** attempt);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** AbortSignal.any([a, b]), which Node has only from 20.3; the SDK supports Node 18. */
function eitherSignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([a, b]);
  const controller = new AbortController();
  for (const signal of [a, b]) {
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true, signal: controller.signal });
  }
  return controller.signal;
}
