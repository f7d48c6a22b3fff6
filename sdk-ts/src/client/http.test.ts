import { describe, expect, it } from 'vitest';
import { ConflictError, ConnectionError, NotE2AServerError, QuotaError, RateLimitError, ServerError, ValidationError } from './errors.js';
import { E2A } from './client.js';
import { HttpClient } from './http.js';

function scripted(answers: Array<Response | Error>) {
  const seen: Array<{ method: string; headers: Record<string, string> }> = [];
  const fetchImpl = (async (_url: URL, init: RequestInit) => {
    seen.push({ method: String(init.method), headers: init.headers as Record<string, string> });
    const next = answers.shift();
    if (!next) throw new Error('no more answers');
    if (next instanceof Error) throw next;
    return next;
  }) as unknown as typeof fetch;
  return { seen, client: new HttpClient({ apiKey: 'e2a_k', baseUrl: 'http://api.test', fetch: fetchImpl, maxRetries: 2, timeoutMs: 1000 }) };
}

const error = (status: number, code: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ error: { code, message: `${code} happened`, request_id: 'req_1' } }), { status, headers: { 'content-type': 'application/json', ...headers } });
const ok = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });

describe('SDK HTTP client', () => {
  it('retries a GET on 503 and on a network error, then succeeds', async () => {
    const { client, seen } = scripted([error(503, 'unavailable'), new TypeError('fetch failed'), ok({ fine: true })]);
    expect(await client.request('GET', '/v1/info')).toEqual({ fine: true });
    expect(seen).toHaveLength(3);
    expect(seen[0]!.headers.authorization).toBe('Bearer e2a_k');
  });

  it('retries a POST only when it carries an Idempotency-Key', async () => {
    const without = scripted([error(503, 'unavailable')]);
    await expect(without.client.request('POST', '/v1/agents', { body: {} })).rejects.toBeInstanceOf(ServerError);
    expect(without.seen).toHaveLength(1);
    const withKey = scripted([error(503, 'unavailable'), ok({ id: 'msg_1' })]);
    expect(await withKey.client.request('POST', '/v1/agents/a/messages', { body: {}, idempotencyKey: 'k1' })).toEqual({ id: 'msg_1' });
    expect(withKey.seen.map((s) => s.headers['idempotency-key'])).toEqual(['k1', 'k1']);
  });

  it('honours Retry-After on 429 and exposes it when retries run out', async () => {
    const { client } = scripted([error(429, 'rate_limited', { 'retry-after': '0' }), error(429, 'rate_limited', { 'retry-after': '0' }), error(429, 'rate_limited', { 'retry-after': '7' })]);
    const err = await client.request('GET', '/v1/agents').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfter).toBe(7);
  });

  it('maps error codes to typed errors carrying the request id', async () => {
    const cases: Array<[Response, unknown]> = [
      [error(402, 'quota_exceeded'), QuotaError],
      [error(409, 'idempotency_in_flight'), ConflictError],
      [error(422, 'idempotency_mismatch'), ValidationError],
    ];
    for (const [response, type] of cases) {
      const { client } = scripted([response]);
      const err = await client.request('POST', '/x', { body: {} }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(type as new () => Error);
      expect((err as { requestId: string }).requestId).toBe('req_1');
      expect((err as Error).message).toContain('(request req_1)');
    }
  });

  it('says how to fix an unreachable server', async () => {
    const { client } = scripted([new TypeError('fetch failed'), new TypeError('fetch failed'), new TypeError('fetch failed')]);
    const err = await client.request('GET', '/v1/info').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toContain('check E2A_API_URL');
  });
});

describe('SDK HTTP client on Node 18 (no AbortSignal.any)', () => {
  it("aborts a request when the caller's signal aborts, and times out on its own", async () => {
    const any = AbortSignal.any;
    // @ts-expect-error: removed as on Node < 20.3
    delete AbortSignal.any;
    try {
      const fetchImpl = ((_url: URL, init: RequestInit) =>
        new Promise((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason)))) as unknown as typeof fetch;
      const client = new HttpClient({ apiKey: 'e2a_k', baseUrl: 'http://api.test', fetch: fetchImpl, maxRetries: 0, timeoutMs: 60_000 });
      const caller = new AbortController();
      const pending = client.request('GET', '/v1/info', { signal: caller.signal }).catch((e: unknown) => e);
      caller.abort(new Error('stopped by the caller'));
      expect(((await pending) as Error).message).toBe('stopped by the caller');
      const quick = new HttpClient({ apiKey: 'e2a_k', baseUrl: 'http://api.test', fetch: fetchImpl, maxRetries: 0, timeoutMs: 50 });
      await expect(quick.request('GET', '/v1/info', { signal: new AbortController().signal })).rejects.toBeInstanceOf(ConnectionError);
    } finally {
      AbortSignal.any = any;
    }
  });

  it('names a server that is not e2a: an HTML page, a bare JSON value, an error without the envelope', async () => {
    const answers = [
      new Response('<!doctype html><h1>It works</h1>', { status: 200, headers: { 'content-type': 'text/html' } }),
      ok([1, 2]),
      new Response('{"message":"Not Found"}', { status: 404, headers: { 'content-type': 'application/json' } }),
      new Response('', { status: 401 }),
    ];
    for (const answer of answers) {
      const err = await scripted([answer]).client.request('GET', '/v1/agents').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotE2AServerError);
      expect((err as NotE2AServerError).code).toBe('not_e2a');
      expect((err as Error).message).toMatch(/^e2a: http:\/\/api\.test does not look like an e2a server: HTTP \d{3} answered .+; check the URL \(E2A_API_URL\)$/);
    }
    // A proxy's 502 page in front of a gateway that is down stays a retryable server error.
    const proxy = scripted([new Response('<html>Bad Gateway</html>', { status: 502 }), ok({ fine: true })]);
    expect(await proxy.client.request('GET', '/v1/info')).toEqual({ fine: true });
  });

  it('with a session, sends the cookie and the CSRF token instead of a key', async () => {
    const seen: Array<{ method: string; headers: Record<string, string>; credentials: RequestCredentials | undefined }> = [];
    const fetchImpl = (async (_url: URL, init: RequestInit) => {
      seen.push({ method: String(init.method), headers: init.headers as Record<string, string>, credentials: init.credentials });
      return ok({ fine: true });
    }) as unknown as typeof fetch;
    const g = globalThis as { document?: { cookie: string } };
    const before = g.document;
    g.document = { cookie: 'other=1; e2a_csrf=tok%2Ben; theme=dark' };
    try {
      const client = new HttpClient({ apiKey: null, session: true, baseUrl: 'http://api.test', fetch: fetchImpl, maxRetries: 0, timeoutMs: 1000 });
      await client.request('GET', '/v1/reviews');
      await client.request('POST', '/v1/reviews/rev_1/approve', { body: {} });
    } finally {
      if (before === undefined) delete g.document;
      else g.document = before;
    }
    expect(seen.map((s) => s.credentials)).toEqual(['same-origin', 'same-origin']);
    expect(seen.every((s) => s.headers.authorization === undefined)).toBe(true);
    expect(seen[0]!.headers['x-csrf-token']).toBeUndefined();
    expect(seen[1]!.headers['x-csrf-token']).toBe('tok+en');
    // The client needs no key with a session, and says so when listen() would need one.
    const browser = new E2A({ session: true, baseUrl: 'http://api.test', fetch: fetchImpl });
    expect(() => browser.listen('bot@agents.test')).toThrow(/session client cannot listen/);
  });
});
