import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';

const bot = `bot@${TEST_DOMAIN}`;
const path = `/v1/agents/${bot}/protection`;

describe.each(ENGINES)('protection API (%s)', (engine) => {
  let gw: TestGateway;
  let agentKey: string;
  let otherKey: string;
  const put = (body: unknown, key?: string) => gw.api(path, { method: 'PUT', body: JSON.stringify(body), ...(key ? { key } : {}) });

  beforeAll(async () => {
    gw = await startTestGateway({ engine });
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'bot' }) })).status).toBe(201);
    agentKey = (await (await gw.api('/v1/account/api-keys', { method: 'POST', body: JSON.stringify({ scope: 'agent', agent_address: bot }) })).json()).key;
    otherKey = (await gw.gateway.accounts.bootstrap('other@example.com')).apiKey.key;
  });
  afterAll(() => gw?.close());

  it('starts at the defaults and round-trips a full configuration', async () => {
    const initial = await (await gw.api(path)).json();
    expect(initial).toEqual({
      inbound: { policy: 'open', allowlist: [], action: 'review' },
      outbound: { policy: 'open', allowlist: [], action: 'review' },
      content_scan: { sensitivity: 'off', action: 'review' },
      holds: { ttl_seconds: 86_400, on_expiry: 'reject' },
      review_notify: [],
    });
    const wanted = {
      inbound: { policy: 'allowlist', allowlist: ['Boss@Corp.com', '@partner.com'], action: 'block' },
      outbound: { policy: 'domain', allowlist: ['partner.com'], action: 'flag' },
      content_scan: { sensitivity: 'high', action: 'review' },
      holds: { ttl_seconds: 3600, on_expiry: 'approve' },
      review_notify: ['reviewer@corp.com'],
    };
    const res = await put(wanted);
    expect(res.status).toBe(200);
    const saved = await res.json();
    expect(saved.inbound.allowlist).toEqual(['boss@corp.com', '@partner.com']);
    expect(await (await gw.api(path)).json()).toEqual(saved);
    // Omitted sections return to their defaults: PUT replaces.
    expect((await (await put({ holds: { ttl_seconds: 600 } })).json()).inbound.policy).toBe('open');
  });

  it('rejects invalid settings with 422 naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ inbound: { policy: 'everyone' } }, 'body.inbound.policy'],
      [{ content_scan: { sensitivity: 'paranoid' } }, 'body.content_scan.sensitivity'],
      [{ holds: { ttl_seconds: 5 } }, 'body.holds.ttl_seconds'],
      [{ holds: { on_expiry: 'maybe' } }, 'body.holds.on_expiry'],
      [{ outbound: { allowlist: ['not an address'] } }, 'body.outbound.allowlist.0'],
      [{ review_notify: ['@corp.com'] }, 'body.review_notify.0'],
    ];
    for (const [body, field] of cases) {
      const res = await put(body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      const error = (await res.json()).error;
      expect(error.code).toBe('validation_error');
      expect(error.details?.[0]?.path ?? error.message).toContain(field);
    }
  });

  it('agent keys may read but not change protection; other tenants see nothing', async () => {
    expect((await gw.api(path, { key: agentKey })).status).toBe(200);
    const res = await put({ inbound: { policy: 'open' } }, agentKey);
    expect(res.status).toBe(403);
    expect((await res.json()).error.message).toMatch(/account key/);
    expect((await gw.api(path, { key: otherKey })).status).toBe(404);
    expect((await put({}, otherKey)).status).toBe(404);
  });
});
