/**
 * Dashboard sign-in end to end: sign-in links become cookie sessions that act with account scope,
 * the CSRF rule on every state-changing cookie request, sign-out, sign out everywhere, listing,
 * sign-in by email through the local outbox, rate limits per session, the WebSocket with the cookie,
 * and the headers of the served dashboard.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFakeResolver } from '@e2a/relay/testing';
import { CLOSE } from '@e2a/sdk/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVOKED_REASON } from '../realtime/credential-watch.js';
import { TestListener } from '../realtime/test-listener.js';
import { TestClock } from '../testing/clock.js';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { until } from '../testing/until.js';
import { DASHBOARD_CSP } from '../system/dashboard.js';

interface Session {
  cookie: string;
  csrf: string;
}

/** A sign-in link made with the account key, opened: the cookies it set. */
async function signIn(gw: TestGateway): Promise<Session> {
  const made = await gw.api('/v1/account/sign-in-links', { method: 'POST' });
  expect(made.status).toBe(201);
  const link = (await made.json()) as { url: string; expires_at: string };
  return open(gw, link.url);
}

async function open(gw: TestGateway, url: string): Promise<Session> {
  const res = await fetch(`${gw.gateway.httpUrl}${new URL(url).pathname}`, { redirect: 'manual', headers: { 'user-agent': 'test-browser/1.0' } });
  expect(res.status, await res.clone().text()).toBe(303);
  expect(res.headers.get('location')).toBe('/');
  const cookies = res.headers.getSetCookie();
  const session = cookies.find((c) => c.startsWith('e2a_session='))!;
  const csrf = cookies.find((c) => c.startsWith('e2a_csrf='))!;
  expect(session).toMatch(/HttpOnly/i);
  expect(session).toMatch(/SameSite=Strict/i);
  expect(session).toMatch(/Path=\//);
  expect(csrf).not.toMatch(/HttpOnly/i);
  const value = (c: string) => c.slice(0, c.indexOf(';'));
  return { cookie: `${value(session)}; ${value(csrf)}`, csrf: value(csrf).slice('e2a_csrf='.length) };
}

/** A request with the session cookie (and, with `csrf`, the token header). */
function asSession(gw: TestGateway, s: Session, p: string, init: RequestInit & { csrf?: boolean; origin?: string } = {}): Promise<Response> {
  const { csrf, origin, headers, ...rest } = init;
  const h = new Headers(headers);
  h.set('cookie', s.cookie);
  if (csrf) h.set('x-csrf-token', s.csrf);
  if (origin) h.set('origin', origin);
  if (rest.body && !h.has('content-type')) h.set('content-type', 'application/json');
  return gw.api(p, { ...rest, headers: h, key: null });
}

describe.each(ENGINES)('dashboard sessions (%s)', (engine) => {
  let gw: TestGateway;
  const clock = new TestClock();

  beforeAll(async () => {
    gw = await startTestGateway({ engine, clock, resolver: createFakeResolver({}), env: { E2A_OUTBOUND_SMTP_MODE: 'outbox', E2A_REALTIME_CREDENTIAL_CHECK_INTERVAL_MS: '300000' } });
  });
  afterAll(() => gw?.close());

  it('a sign-in link opens a cookie session that reads the account like its key', async () => {
    await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'session-reader' }) });
    const s = await signIn(gw);
    const res = await asSession(gw, s, '/v1/agents');
    expect(res.status).toBe(200);
    const agents = (await res.json()) as { items: Array<{ address: string }> };
    expect(agents.items.map((a) => a.address)).toContain(`session-reader@${TEST_DOMAIN}`);
  });

  it('a link works once; a used, unknown or expired link gets an HTML page saying so', async () => {
    const link = (await (await gw.api('/v1/account/sign-in-links', { method: 'POST' })).json()) as { url: string };
    await open(gw, link.url);
    const used = await fetch(`${gw.gateway.httpUrl}${new URL(link.url).pathname}`, { redirect: 'manual' });
    expect(used.status).toBe(410);
    expect(used.headers.get('content-type')).toMatch(/^text\/html/);
    expect(used.headers.getSetCookie()).toEqual([]);
    const page = await used.text();
    expect(page).toContain('already been used');
    expect(page).toContain('e2a dashboard');

    const unknown = await fetch(`${gw.gateway.httpUrl}/sign-in/${'x'.repeat(43)}`, { redirect: 'manual' });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('not known');

    const late = (await (await gw.api('/v1/account/sign-in-links', { method: 'POST' })).json()) as { url: string; expires_at: string };
    expect(Date.parse(late.expires_at) - clock.now().getTime()).toBeGreaterThan(14 * 60_000);
    clock.advance(16 * 60_000);
    const expired = await fetch(`${gw.gateway.httpUrl}${new URL(late.url).pathname}`, { redirect: 'manual' });
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain('expired');
  });

  it('a session expires after dashboard.session_ttl_hours', async () => {
    const s = await signIn(gw);
    expect((await asSession(gw, s, '/v1/agents')).status).toBe(200);
    clock.advance(12 * 3600_000 + 1000);
    const res = await asSession(gw, s, '/v1/agents');
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('expired');
  });

  it('a state-changing cookie request needs X-CSRF-Token and, if it has one, our Origin', async () => {
    const s = await signIn(gw);
    const create = (local: string, init: { csrf?: boolean; origin?: string }) => asSession(gw, s, '/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: local }), ...init });

    const noToken = await create('csrf-none', {});
    expect(noToken.status).toBe(403);
    expect(((await noToken.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'forbidden', message: expect.stringContaining('CSRF') });
    const wrongToken = await asSession(gw, { ...s, csrf: 'not-the-token' }, '/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'csrf-wrong' }), csrf: true });
    expect(wrongToken.status).toBe(403);
    const wrongOrigin = await create('csrf-origin', { csrf: true, origin: 'https://evil.example' });
    expect(wrongOrigin.status).toBe(403);
    expect(await wrongOrigin.text()).toContain('Origin');

    expect((await create('csrf-ok', { csrf: true, origin: gw.gateway.httpUrl })).status).toBe(201);
    expect((await create('csrf-no-origin', { csrf: true })).status).toBe(201);
    // Only the two accepted requests made agents.
    const names = ((await (await gw.api('/v1/agents')).json()) as { items: Array<{ address: string }> }).items.map((a) => a.address.split('@')[0]);
    expect(names.filter((n) => n!.startsWith('csrf-')).sort()).toEqual(['csrf-no-origin', 'csrf-ok']);
  });

  it('a cross-site form post with the cookie is refused', async () => {
    const s = await signIn(gw);
    const res = await asSession(gw, s, '/v1/agents', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'local_part=forged',
      origin: 'https://evil.example',
    });
    expect(res.status).toBe(403);
    const ok = await gw.api('/v1/agents');
    expect(((await ok.json()) as { items: Array<{ address: string }> }).items.map((a) => a.address)).not.toContain(`forged@${TEST_DOMAIN}`);
  });

  it('Authorization: Bearer requests need no CSRF token, with or without a cookie', async () => {
    const s = await signIn(gw);
    const res = await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'bearer-no-csrf' }), headers: { cookie: s.cookie, origin: 'https://evil.example' } });
    expect(res.status).toBe(201);
  });

  it('sign-out ends the session and clears the cookies', async () => {
    const s = await signIn(gw);
    const out = await asSession(gw, s, '/v1/account/sessions/sign-out', { method: 'POST', csrf: true });
    expect(out.status).toBe(204);
    const cleared = out.headers.getSetCookie();
    expect(cleared.some((c) => c.startsWith('e2a_session=;'))).toBe(true);
    expect(cleared.some((c) => c.startsWith('e2a_csrf=;'))).toBe(true);
    expect((await asSession(gw, s, '/v1/agents')).status).toBe(401);
    // With a key there is no current session to end.
    expect((await gw.api('/v1/account/sessions/sign-out', { method: 'POST' })).status).toBe(400);
  });

  it('lists the sessions, marks the current one, and ends one by id', async () => {
    await gw.api('/v1/account/sessions', { method: 'DELETE' });
    const a = await signIn(gw);
    const b = await signIn(gw);
    const list = (await (await asSession(gw, a, '/v1/account/sessions')).json()) as { items: Array<{ id: string; current: boolean; user_agent: string | null }> };
    expect(list.items).toHaveLength(2);
    expect(list.items.filter((i) => i.current)).toHaveLength(1);
    expect(list.items[0]!.user_agent).toBe('test-browser/1.0');
    const other = list.items.find((i) => !i.current)!;
    expect((await asSession(gw, a, `/v1/account/sessions/${other.id}`, { method: 'DELETE', csrf: true })).status).toBe(204);
    expect((await asSession(gw, b, '/v1/agents')).status).toBe(401);
    expect((await asSession(gw, a, '/v1/agents')).status).toBe(200);
    expect((await gw.api(`/v1/account/sessions/${other.id}`, { method: 'DELETE' })).status).toBe(404);
    const after = (await (await gw.api('/v1/account/sessions')).json()) as { items: Array<{ id: string; current: boolean }> };
    expect(after.items.map((i) => i.current)).toEqual([false]);
  });

  it('sign out everywhere ends every session of the account', async () => {
    const a = await signIn(gw);
    const b = await signIn(gw);
    expect((await asSession(gw, a, '/v1/account/sessions', { method: 'DELETE', csrf: true })).status).toBe(204);
    expect((await asSession(gw, a, '/v1/agents')).status).toBe(401);
    expect((await asSession(gw, b, '/v1/agents')).status).toBe(401);
    expect(((await (await gw.api('/v1/account/sessions')).json()) as { items: unknown[] }).items).toEqual([]);
  });

  it('a session can make a sign-in link (another browser)', async () => {
    const s = await signIn(gw);
    const res = await asSession(gw, s, '/v1/account/sign-in-links', { method: 'POST', csrf: true });
    expect(res.status).toBe(201);
    await open(gw, ((await res.json()) as { url: string }).url);
  });

  it('email-me-a-link: 202 always; a known email gets a link in the outbox, an unknown one gets nothing', async () => {
    const ask = (email: string) => gw.api('/v1/sign-in/email', { method: 'POST', key: null, body: JSON.stringify({ email }) });
    const unknown = await ask('nobody@example.org');
    const known = await ask('OWNER@example.com');
    expect(unknown.status).toBe(202);
    expect(known.status).toBe(202);
    expect(await unknown.json()).toEqual(await known.json());

    const item = await until('the sign-in mail in the outbox', async () => {
      const page = (await (await gw.api('/v1/outbox')).json()) as { items: Array<{ id: string; subject: string; recipients: string[] }> };
      return page.items.find((i) => i.subject === 'Your e2a sign-in link');
    });
    expect(item.recipients).toEqual(['owner@example.com']);
    const mail = (await (await gw.api(`/v1/outbox/${item.id}`)).json()) as { links: string[] };
    const link = mail.links.find((l) => new URL(l).pathname.startsWith('/sign-in/'))!;
    const s = await open(gw, link);
    expect((await asSession(gw, s, '/v1/agents')).status).toBe(200);
    // The known email's mail has been sent; the unknown one never made any.
    const rows = await gw.gateway.database.db.selectFrom('system_mail').select(['to_addresses']).where('kind', '=', 'sign_in_link').execute();
    expect(rows.map((r) => r.to_addresses)).toEqual([['owner@example.com']]);
  });

  it('the WebSocket takes the session cookie from our Origin, and ending the session closes it', async () => {
    await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'ws-session' }) });
    const address = `ws-session@${TEST_DOMAIN}`;
    const s = await signIn(gw);
    const listener = await TestListener.connect(gw.gateway.httpUrl, address, { headers: { cookie: s.cookie, origin: gw.gateway.httpUrl } });
    await listener.ready();
    // From another site the cookie does not count: the connection waits for an auth frame.
    const foreign = await TestListener.connect(gw.gateway.httpUrl, address, { headers: { cookie: s.cookie, origin: 'https://evil.example' } });
    foreign.send({ type: 'auth', token: 'e2a_not-a-key' });
    expect((await foreign.closedWithin()).code).toBe(CLOSE.authFailed);

    expect((await asSession(gw, s, '/v1/account/sessions/sign-out', { method: 'POST', csrf: true })).status).toBe(204);
    expect(await listener.closedWithin()).toEqual({ code: CLOSE.revoked, reason: REVOKED_REASON.session });
  });

  it('purge drops expired links and long-ended sessions, never a live one (runs last: it moves the clock a month)', async () => {
    const db = gw.gateway.database.db;
    const live = await signIn(gw);
    const expiredLinks = () => db.selectFrom('dashboard_sign_in_links').select('id').where('expires_at', '<', clock.now()).execute();
    expect((await expiredLinks()).length).toBeGreaterThan(0);
    await gw.gateway.dashboardSessions.purge();
    expect(await expiredLinks()).toEqual([]);
    expect((await asSession(gw, live, '/v1/agents')).status).toBe(200);
    clock.advance(31 * 86_400_000);
    await gw.gateway.dashboardSessions.purge();
    expect(await db.selectFrom('dashboard_sessions').select('id').execute()).toEqual([]);
  });
});

