/**
 * Keep-alive for webhook targets (target-pools.ts) without weakening the SSRF guard: a connection
 * is reused only for the same origin and the same vetted addresses, never for a name that now
 * resolves elsewhere, and never after a response that was cut off. Observed on real receivers on
 * loopback (which connection each request came on), as in ssrf.test.ts, where 127.0.0.1 and
 * 127.0.0.2 stand in for public servers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startReceiver, type WebhookReceiver } from '../testing/webhook-receiver.js';
import { until } from '../testing/until.js';
import { checkAddress, targetPolicy, type TargetPolicy } from './address-policy.js';
import type { HostResolver } from './guarded-lookup.js';
import { createHttpPoster, RESPONSE_HEAD_BYTES, type HttpPoster } from './http-poster.js';
import { TargetPools } from './target-pools.js';

const STRICT: TargetPolicy = { ...targetPolicy(false), allowHttp: true };
/** 127.0.0.1 plays a public server; 127.0.0.2 stays forbidden (loopback). */
const ONE_PUBLIC: TargetPolicy = { ...STRICT, checkAddress: (ip) => (ip === '127.0.0.1' ? { allowed: true } : checkAddress(ip)) };
/** Both play public servers. */
const TWO_PUBLIC: TargetPolicy = { ...STRICT, checkAddress: (ip) => (ip === '127.0.0.1' || ip === '127.0.0.2' ? { allowed: true } : checkAddress(ip)) };

/** `name` answers each call with the next address of `sequence` (the last one repeats). */
function answering(name: string, sequence: string[]): HostResolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (host: string) => {
    calls.push(host);
    if (host !== name) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    const address = sequence[Math.min(calls.length - 1, sequence.length - 1)]!;
    return [{ address, family: 4 as const }];
  };
  return Object.assign(resolve, { calls });
}

const post = (url: string) => ({ url, headers: { 'webhook-id': 'evt_x' }, body: '{"x":1}' });
/**
 * undici hands a keep-alive socket back to its pool one event-loop turn after the response ends
 * (it first checks that the server did not close it); a request sent before that gets a second
 * connection. Deliveries in the gateway are that far apart anyway (the result is written first).
 */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

const receivers: WebhookReceiver[] = [];
const transports: HttpPoster[] = [];
afterEach(async () => {
  for (const t of transports.splice(0)) await t.close();
  for (const r of receivers.splice(0)) await r.close();
});
async function receiver(...args: Parameters<typeof startReceiver>) {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}
function poster(...args: Parameters<typeof createHttpPoster>) {
  const t = createHttpPoster(...args);
  transports.push(t);
  return t;
}

