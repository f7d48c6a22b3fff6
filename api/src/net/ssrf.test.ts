/**
 * SSRF: every forbidden range is refused at dial time (literal IP URLs, resolver answers, redirect
 * hops, a rebinding name), with real HTTP receivers on loopback to prove nothing was sent. To keep
 * the address rules testable over plain http, these tests split allow_private_targets into its two
 * halves (http:// allowed, private addresses not); "public" is played by 127.0.0.1 where a test
 * needs a reachable allowed server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startReceiver, type WebhookReceiver } from '../testing/webhook-receiver.js';
import { checkAddress, targetPolicy, type TargetPolicy } from './address-policy.js';
import type { HostResolver, ResolvedAddress } from './guarded-lookup.js';
import { createHttpPoster } from './http-poster.js';
import { checkTargetUrl } from './target-url.js';

/** Each forbidden range the policy must cover, with an address in it. */
const FORBIDDEN: Array<[string, string]> = [
  ['loopback', '127.0.0.1'],
  ['loopback (rest of 127/8)', '127.9.8.7'],
  ['RFC 1918 10/8', '10.1.2.3'],
  ['RFC 1918 172.16/12', '172.20.0.1'],
  ['RFC 1918 192.168/16', '192.168.1.10'],
  ['link-local / cloud metadata', '169.254.169.254'],
  ['CGNAT 100.64/10', '100.100.100.200'],
  ['this network 0/8', '0.1.2.3'],
  ['unspecified', '0.0.0.0'],
  ['multicast', '224.0.0.251'],
  ['broadcast', '255.255.255.255'],
  ['reserved 240/4', '240.0.0.1'],
  ['documentation TEST-NET-1', '192.0.2.10'],
  ['IPv6 loopback', '::1'],
  ['IPv6 unspecified', '::'],
  ['IPv6 link-local', 'fe80::1'],
  ['ULA fc00::/7', 'fd12:3456::1'],
  ['IPv6 multicast', 'ff02::1'],
  ['IPv4-mapped loopback', '::ffff:127.0.0.1'],
  ['IPv4-mapped metadata', '::ffff:169.254.169.254'],
  ['IPv4-compatible loopback', '::127.0.0.1'],
  ['6to4 of 127.0.0.1', '2002:7f00:1::1'],
  ['6to4 of 10.0.0.1', '2002:a00:1::'],
  ['NAT64 of 10.0.0.1', '64:ff9b::a00:1'],
  ['NAT64 of metadata', '64:ff9b::a9fe:a9fe'],
  ['documentation 2001:db8::/32', '2001:db8::1'],
];

const ALLOWED = ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2002:808:808::1', '64:ff9b::808:808'];

/** Address rules on, plain http allowed so loopback receivers can stand in. */
const STRICT: TargetPolicy = { ...targetPolicy(false), allowHttp: true };
/** As STRICT, but 127.0.0.1 plays a public server. */
const STAND_IN: TargetPolicy = { ...STRICT, checkAddress: (ip) => (ip === '127.0.0.1' ? { allowed: true } : checkAddress(ip)) };
const OPEN = targetPolicy(true);

function scripted(answers: Record<string, string[] | ((call: number) => string)>): HostResolver & { calls: string[] } {
  const calls: string[] = [];
  const counts = new Map<string, number>();
  const resolve = async (host: string): Promise<ResolvedAddress[]> => {
    calls.push(host);
    const n = (counts.get(host) ?? 0) + 1;
    counts.set(host, n);
    const a = answers[host];
    if (!a) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    const list = typeof a === 'function' ? [a(n)] : a;
    return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { calls });
}

const hostOf = (ip: string) => (ip.includes(':') ? `[${ip}]` : ip);
const post = (url: string) => ({ url, headers: { 'webhook-id': 'evt_x' }, body: '{"x":1}' });