describe('dashboard session limits (pglite)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      engine: 'pglite',
      resolver: createFakeResolver({}),
      env: { E2A_API_LIMITS_REQUESTS_PER_KEY_PER_MINUTE: '3', E2A_API_LIMITS_SIGN_IN_EMAILS_PER_CLIENT_PER_HOUR: '2' },
    });
  });
  afterAll(() => gw?.close());

  it("a session has its own per-key budget", async () => {
    const a = await signIn(gw);
    const b = await signIn(gw);
    for (let i = 0; i < 3; i++) expect((await asSession(gw, a, '/v1/agents')).status).toBe(200);
    const refused = await asSession(gw, a, '/v1/agents');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('ratelimit-policy')).toContain('requests_per_key_per_minute');
    expect((await asSession(gw, b, '/v1/agents')).status).toBe(200);
  });

  it('email-me-a-link is limited per client network', async () => {
    const ask = () => gw.api('/v1/sign-in/email', { method: 'POST', key: null, body: JSON.stringify({ email: 'someone@example.org' }) });
    expect((await ask()).status).toBe(202);
    expect((await ask()).status).toBe(202);
    expect((await ask()).status).toBe(429);
  });
});

describe('sign-in mail limits per address (pglite)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ engine: 'pglite', resolver: createFakeResolver({}), env: { E2A_API_LIMITS_SIGN_IN_EMAILS_PER_ADDRESS_PER_HOUR: '2' } });
  });
  afterAll(() => gw?.close());
  const ask = (email: string) => gw.api('/v1/sign-in/email', { method: 'POST', key: null, body: JSON.stringify({ email }) });

  it('one address gets at most the limit, in any spelling, known or not; other addresses are not held up', async () => {
    for (const email of ['owner@example.com', ' Owner@Example.com ']) expect((await ask(email)).status).toBe(202);
    const refused = await ask('OWNER@example.com');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('ratelimit-policy')).toContain('sign_in_emails_per_address_per_hour');
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    // An address no account has is refused alike: the answer tells nothing of which exist.
    for (let i = 0; i < 2; i++) expect((await ask('nobody@example.org')).status).toBe(202);
    const unknown = await ask('nobody@example.org');
    expect(unknown.status).toBe(429);
    expect(await unknown.json()).toMatchObject({ error: { code: 'rate_limited' } });
    expect((await ask('someone-else@example.org')).status).toBe(202);
    // Two mails went to the account, not three; the limiter holds no address.
    const mails = await gw.gateway.database.db.selectFrom('system_mail').select('id').where('kind', '=', 'sign_in_link').execute();
    expect(mails).toHaveLength(2);
    const keys = (await gw.gateway.database.db.selectFrom('rate_limits').select('key').execute()).map((r) => r.key);
    expect(keys.filter((k) => k.includes('sign_in_emails_per_address_per_hour'))).toHaveLength(3);
    expect(keys.join('\n')).not.toMatch(/owner|nobody|someone-else/i);
  });
});