describe('webhook connection reuse', () => {
  it('sends deliveries to the same target on one connection, vetting the name on every attempt', async () => {
    const r = await receiver();
    const resolve = answering('hooks.example', ['127.0.0.1']);
    const transport = poster({ policy: ONE_PUBLIC, timeoutMs: 2000, resolve });
    for (let i = 0; i < 3; i++) {
      expect(await transport.post(post(`http://hooks.example:${r.port}/hook`))).toMatchObject({ kind: 'response', status: 200 });
      await nextTurn();
    }
    expect(r.connections.opened).toBe(1);
    expect(new Set(r.requests.map((q) => q.remotePort)).size).toBe(1);
    expect(resolve.calls).toEqual(['hooks.example', 'hooks.example', 'hooks.example']);
  });

  it('dials a name that now resolves elsewhere afresh, and reuses a socket only for the address it was vetted for', async () => {
    const a = await receiver(undefined, { host: '127.0.0.1' });
    const b = await receiver(undefined, { host: '127.0.0.2', port: a.port });
    const transport = poster({ policy: TWO_PUBLIC, timeoutMs: 2000, resolve: answering('moving.example', ['127.0.0.1', '127.0.0.2', '127.0.0.1']) });
    const url = `http://moving.example:${a.port}/hook`;
    for (let i = 0; i < 3; i++) {
      expect(await transport.post(post(url))).toMatchObject({ kind: 'response', status: 200 });
      await nextTurn();
    }
    expect(b.requests).toHaveLength(1);
    expect(b.connections.opened).toBe(1);
    // Back at the first address: its own socket, the one opened for it.
    expect(a.requests).toHaveLength(2);
    expect(a.connections.opened).toBe(1);
  });

  it('refuses a name that now resolves to a forbidden address, with a socket to its old address open', async () => {
    const a = await receiver(undefined, { host: '127.0.0.1' });
    const inner = await receiver(undefined, { host: '127.0.0.2', port: a.port });
    const transport = poster({ policy: ONE_PUBLIC, timeoutMs: 2000, resolve: answering('rebind.example', ['127.0.0.1', '127.0.0.2']) });
    const url = `http://rebind.example:${a.port}/hook`;
    expect(await transport.post(post(url))).toMatchObject({ kind: 'response', status: 200 });
    expect(a.connections).toMatchObject({ opened: 1, closed: 0 });
    const second = await transport.post(post(url));
    expect(second).toMatchObject({ kind: 'error', refused: true });
    expect(second.kind === 'error' && second.error).toMatch(/rebind\.example: it does not resolve to a public address/);
    // Nothing went out on the open socket, and nothing reached the forbidden address.
    expect(a.requests).toHaveLength(1);
    expect(inner.requests).toHaveLength(0);
    expect(inner.connections.opened).toBe(0);
  });

  it('does not return the socket of a response over the body cap to the pool', async () => {
    // More than loopback's socket buffers hold: a client that keeps the socket for the next request
    // must read it all, and one that drops it leaves most unread, which resets the connection.
    const huge = Buffer.alloc(64 * 1024 * 1024, 'x');
    const r = await receiver((_req, i) => ({ status: 200, body: i === 0 ? huge : 'ok' }));
    const transport = poster({ policy: ONE_PUBLIC, timeoutMs: 5000, resolve: answering('big.example', ['127.0.0.1']) });
    const url = `http://big.example:${r.port}/hook`;
    const first = await transport.post(post(url));
    expect(first).toMatchObject({ kind: 'response', status: 200 });
    expect(first.kind === 'response' && first.bodyHead?.length).toBe(RESPONSE_HEAD_BYTES);
    await until('the over-cap response to be cut off with its connection', () => r.connections.reset === 1, 10_000);
    await nextTurn();
    expect(await transport.post(post(url))).toMatchObject({ kind: 'response', status: 200, bodyHead: Buffer.from('ok') });
    expect(r.connections.opened).toBe(2);
    expect(r.requests[1]!.remotePort).not.toBe(r.requests[0]!.remotePort);
  });

  it('keeps the socket of a response read to its end within the cap', async () => {
    const r = await receiver((_req, i) => ({ status: 200, body: i === 0 ? 'x'.repeat(60 * 1024) : 'ok' }));
    const transport = poster({ policy: ONE_PUBLIC, timeoutMs: 2000, resolve: answering('fits.example', ['127.0.0.1']) });
    const url = `http://fits.example:${r.port}/hook`;
    expect(await transport.post(post(url))).toMatchObject({ kind: 'response', status: 200 });
    await nextTurn();
    expect(await transport.post(post(url))).toMatchObject({ kind: 'response', status: 200 });
    expect(r.connections.opened).toBe(1);
  });

  it('drops the socket of an attempt that timed out', async () => {
    const r = await receiver((_req, i) => (i === 0 ? 'hang' : { status: 204 }));
    const transport = poster({ policy: ONE_PUBLIC, timeoutMs: 300, resolve: answering('slow.example', ['127.0.0.1']) });
    const url = `http://slow.example:${r.port}/hook`;
    const first = await transport.post(post(url));
    expect(first.kind === 'error' && first.error).toMatch(/timed out after 300 ms/);
    await until('the timed-out connection to close', () => r.connections.closed === 1, 10_000);
    expect(await transport.post(post(url))).toMatchObject({ kind: 'response', status: 204 });
    expect(r.connections.opened).toBe(2);
  });

  it('closes idle sockets when the transport closes, and posts nothing after', async () => {
    const r = await receiver();
    const transport = poster({ policy: ONE_PUBLIC, timeoutMs: 2000, resolve: answering('hooks.example', ['127.0.0.1']) });
    const url = `http://hooks.example:${r.port}/hook`;
    expect(await transport.post(post(url))).toMatchObject({ kind: 'response', status: 200 });
    await transport.close();
    await until('the idle connection to close', () => r.connections.closed === 1);
    expect(await transport.post(post(url))).toMatchObject({ kind: 'error', refused: false, error: expect.stringMatching(/closed/) });
    expect(r.requests).toHaveLength(1);
  });
});

describe('target pools', () => {
  it('keeps at most maxPools, closing the least recently used with its sockets', async () => {
    const r = await receiver();
    const pools = new TargetPools({ connectTimeoutMs: 2000, maxPools: 2 });
    try {
      const local = [{ address: '127.0.0.1', family: 4 as const }];
      const send = async (name: string) => {
        const res = await pools.pool(new URL(`http://${name}:${r.port}/`), local).request({ method: 'POST', path: '/hook', body: '{}' });
        await res.body.dump();
        await nextTurn();
      };
      await send('a.example');
      await send('b.example');
      await send('a.example');
      // b is now the least recently used: c takes its place.
      await send('c.example');
      expect(pools.size).toBe(2);
      await until("b's connection to close", () => r.connections.closed === 1);
      expect(r.requests.filter((q) => q.headers.host === `b.example:${r.port}`)).toHaveLength(1);
      await send('a.example');
      expect(r.connections.opened).toBe(3);
    } finally {
      await pools.close();
    }
  });
});