const receivers: WebhookReceiver[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});
async function receiver(...args: Parameters<typeof startReceiver>) {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

describe('address policy', () => {
  it.each(FORBIDDEN)('refuses %s (%s)', (_name, ip) => {
    expect(checkAddress(ip).allowed).toBe(false);
  });
  it.each(ALLOWED)('allows global unicast %s', (ip) => {
    expect(checkAddress(ip)).toEqual({ allowed: true });
  });
});

describe('create-time URL rules', () => {
  it.each([
    ['ftp://example.com/x', /scheme ftp/],
    ['http://example.com/x', /use https/],
    ['https://user:pw@example.com/x', /credentials/],
    ['https://127.0.0.1/x', /loopback/],
    ['https://[::ffff:a9fe:a9fe]/x', /ipv4Mapped/],
    ['https://2130706433/x', /loopback/],
    ['https://localhost:8080/x', /loopback/],
    ['not a url', /absolute URL/],
  ])('refuses %s', (url, reason) => {
    const v = checkTargetUrl(url, targetPolicy(false));
    expect(v.ok).toBe(false);
    expect(v.ok ? '' : v.reason).toMatch(reason);
  });
  it('accepts https to a name, and anything http(s) when private targets are allowed', () => {
    expect(checkTargetUrl('https://hooks.example.com/e2a', targetPolicy(false)).ok).toBe(true);
    expect(checkTargetUrl('http://127.0.0.1:9/x', OPEN).ok).toBe(true);
  });
});

describe('dial-time SSRF guard', () => {
  it('refuses every forbidden literal IP before connecting (the loopback receiver sees nothing)', async () => {
    const r = await receiver();
    const transport = createHttpPoster({ policy: STRICT, timeoutMs: 2000, resolve: scripted({}) });
    for (const [name, ip] of FORBIDDEN) {
      const outcome = await transport.post(post(`http://${hostOf(ip)}:${r.port}/hook`));
      expect(outcome, name).toMatchObject({ kind: 'error', refused: true });
    }
    expect(r.requests).toHaveLength(0);
  });

  it('refuses every forbidden resolver answer at lookup time', async () => {
    const r = await receiver();
    for (const [name, ip] of FORBIDDEN) {
      const resolve = scripted({ 'hooks.example': [ip] });
      const transport = createHttpPoster({ policy: STRICT, timeoutMs: 2000, resolve });
      const outcome = await transport.post(post(`http://hooks.example:${r.port}/hook`));
      expect(outcome, name).toMatchObject({ kind: 'error', refused: true });
      if (outcome.kind === 'error') expect(outcome.error).toMatch(/refused to connect to hooks\.example/);
      expect(resolve.calls).toEqual(['hooks.example']);
    }
    expect(r.requests).toHaveLength(0);
  });

  it('refuses a name when any of its answers is forbidden', async () => {
    const r = await receiver();
    const transport = createHttpPoster({ policy: STAND_IN, timeoutMs: 2000, resolve: scripted({ 'mixed.example': ['127.0.0.1', '10.0.0.1'] }) });
    expect(await transport.post(post(`http://mixed.example:${r.port}/hook`))).toMatchObject({ kind: 'error', refused: true });
    expect(r.requests).toHaveLength(0);
  });

  it('catches DNS rebinding: the address checked is the address dialled, on every attempt', async () => {
    const good = await receiver(undefined, { host: '127.0.0.1' });
    const inner = await receiver(undefined, { host: '127.0.0.2', port: good.port });
    const resolve = scripted({ 'rebind.example': (call) => (call === 1 ? '127.0.0.1' : '127.0.0.2') });
    const transport = createHttpPoster({ policy: STAND_IN, timeoutMs: 2000, resolve });
    const url = `http://rebind.example:${good.port}/hook`;
    expect(await transport.post(post(url))).toMatchObject({ kind: 'response', status: 200 });
    const second = await transport.post(post(url));
    expect(second).toMatchObject({ kind: 'error', refused: true });
    expect(second.kind === 'error' && second.error).toMatch(/rebind\.example: it does not resolve to a public address/);
    expect(resolve.calls).toEqual(['rebind.example', 'rebind.example']);
    expect(good.requests).toHaveLength(1);
    expect(inner.requests).toHaveLength(0);
  });

  it('re-checks every redirect hop and refuses forbidden targets', async () => {
    const inner = await receiver(undefined, { host: '127.0.0.2' });
    const targets = [
      'http://169.254.169.254/latest/meta-data/',
      `http://127.0.0.2:${inner.port}/hook`,
      `http://inner.example:${inner.port}/hook`,
      `http://[::ffff:7f00:2]:${inner.port}/hook`,
      `http://[64:ff9b::a00:1]:${inner.port}/hook`,
      'ftp://files.example/hook',
    ];
    let location = '';
    const front = await receiver(() => ({ status: 307, headers: { location } }));
    const transport = createHttpPoster({ policy: STAND_IN, timeoutMs: 2000, resolve: scripted({ 'inner.example': ['127.0.0.2'] }) });
    for (const target of targets) {
      location = target;
      const outcome = await transport.post(post(front.url));
      expect(outcome, target).toMatchObject({ kind: 'error', refused: true });
      expect(outcome.kind === 'error' && outcome.error, target).toMatch(/redirect to/);
    }
    expect(front.requests).toHaveLength(targets.length);
    expect(inner.requests).toHaveLength(0);
  });

  it('follows 307/308 keeping POST and the body, at most 3 hops; 301/302/303 are not followed', async () => {
    const r = await receiver((req) => {
      const hop = Number(/hop=(\d+)/.exec(req.path)?.[1] ?? 0);
      if (req.path.startsWith('/see-other')) return { status: 303, headers: { location: '/hook?hop=9' } };
      if (req.path.startsWith('/loop')) return { status: 308, headers: { location: `/loop?hop=${hop + 1}` } };
      return hop < 2 ? { status: hop % 2 ? 308 : 307, headers: { location: `/hook?hop=${hop + 1}` } } : { status: 204 };
    });
    const transport = createHttpPoster({ policy: OPEN, timeoutMs: 2000 });
    // Latency runs from the first hop to the final headers; a 204 has an empty body, fully read.
    expect(await transport.post(post(r.url))).toEqual({ kind: 'response', status: 204, retryAfter: null, redirects: 2, latencyMs: expect.any(Number), bodyHead: Buffer.alloc(0) });
    expect(r.requests.map((q) => [q.method, q.body, q.headers['webhook-id']])).toEqual(Array(3).fill(['POST', '{"x":1}', 'evt_x']));
    expect(await transport.post(post(`${r.url.replace('/hook', '/see-other')}`))).toMatchObject({ kind: 'response', status: 303 });
    expect(await transport.post(post(`${r.url.replace('/hook', '/loop')}`))).toMatchObject({ kind: 'response', status: 308, redirects: 3 });
  });

  it('allows loopback, private answers and private redirects when allow_private_targets is on', async () => {
    const inner = await receiver(undefined, { host: '127.0.0.2' });
    const front = await receiver(() => ({ status: 307, headers: { location: inner.url } }));
    const transport = createHttpPoster({ policy: OPEN, timeoutMs: 2000, resolve: scripted({ 'dev.example': ['127.0.0.2'] }) });
    expect(await transport.post(post(inner.url))).toMatchObject({ kind: 'response', status: 200 });
    expect(await transport.post(post(`http://dev.example:${inner.port}/hook`))).toMatchObject({ kind: 'response', status: 200 });
    expect(await transport.post(post(front.url))).toMatchObject({ kind: 'response', status: 200, redirects: 1 });
    expect(inner.requests).toHaveLength(3);
  });

  it('requires https when private targets are not allowed', async () => {
    const transport = createHttpPoster({ policy: targetPolicy(false), timeoutMs: 2000, resolve: scripted({ 'hooks.example': ['93.184.216.34'] }) });
    const outcome = await transport.post(post('http://hooks.example/hook'));
    expect(outcome).toMatchObject({ kind: 'error', refused: true });
    expect(outcome.kind === 'error' && outcome.error).toMatch(/use https/);
  });

  it('never echoes the address a name resolved to, and answers a private name as it answers a missing one', async () => {
    const r = await receiver();
    const IP_LITERAL = /\b\d{1,3}(?:\.\d{1,3}){3}\b|[0-9a-f]{0,4}:[0-9a-f]{0,4}:[0-9a-f:.]*/i;
    // Forbidden answers: every range, each behind a name.
    for (const [name, ip] of FORBIDDEN) {
      const transport = createHttpPoster({ policy: STRICT, timeoutMs: 2000, resolve: scripted({ 'intranet.example': [ip] }) });
      const outcome = await transport.post(post(`http://intranet.example:${r.port}/hook`));
      expect(outcome.kind === 'error' && outcome.error, name).not.toMatch(IP_LITERAL);
      expect(outcome.kind === 'error' && outcome.error, name).not.toMatch(/loopback|rfc1918|link-?local|uniqueLocal|multicast|broadcast|carrierGradeNat|reserved|unspecified|6to4|NAT64/i);
    }
    const missing = await createHttpPoster({ policy: STRICT, timeoutMs: 2000, resolve: scripted({}) }).post(post(`http://intranet.example:${r.port}/hook`));
    const hidden = await createHttpPoster({ policy: STRICT, timeoutMs: 2000, resolve: scripted({ 'intranet.example': ['10.0.0.5'] }) }).post(post(`http://intranet.example:${r.port}/hook`));
    expect(missing.kind === 'error' && missing.error).toBe(hidden.kind === 'error' && hidden.error);

    // A socket error behind an allowed name (node says "connect ECONNREFUSED 127.0.0.1:<port>").
    const closed = await receiver();
    await closed.close();
    const refusedByPeer = await createHttpPoster({ policy: STAND_IN, timeoutMs: 2000, resolve: scripted({ 'gone.example': ['127.0.0.1'] }) }).post(
      post(`http://gone.example:${closed.port}/hook`),
    );
    expect(refusedByPeer).toMatchObject({ kind: 'error', refused: false });
    expect(refusedByPeer.kind === 'error' && refusedByPeer.error).toBe(`gone.example:${closed.port} refused the connection; is the receiver listening on that port?`);
    expect(r.requests).toHaveLength(0);
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    const r = await receiver(() => 'hang');
    const outcome = await createHttpPoster({ policy: OPEN, timeoutMs: 300 }).post(post(r.url));
    expect(outcome).toMatchObject({ kind: 'error', refused: false });
    expect(outcome.kind === 'error' && outcome.error).toMatch(/timed out after 300 ms/);
  });
});
