/**
 * The HTTP edge's limits end to end, on a real gateway: each limit trips with 429 (rates) or 402
 * (quotas and caps) in the error envelope, with Retry-After and the RateLimit headers, and two
 * replicas on one PostgreSQL spend one budget.
 */
import { CLOSE } from '@e2a/sdk/wire';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ENGINES, TEST_DATABASE_URL } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';

const gateways: TestGateway[] = [];
afterEach(async () => {
  for (const g of gateways.splice(0).reverse()) await g.close();
});

async function gatewayWith(engine: (typeof ENGINES)[number], limits: Record<string, string>, replicaOf?: TestGateway, more: Record<string, string> = {}): Promise<TestGateway> {
  const env = { ...Object.fromEntries(Object.entries(limits).map(([k, v]) => [`E2A_API_LIMITS_${k.toUpperCase()}`, v])), ...more };
  const gw = await startTestGateway({ engine, env, ...(replicaOf ? { replicaOf } : {}) });
  gateways.push(gw);
  return gw;
}

async function errorOf(res: Response): Promise<{ code: string; message: string; request_id: string }> {
  const body = (await res.json()) as { error: { code: string; message: string; request_id: string } };
  expect(body.error.request_id).toBe(res.headers.get('x-request-id'));
  return body.error;
}

/** Opens a WebSocket and resolves with its close code (or 'open' once `ready` arrives). */
function wsOutcome(gw: TestGateway, address: string, key: string | null): Promise<number | 'ready'> {
  const url = `${gw.gateway.httpUrl.replace('http', 'ws')}/v1/agents/${address}/ws`;
  const ws = new WebSocket(url, key ? { headers: { authorization: `Bearer ${key}` } } : {});
  return new Promise((resolve) => {
    ws.on('message', (data) => {
      if ((JSON.parse(data.toString()) as { type: string }).type === 'ready') {
        resolve('ready');
        ws.close();
      }
    });
    ws.on('close', (code) => resolve(code));
    ws.on('error', () => {});
  });
}

