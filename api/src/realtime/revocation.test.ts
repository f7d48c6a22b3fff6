/**
 * Revoking a key or deleting an agent ends the WebSocket listeners that authenticated with it
 * (close code `revoked`), by the revocation notice, or by the periodic re-check when the notice
 * was lost. Listeners of other keys and agents stay open and keep receiving mail.
 */
import { buildMessage, createFakeResolver } from '@e2a/relay/testing';
import { CLOSE } from '@e2a/sdk/wire';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { requestAgentDeletion } from '../testing/erase.js';
import { deliver } from '../testing/mail.js';
import { REVOKED_REASON } from './credential-watch.js';
import { TestListener } from './test-listener.js';

describe.each(ENGINES)('revocation closes live listeners (%s)', (engine) => {
  let gw: TestGateway;
  let n = 0;

  async function agentWithKey(local: string): Promise<{ address: string; key: string; keyId: string }> {
    const address = `${local}@${TEST_DOMAIN}`;
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ address }) })).status).toBe(201);
    return { address, ...(await agentKey(address)) };
  }
  async function agentKey(address: string): Promise<{ key: string; keyId: string }> {
    const res = await gw.api('/v1/account/api-keys', { method: 'POST', body: JSON.stringify({ name: `listen ${address}`, scope: 'agent', agent_address: address }) });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { key: string; id: string };
    return { key: body.key, keyId: body.id };
  }
  async function listen(address: string, key: string): Promise<TestListener> {
    const listener = await TestListener.connect(gw.gateway.httpUrl, address, { key });
    await listener.ready();
    return listener;
  }
  async function mailTo(address: string, subject: string): Promise<void> {
    n += 1;
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [address], buildMessage({ to: address, subject, messageId: `revoke-${engine}-${n}@example.com` }));
  }
  const subjects = (l: TestListener) => l.events.map((e) => e.data.subject);

  beforeAll(async () => {
    // The longest re-check interval: within these tests only the notice can close a listener.
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}), env: { E2A_REALTIME_CREDENTIAL_CHECK_INTERVAL_MS: '300000' } });
  });
  afterAll(() => gw?.close());

  it("revoking a key closes that key's listeners with revoked, and no others", async () => {
    const bot = await agentWithKey('revoke-key');
    const other = await agentKey(bot.address);
    const [revoked, sameKey, otherKey, accountKey] = [
      await listen(bot.address, bot.key),
      await listen(bot.address, bot.key),
      await listen(bot.address, other.key),
      await listen(bot.address, gw.apiKey),
    ];

    expect((await gw.api(`/v1/account/api-keys/${bot.keyId}`, { method: 'DELETE' })).status).toBe(204);
    for (const l of [revoked, sameKey]) expect(await l.closedWithin()).toEqual({ code: CLOSE.revoked, reason: REVOKED_REASON.key });

    // The others are still open and live: they receive mail sent after the revocation.
    await mailTo(bot.address, 'after the revocation');
    for (const l of [otherKey, accountKey]) {
      await l.until(() => subjects(l).includes('after the revocation'), 'mail after the revocation');
      await l.close();
    }
    // And the revoked key cannot come back.
    const again = await TestListener.connect(gw.gateway.httpUrl, bot.address, { key: bot.key });
    expect((await again.closedWithin()).code).toBe(CLOSE.authFailed);
  });

  it('deleting an agent closes its listeners, whatever their key, and no others', async () => {
    const doomed = await agentWithKey('revoke-agent');
    const survivor = await agentWithKey('revoke-survivor');
    const byAgentKey = await listen(doomed.address, doomed.key);
    const byAccountKey = await listen(doomed.address, gw.apiKey);
    const elsewhere = await listen(survivor.address, gw.apiKey);

    await requestAgentDeletion(gw, doomed.address);
    for (const l of [byAgentKey, byAccountKey]) expect(await l.closedWithin()).toEqual({ code: CLOSE.revoked, reason: REVOKED_REASON.erasing });

    await mailTo(survivor.address, 'still here');
    await elsewhere.until(() => subjects(elsewhere).includes('still here'), 'mail to the other agent');
    await elsewhere.close();
  });
});

describe.each(ENGINES)('revocation whose notice was lost (%s)', (engine) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}), env: { E2A_REALTIME_CREDENTIAL_CHECK_INTERVAL_MS: '200' } });
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'quiet' }) })).status).toBe(201);
  });
  afterAll(() => gw?.close());

  it('closes the listener at the next periodic credential check', async () => {
    const address = `quiet@${TEST_DOMAIN}`;
    const res = await gw.api('/v1/account/api-keys', { method: 'POST', body: JSON.stringify({ name: 'quiet', scope: 'agent', agent_address: address }) });
    const { key, id } = (await res.json()) as { key: string; id: string };
    const listener = await TestListener.connect(gw.gateway.httpUrl, address, { key });
    await listener.ready();
    const bystander = await TestListener.connect(gw.gateway.httpUrl, address, { key: gw.apiKey });
    await bystander.ready();

    // Revoked behind the gateway's back: no notice is sent, only the re-check can see it.
    await sql`UPDATE api_keys SET revoked_at = now() WHERE id = ${id}`.execute(gw.gateway.database.db);
    expect(await listener.closedWithin()).toEqual({ code: CLOSE.revoked, reason: REVOKED_REASON.key });

    // The same checks ran for the bystander's key and kept it: it still gets mail.
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [address], buildMessage({ to: address, subject: 'kept', messageId: `quiet-${engine}@example.com` }));
    await bystander.until(() => bystander.events.some((e) => e.data.subject === 'kept'), 'mail to the bystander');
    await bystander.close();
  });

  it('closes the listener of an agent deleted without a notice at the next check', async () => {
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'vanishing' }) })).status).toBe(201);
    const address = `vanishing@${TEST_DOMAIN}`;
    const listener = await TestListener.connect(gw.gateway.httpUrl, address, { key: gw.apiKey });
    await listener.ready();
    await sql`DELETE FROM agents WHERE address = ${address}`.execute(gw.gateway.database.db);
    expect(await listener.closedWithin()).toEqual({ code: CLOSE.revoked, reason: REVOKED_REASON.agent });
  });
});
