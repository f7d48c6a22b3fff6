/**
 * /v1/webhooks over real HTTP: CRUD, the auth matrix, delete confirmation, the test endpoint against
 * a real receiver verified by the `standardwebhooks` library itself, and secret rotation (both
 * signatures for 24 h by the injected clock, then only the new one).
 */
import { signWebhook, verifyWebhook } from '@e2a/sdk';
import { createFakeResolver } from '@e2a/relay/testing';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { startReceiver, type ReceivedRequest, type WebhookReceiver } from '../testing/webhook-receiver.js';

const clock = { t: Date.now(), now: () => new Date(clock.t) };
const json = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body) });
const headersOf = (r: ReceivedRequest) => ({
  'webhook-id': String(r.headers['webhook-id']),
  'webhook-timestamp': String(r.headers['webhook-timestamp']),
  'webhook-signature': String(r.headers['webhook-signature']),
});

describe.each(ENGINES)('/v1/webhooks (%s)', (engine) => {
  let gw: TestGateway;
  let receiver: WebhookReceiver;
  let failing = false;
  let agentKey: string;
  let otherKey: string;

  beforeAll(async () => {
    receiver = await startReceiver(() => ({ status: failing ? 500 : 200 }));
    gw = await startTestGateway({ engine, clock, resolver: createFakeResolver({}), env: { E2A_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true', E2A_WEBHOOKS_TIMEOUT_MS: '3000' } });
    expect((await gw.api('/v1/agents', json({ local_part: 'bot' }))).status).toBe(201);
    const key = await gw.api('/v1/account/api-keys', json({ scope: 'agent', agent_address: `bot@${TEST_DOMAIN}` }));
    agentKey = ((await key.json()) as { key: string }).key;
    otherKey = (await gw.gateway.accounts.bootstrap('other@example.com')).apiKey.key;
  });
  afterAll(async () => {
    await gw?.close();
    await receiver?.close();
  });

  async function create(body: Record<string, unknown> = {}) {
    const res = await gw.api('/v1/webhooks', json({ url: receiver.url, ...body }));
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; secret: string; url: string; enabled: boolean };
  }

  it('creates (secret shown once, stored sealed), reads, lists and updates', async () => {
    const created = await create({ events: ['email.received'], filters: { agent_addresses: [`BOT@${TEST_DOMAIN}`] }, description: 'ci' });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(created.secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);
    const row = await gw.gateway.database.db.selectFrom('webhooks').select('secret').where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(Buffer.from(row.secret).includes(Buffer.from(created.secret))).toBe(false);

    const got = (await (await gw.api(`/v1/webhooks/${created.id}`)).json()) as Record<string, unknown>;
    expect(got).not.toHaveProperty('secret');
    expect(got).toMatchObject({ events: ['email.received'], filters: { agent_addresses: [`bot@${TEST_DOMAIN}`], conversation_ids: [] }, description: 'ci', enabled: true, disabled_reason: null });
    const list = (await (await gw.api('/v1/webhooks?limit=1')).json()) as { items: Array<{ id: string }>; next_cursor: string | null };
    expect(list.items).toHaveLength(1);
    const patched = await gw.api(`/v1/webhooks/${created.id}`, { method: 'PATCH', body: JSON.stringify({ enabled: false, events: [] }) });
    expect(await patched.json()).toMatchObject({ enabled: false, events: [] });
  });

  it('rejects bad URLs with 422 validation_error', async () => {
    for (const url of ['ftp://example.com/hook', 'https://user:secret@example.com/hook']) {
      const res = await gw.api('/v1/webhooks', json({ url }));
      expect(res.status, url).toBe(422);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('validation_error');
    }
  });

  it('is account-scoped: agent keys get 403, other tenants 404, no key 401', async () => {
    const { id } = await create();
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/v1/webhooks'],
      ['POST', '/v1/webhooks', { url: receiver.url }],
      ['GET', `/v1/webhooks/${id}`],
      ['PATCH', `/v1/webhooks/${id}`, { description: 'x' }],
      ['DELETE', `/v1/webhooks/${id}?confirm=DELETE`],
      ['POST', `/v1/webhooks/${id}/rotate-secret`],
      ['POST', `/v1/webhooks/${id}/test`],
      ['GET', `/v1/webhooks/${id}/deliveries`],
      ['POST', `/v1/webhooks/${id}/deliveries/replay`, { status: 'dead' }],
    ];
    for (const [method, path, body] of routes) {
      const init = { method, ...(body ? { body: JSON.stringify(body) } : {}) };
      expect((await gw.api(path, { ...init, key: agentKey })).status, `${method} ${path} agent key`).toBe(403);
      expect((await gw.api(path, { ...init, key: null })).status, `${method} ${path} no key`).toBe(401);
      if (path.includes(id)) expect((await gw.api(path, { ...init, key: otherKey })).status, `${method} ${path} other tenant`).toBe(404);
    }
    expect((await gw.api(`/v1/webhooks/${id}`)).status).toBe(200);
  });

  it('replay of deliveries takes only {"status": "dead"}, and answers with the count', async () => {
    const { id } = await create();
    const replay = (body: string | undefined) =>
      gw.api(`/v1/webhooks/${id}/deliveries/replay`, { method: 'POST', ...(body === undefined ? {} : { body }) });
    const refusal = async (res: Response) => ({ status: res.status, ...((await res.json()) as { error: { code: string; message: string } }).error });
    expect(await refusal(await replay(JSON.stringify({ status: 'pending' })))).toMatchObject({ status: 422, code: 'validation_error', message: /^body\.status: / });
    expect(await refusal(await replay(JSON.stringify({})))).toMatchObject({ status: 422, code: 'validation_error', message: /^body\.status: / });
    expect(await refusal(await replay(JSON.stringify({ status: 'dead', all: true })))).toMatchObject({ status: 422, code: 'validation_error', message: /^body\.all: unknown field/ });
    expect(await refusal(await replay('{"status": dead}'))).toMatchObject({ status: 400, code: 'bad_request' });
    const ok = await replay(JSON.stringify({ status: 'dead' }));
    expect(ok.status).toBe(202);
    expect(await ok.json()).toEqual({ replayed: 0 });
  });

  it('deletes only with ?confirm=DELETE, and says so', async () => {
    const { id } = await create();
    const refused = await gw.api(`/v1/webhooks/${id}`, { method: 'DELETE' });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/\?confirm=DELETE/);
    expect((await gw.api(`/v1/webhooks/${id}?confirm=yes`, { method: 'DELETE' })).status).toBe(422);
    expect((await gw.api(`/v1/webhooks/${id}?confirm=DELETE`, { method: 'DELETE' })).status).toBe(204);
    expect((await gw.api(`/v1/webhooks/${id}`)).status).toBe(404);
  });

  it('test sends a signed event the standardwebhooks library accepts, and reports failures', async () => {
    const { id, secret } = await create();
    const before = receiver.requests.length;
    const res = await gw.api(`/v1/webhooks/${id}/test`, { method: 'POST' });
    const result = (await res.json()) as { event_id: string; success: boolean; status: number };
    expect(result).toMatchObject({ success: true, status: 200, error: null });
    const req = receiver.requests[before]!;
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['webhook-id']).toBe(result.event_id);
    // The reference library, given the raw body and headers exactly as received.
    expect(new StandardWebhook(secret).verify(req.body, headersOf(req))).toMatchObject({ id: result.event_id, type: 'webhook.test', data: { webhook_id: id } });

    failing = true;
    try {
      const failed = (await (await gw.api(`/v1/webhooks/${id}/test`, { method: 'POST' })).json()) as Record<string, unknown>;
      expect(failed).toMatchObject({ success: false, status: 500 });
      expect(String(failed.error)).toMatch(/only 2xx/);
    } finally {
      failing = false;
    }
  });

  it('rotate-secret: both secrets sign for 24 h, then only the new one', async () => {
    const { id, secret: oldSecret } = await create();
    const rotated = await gw.api(`/v1/webhooks/${id}/rotate-secret`, { method: 'POST' });
    expect(rotated.status).toBe(200);
    const { secret: newSecret } = (await rotated.json()) as { secret: string };
    expect(newSecret).not.toBe(oldSecret);
    expect(newSecret).toMatch(/^whsec_/);

    const sendTest = async () => {
      const before = receiver.requests.length;
      expect(((await (await gw.api(`/v1/webhooks/${id}/test`, { method: 'POST' })).json()) as { success: boolean }).success).toBe(true);
      return receiver.requests[before]!;
    };
    const during = await sendTest();
    const signatures = headersOf(during)['webhook-signature'].split(' ');
    expect(signatures).toHaveLength(2);
    const stamp = new Date(Number(headersOf(during)['webhook-timestamp']) * 1000);
    // Current secret first, then the previous one: exactly what signWebhook makes of the pair.
    expect(headersOf(during)['webhook-signature']).toBe(signWebhook([newSecret, oldSecret], headersOf(during)['webhook-id'], stamp, during.body)['webhook-signature']);
    for (const s of [newSecret, oldSecret]) expect(new StandardWebhook(s).verify(during.body, headersOf(during))).toBeTruthy();

    clock.t += 24 * 3600 * 1000 + 1000;
    try {
      const after = await sendTest();
      expect(headersOf(after)['webhook-signature'].split(' ')).toHaveLength(1);
      expect(verifyWebhook(after.body, headersOf(after), newSecret, { now: clock.now() })).toBeTruthy();
      expect(() => verifyWebhook(after.body, headersOf(after), oldSecret, { now: clock.now() })).toThrow(/signature mismatch/);
    } finally {
      clock.t = Date.now();
    }
  });
});

describe('/v1/webhooks without allow_private_targets', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ engine: 'pglite', resolver: createFakeResolver({}) });
  });
  afterAll(() => gw?.close());

  it('refuses http:// and private literal IPs at create and update time', async () => {
    for (const url of ['http://hooks.example.com/x', 'https://10.0.0.5/x', 'https://169.254.169.254/latest', 'https://[::1]/x', 'https://localhost/x']) {
      const res = await gw.api('/v1/webhooks', json({ url }));
      expect(res.status, url).toBe(422);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/allow_private_targets|https/);
    }
    const ok = await gw.api('/v1/webhooks', json({ url: 'https://hooks.example.com/e2a' }));
    expect(ok.status).toBe(201);
    const { id } = (await ok.json()) as { id: string };
    expect((await gw.api(`/v1/webhooks/${id}`, { method: 'PATCH', body: JSON.stringify({ url: 'https://192.168.1.1/x' }) })).status).toBe(422);
  });
});