describe.each(ENGINES)('HTTP limits (%s)', (engine) => {
  it('a key over its requests per minute gets 429 with Retry-After and RateLimit headers, in the envelope', async () => {
    const gw = await gatewayWith(engine, { requests_per_key_per_minute: '3' });
    for (let i = 0; i < 3; i++) {
      const ok = await gw.api('/v1/agents');
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit')).toBe(`"requests_per_key_per_minute";r=${2 - i};t=60`);
      expect(ok.headers.get('ratelimit-policy')).toBe('"requests_per_key_per_minute";q=3;w=60');
    }
    const refused = await gw.api('/v1/agents');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('ratelimit')).toMatch(/^"requests_per_key_per_minute";r=0;t=\d+$/);
    expect((await errorOf(refused)).code).toBe('rate_limited');
  });

  it('bad keys are counted per client: past the budget even a good key from that client gets 429', async () => {
    const gw = await gatewayWith(engine, { failed_auth_per_client_per_hour: '3' });
    for (let i = 0; i < 3; i++) expect((await gw.api('/v1/agents', { key: `e2a_wrong${i}_0123456789abcdef` })).status).toBe(401);
    const fourth = await gw.api('/v1/agents', { key: 'e2a_wrong4_0123456789abcdef' });
    expect(fourth.status).toBe(429);
    expect((await errorOf(fourth)).code).toBe('rate_limited');
    expect((await gw.api('/v1/agents')).status).toBe(429);
    // Another client (named by X-Forwarded-For, believed from loopback) is not affected.
    expect((await gw.api('/v1/agents', { headers: { 'x-forwarded-for': '203.0.113.9' } })).status).toBe(200);
  });

  it('sends per agent per day is a quota: 402 quota_exceeded naming the setting', async () => {
    const gw = await gatewayWith(engine, { sends_per_agent_per_day: '2' });
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'bot' }) })).status).toBe(201);
    const send = (i: number) =>
      gw.api(`/v1/agents/bot@${TEST_DOMAIN}/messages`, { method: 'POST', body: JSON.stringify({ to: [`friend${i}@example.com`], subject: `hi ${i}`, text: 'hello' }) });
    expect((await send(1)).status).toBe(202);
    expect((await send(2)).status).toBe(202);
    const third = await send(3);
    expect(third.status).toBe(402);
    const error = await errorOf(third);
    expect(error.code).toBe('quota_exceeded');
    expect(error.message).toMatch(/api_limits\.sends_per_agent_per_day/);
    expect(third.headers.get('retry-after')).not.toBeNull();
  });

  it('magic-link pages are limited per client, whatever the token', async () => {
    const gw = await gatewayWith(engine, { review_link_attempts_per_client_per_hour: '2' });
    for (let i = 0; i < 2; i++) expect((await gw.api(`/review/guess${i}xxxxxxxxxxxxxxxxxxxxxxxx`, { key: null })).status).toBeLessThan(429);
    const third = await gw.api('/review/guess3xxxxxxxxxxxxxxxxxxxxxxxx', { key: null });
    expect(third.status).toBe(429);
    expect((await errorOf(third)).code).toBe('rate_limited');
  });

  it('agents, keys and webhooks per account are capped: 402 naming the cap', async () => {
    const gw = await gatewayWith(engine, { max_agents_per_account: '1', max_api_keys_per_account: '2', max_webhooks_per_account: '1' });
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'one' }) })).status).toBe(201);
    const agent = await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'two' }) });
    expect(agent.status).toBe(402);
    expect((await errorOf(agent)).message).toMatch(/api_limits\.max_agents_per_account = 1/);
    // The bootstrap key is one live key; a second fits, a third does not; a revoked key frees its place.
    const second = await gw.api('/v1/account/api-keys', { method: 'POST', body: JSON.stringify({ name: 'second', scope: 'account' }) });
    expect(second.status).toBe(201);
    const third = await gw.api('/v1/account/api-keys', { method: 'POST', body: JSON.stringify({ name: 'third', scope: 'account' }) });
    expect(third.status).toBe(402);
    expect((await errorOf(third)).message).toMatch(/max_api_keys_per_account/);
    const { id } = (await second.json()) as { id: string };
    expect((await gw.api(`/v1/account/api-keys/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await gw.api('/v1/account/api-keys', { method: 'POST', body: JSON.stringify({ name: 'again', scope: 'account' }) })).status).toBe(201);
    const hook = (i: number) => gw.api('/v1/webhooks', { method: 'POST', body: JSON.stringify({ url: `https://hooks${i}.example.com/in` }) });
    expect((await hook(1)).status).toBe(201);
    const over = await hook(2);
    expect(over.status).toBe(402);
    expect((await errorOf(over)).message).toMatch(/max_webhooks_per_account/);
  });

  it('WebSocket: upgrades without a header credential per client, connections per key, listeners per agent', async () => {
    const gw = await gatewayWith(engine, { websocket_unauthenticated_per_client_per_minute: '1', websocket_connects_per_key_per_minute: '3', max_listeners_per_agent: '1' }, undefined, {
      E2A_REALTIME_AUTH_TIMEOUT_MS: '500',
    });
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'bot' }) })).status).toBe(201);
    const address = `bot@${TEST_DOMAIN}`;
    // The first unauthenticated upgrade waits for its auth frame and times out (4000); the second is refused at once.
    const first = wsOutcome(gw, address, null);
    expect(await wsOutcome(gw, address, null)).toBe(CLOSE.rateLimited);
    // One listener per agent: a second one, with the same key, is refused while the first is open.
    const url = `${gw.gateway.httpUrl.replace('http', 'ws')}/v1/agents/${address}/ws`;
    const held = new WebSocket(url, { headers: { authorization: `Bearer ${gw.apiKey}` } });
    await new Promise<void>((resolve, reject) => {
      held.on('message', (d) => (JSON.parse(d.toString()) as { type: string }).type === 'ready' && resolve());
      held.on('close', (code) => reject(new Error(`closed ${code}`)));
    });
    expect(await wsOutcome(gw, address, gw.apiKey)).toBe(CLOSE.tooManyListeners);
    held.close();
    // Three connections per key per minute: the held one and the refused one were two; the next is the third, then 4007.
    await new Promise<void>((resolve) => held.once('close', () => resolve()));
    expect(await wsOutcome(gw, address, gw.apiKey)).toBe('ready');
    expect(await wsOutcome(gw, address, gw.apiKey)).toBe(CLOSE.rateLimited);
    expect(await first).toBe(CLOSE.authTimeout);
  });
});

describe.runIf(TEST_DATABASE_URL)('HTTP limits across replicas (needs TEST_DATABASE_URL)', () => {
  it('two gateways on one PostgreSQL spend one per-key budget', async () => {
    const a = await gatewayWith('postgres', { requests_per_key_per_minute: '4' });
    const b = await gatewayWith('postgres', { requests_per_key_per_minute: '4' }, a);
    const onB = (path: string) => fetch(`${b.gateway.httpUrl}${path}`, { headers: { authorization: `Bearer ${a.apiKey}` } });
    expect((await a.api('/v1/agents')).status).toBe(200);
    expect((await onB('/v1/agents')).status).toBe(200);
    expect((await a.api('/v1/agents')).status).toBe(200);
    expect((await onB('/v1/agents')).status).toBe(200);
    expect((await onB('/v1/agents')).status).toBe(429);
    expect((await a.api('/v1/agents')).status).toBe(429);
  });
});