describe('the served dashboard', () => {
  let gw: TestGateway;
  let dist: string;
  beforeAll(async () => {
    dist = mkdtempSync(path.join(tmpdir(), 'e2a-dist-'));
    mkdirSync(path.join(dist, 'assets'));
    writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>e2a</title><script type="module" src="/assets/app-abc123.js"></script>');
    writeFileSync(path.join(dist, 'assets', 'app-abc123.js'), 'console.log(1)');
    gw = await startTestGateway({ engine: 'pglite', resolver: createFakeResolver({}), env: { E2A_DASHBOARD_DIST_DIR: dist } });
  });
  afterAll(async () => {
    await gw?.close();
    rmSync(dist, { recursive: true, force: true });
  });

  const get = (p: string, accept = 'text/html') => fetch(`${gw.gateway.httpUrl}${p}`, { headers: { accept } });

  it('serves index.html at / with the CSP, no-cache and the safety headers', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('app-abc123.js');
    expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('content-security-policy')).not.toContain('unsafe-');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('caches hashed assets for a year', async () => {
    const res = await get('/assets/app-abc123.js', '*/*');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('answers HTML GETs of other paths with index.html, and leaves the API and missing assets alone', async () => {
    const page = await get('/agents/bot@agents.test');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('app-abc123.js');
    expect(page.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    const api = await get('/v1/nothing-here');
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toMatch(/json/);
    expect((await get('/assets/missing.js')).status).toBe(404);
    expect((await get('/agents', 'application/json')).status).toBe(404);
  });
});
