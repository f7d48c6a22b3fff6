/** What each HTTP request costs, and how a spent budget is answered: every limit trips and resets. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../accounts/principal.js';
import { AppError } from '../errors.js';
import { TestClock } from '../testing/clock.js';
import { ENGINES, openTestDatabase, type TestDatabase } from '../testing/databases.js';
import { API_LIMITS_OFF } from '../testing/http-limits.js';
import { HttpLimits, type ApiRateLimits } from './http-limits.js';
import { DatabaseLimiter } from './limiter.js';


const principal = (keyId: string, userId = 'usr_1'): Principal => ({ userId, email: 'o@example.com', keyId, scope: 'account', agentId: null, agentAddress: null });

async function refused(work: Promise<unknown>): Promise<AppError> {
  const err = await work.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof AppError)) throw new Error(`expected a refusal, got ${String(err)}`);
  return err;
}

describe.each(ENGINES)('HTTP limits (%s)', (engine) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase(engine);
  });
  afterAll(() => database.drop());

  const limitsWith = (limits: Partial<ApiRateLimits>, clock = new TestClock()) => ({
    clock,
    limits: new HttpLimits({ limiter: new DatabaseLimiter({ db: database.handle.db, clock }), limits: { ...API_LIMITS_OFF, ...limits } }),
  });

  it('per key: 429 with Retry-After and the RateLimit headers once spent, and again allowed after the window', async () => {
    const { limits, clock } = limitsWith({ requestsPerKeyPerMinute: 2 });
    const req = { ip: '192.0.2.1', principal: principal('key_a'), route: undefined, agent: undefined };
    expect(await limits.charge(req)).toEqual({ 'RateLimit-Policy': '"requests_per_key_per_minute";q=2;w=60', RateLimit: '"requests_per_key_per_minute";r=1;t=60' });
    await limits.charge(req);
    const err = await refused(limits.charge(req));
    expect(err.status).toBe(429);
    expect(err.code).toBe('rate_limited');
    expect(err.headers).toMatchObject({ 'Retry-After': '60', RateLimit: '"requests_per_key_per_minute";r=0;t=60' });
    // Another key is not affected.
    await limits.charge({ ...req, principal: principal('key_b') });
    clock.advance(61_000);
    await limits.charge(req);
  });

  it('per client network: an IPv6 /64 is one client, with or without a key', async () => {
    const { limits } = limitsWith({ requestsPerClientPerMinute: 2 });
    await limits.charge({ ip: '2001:db8:1:2::1', principal: null, route: undefined, agent: undefined });
    await limits.charge({ ip: '2001:db8:1:2::ffff', principal: principal('key_c'), route: undefined, agent: undefined });
    expect((await refused(limits.charge({ ip: '2001:db8:1:2:aaaa::9', principal: null, route: undefined, agent: undefined }))).status).toBe(429);
    await limits.charge({ ip: '2001:db8:1:3::1', principal: null, route: undefined, agent: undefined });
  });

  it('sends per agent per day is a quota: 402 quota_exceeded naming the setting', async () => {
    const { limits, clock } = limitsWith({ sendsPerAgentPerMinute: 100, sendsPerAgentPerDay: 2 });
    const send = { ip: '192.0.2.2', principal: principal('key_d'), route: 'send' as const, agent: 'Bot@agents.test' };
    await limits.charge(send);
    await limits.charge({ ...send, agent: 'bot@agents.test' });
    const err = await refused(limits.charge(send));
    expect(err.status).toBe(402);
    expect(err.code).toBe('quota_exceeded');
    expect(err.message).toMatch(/api_limits\.sends_per_agent_per_day/);
    // Other routes of the same key, and other agents, still work.
    await limits.charge({ ...send, route: undefined });
    await limits.charge({ ...send, agent: 'other@agents.test' });
    clock.advance(86_401_000);
    await limits.charge(send);
  });

  it('sends per agent per minute, webhook tests per account and review-link attempts per client are rates (429)', async () => {
    const { limits } = limitsWith({ sendsPerAgentPerMinute: 1, webhookTestsPerAccountPerHour: 1, reviewLinkAttemptsPerClientPerHour: 1 });
    const send = { ip: '192.0.2.3', principal: principal('key_e'), route: 'send' as const, agent: 'rate@agents.test' };
    await limits.charge(send);
    expect((await refused(limits.charge(send))).status).toBe(429);
    const test = { ip: '192.0.2.3', principal: principal('key_f', 'usr_2'), route: 'webhook_test' as const, agent: undefined };
    await limits.charge(test);
    // Per account: another key of the same account shares it.
    expect((await refused(limits.charge({ ...test, principal: principal('key_g', 'usr_2') }))).status).toBe(429);
    const link = { ip: '192.0.2.4', principal: null, route: 'review_link' as const, agent: undefined };
    await limits.charge(link);
    expect((await refused(limits.charge(link))).status).toBe(429);
  });

  it('failed authentication: counted per client, then refused from memory before any key is checked', async () => {
    const { limits } = limitsWith({ failedAuthPerClientPerHour: 2 });
    expect(limits.refusedBeforeAuth('192.0.2.5')).toBeNull();
    expect(await limits.failedAuth('192.0.2.5')).toBeNull();
    expect(await limits.failedAuth('192.0.2.5')).toBeNull();
    const third = await limits.failedAuth('192.0.2.5');
    expect(third?.status).toBe(429);
    expect(limits.refusedBeforeAuth('192.0.2.5')?.status).toBe(429);
    expect(limits.refusedBeforeAuth('192.0.2.6')).toBeNull();
  });

  it('WebSocket upgrades: per key when authenticated, per client network before', async () => {
    const { limits } = limitsWith({ websocketConnectsPerKeyPerMinute: 1, websocketUnauthenticatedPerClientPerMinute: 1 });
    expect(await limits.websocket({ ip: '192.0.2.7', keyId: 'key_h' })).toBeNull();
    expect((await limits.websocket({ ip: '192.0.2.8', keyId: 'key_h' }))?.status).toBe(429);
    expect(await limits.websocket({ ip: '192.0.2.7', keyId: null })).toBeNull();
    expect((await limits.websocket({ ip: '192.0.2.7', keyId: null }))?.status).toBe(429);
  });
});
