import { createFakeResolver, buildMessage } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';

describe.each(ENGINES)('API auth matrix (%s)', (engine) => {
  let gw: TestGateway;
  let agentKey: string;
  let revokedKey: string;
  let otherTenantKey: string;
  let messageId: string;
  const bot = `bot@${TEST_DOMAIN}`;
  const other = `other@${TEST_DOMAIN}`;
  const stranger = `stranger@${TEST_DOMAIN}`;

  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}) });
    for (const local of ['bot', 'other']) {
      const res = await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: local }) });
      expect(res.status).toBe(201);
    }
    const created = await (await gw.api('/v1/account/api-keys', { method: 'POST', body: JSON.stringify({ name: 'bot only', scope: 'agent', agent_address: bot }) })).json();
    agentKey = created.key;
    const toRevoke = await (await gw.api('/v1/account/api-keys', { method: 'POST', body: JSON.stringify({ name: 'soon revoked' }) })).json();
    revokedKey = toRevoke.key;
    expect((await gw.api(`/v1/account/api-keys/${toRevoke.id}`, { method: 'DELETE' })).status).toBe(204);

    // A second tenant with its own agent.
    const tenant = await gw.gateway.accounts.bootstrap('someone-else@example.net');
    otherTenantKey = tenant.apiKey.key;
    expect((await gw.api('/v1/agents', { method: 'POST', key: otherTenantKey, body: JSON.stringify({ local_part: 'stranger' }) })).status).toBe(201);

    await deliver(gw.gateway.smtpPort, 'alice@example.com', [bot], buildMessage({ to: bot, messageId: 'auth-1@example.com' }));
    const list = await (await gw.api(`/v1/agents/${bot}/messages`)).json();
    messageId = list.items[0].id;
  });
  afterAll(() => gw?.close());

  const errorOf = async (res: Response) => {
    const body = await res.json();
    expect(body.error.request_id).toBe(res.headers.get('x-request-id'));
    return { status: res.status, code: body.error.code as string, message: body.error.message as string };
  };

  it('refuses a request with no key', async () => {
    expect(await errorOf(await gw.api('/v1/agents', { key: null }))).toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('refuses a malformed Authorization header and an unknown key', async () => {
    expect(await errorOf(await gw.api('/v1/agents', { key: null, headers: { authorization: 'Basic abc' } }))).toMatchObject({ status: 401 });
    expect(await errorOf(await gw.api('/v1/agents', { key: 'e2a_not-a-real-key' }))).toMatchObject({ status: 401, code: 'unauthorized', message: 'unknown API key' });
    expect(await errorOf(await gw.api('/v1/agents', { key: 'sk_live_x' }))).toMatchObject({ status: 401 });
  });

  it('refuses a revoked key and says so', async () => {
    const err = await errorOf(await gw.api('/v1/agents', { key: revokedKey }));
    expect(err).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(err.message).toContain('revoked');
  });

  it('lets an account key see every agent of its user, and nothing of another tenant', async () => {
    const list = await (await gw.api('/v1/agents')).json();
    expect(list.items.map((a: { address: string }) => a.address).sort()).toEqual([bot, other]);
    expect(await errorOf(await gw.api(`/v1/agents/${stranger}`))).toMatchObject({ status: 404, code: 'not_found' });
    expect((await gw.api(`/v1/agents/${stranger}/messages`)).status).toBe(404);
  });

  it('limits an agent key to its own agent', async () => {
    const list = await (await gw.api('/v1/agents', { key: agentKey })).json();
    expect(list.items.map((a: { address: string }) => a.address)).toEqual([bot]);
    expect((await gw.api(`/v1/agents/${bot}/messages`, { key: agentKey })).status).toBe(200);
    expect((await gw.api(`/v1/agents/${bot}/messages/${messageId}`, { key: agentKey })).status).toBe(200);
    expect(await errorOf(await gw.api(`/v1/agents/${other}`, { key: agentKey }))).toMatchObject({ status: 404 });
    expect(await errorOf(await gw.api(`/v1/agents/${other}/messages`, { key: agentKey }))).toMatchObject({ status: 404 });
    expect(await errorOf(await gw.api('/v1/agents', { key: agentKey, method: 'POST', body: JSON.stringify({ local_part: 'x' }) }))).toMatchObject({
      status: 403,
      code: 'forbidden',
    });
    expect((await gw.api('/v1/account/api-keys', { key: agentKey })).status).toBe(403);
  });

  it("hides another tenant's message even when the id is known", async () => {
    expect((await gw.api(`/v1/agents/${stranger}/messages/${messageId}`, { key: otherTenantKey })).status).toBe(404);
    expect((await gw.api(`/v1/agents/${other}/messages/${messageId}`)).status).toBe(404);
    expect((await gw.api(`/v1/agents/${bot}/messages/${messageId}/raw`, { key: otherTenantKey })).status).toBe(404);
  });

  it('leaves health, readiness, info and the OpenAPI document open', async () => {
    expect((await gw.api('/api/health', { key: null })).status).toBe(200);
    expect((await gw.api('/readyz', { key: null })).status).toBe(200);
    const info = await (await gw.api('/v1/info', { key: null })).json();
    expect(info).toMatchObject({ name: 'e2a', shared_domain: TEST_DOMAIN, auth: null });
    const withKey = await (await gw.api('/v1/info', { key: agentKey })).json();
    expect(withKey.auth).toMatchObject({ scope: 'agent', agent_address: bot, email: 'owner@example.com' });
    const doc = await (await gw.api('/v1/openapi.json', { key: null })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/v1/agents/{address}/messages/{id}/raw');
  });

  it('answers unknown routes and bad bodies with the error envelope', async () => {
    expect(await errorOf(await gw.api('/v1/nope'))).toMatchObject({ status: 404, code: 'not_found' });
    expect(await errorOf(await gw.api('/v1/agents', { method: 'POST', body: '{not json' }))).toMatchObject({ status: 400, code: 'bad_request' });
    const invalid = await errorOf(await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'a%b' }) }));
    expect(invalid).toMatchObject({ status: 422, code: 'validation_error' });
    expect(await errorOf(await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ address: 'x@gmail.com' }) }))).toMatchObject({ status: 422 });
    expect(await errorOf(await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'bot' }) }))).toMatchObject({ status: 409, code: 'conflict' });
  });
});
