/**
 * The per-process cache of RCPT TO's agent lookups (inbound/directory.ts) forgets an agent when it
 * changes, in the process that changed it and in every other replica (the agents_changed trigger's
 * notice). Its time-to-live is 60 s, far beyond these tests' waits: only the notice can make them pass.
 */
import { buildMessage, createFakeResolver } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, TEST_DATABASE_URL } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { requestAgentDeletion } from '../testing/erase.js';
import { deliver, sendMail } from '../testing/mail.js';

const policy = (inbound: Record<string, unknown>) => ({ method: 'PUT', body: JSON.stringify({ inbound }) });
const statusOf = async (gw: TestGateway, address: string, subject: string): Promise<string | undefined> => {
  const row = await gw.gateway.database.db
    .selectFrom('messages')
    .innerJoin('agents', 'agents.id', 'messages.agent_id')
    .select('messages.status')
    .where('agents.address', '=', address)
    .where('messages.subject', '=', subject)
    .executeTakeFirst();
  return row?.status;
};

describe.each(ENGINES)('recipient cache (%s)', (engine) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}) });
  });
  afterAll(() => gw?.close());

  it('applies a protection change to the next message after a cached lookup', async () => {
    const address = `cached@${TEST_DOMAIN}`;
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'cached' }) })).status).toBe(201);
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [address], buildMessage({ to: address, subject: 'before', messageId: 'cache-1@example.com' }));
    expect(await statusOf(gw, address, 'before')).toBe('received');

    expect((await gw.api(`/v1/agents/${address}/protection`, policy({ policy: 'allowlist', allowlist: ['boss@corp.com'], action: 'block' }))).status).toBe(200);
    await expect
      .poll(async () => {
        const subject = `after ${Date.now()}`;
        await deliver(gw.gateway.smtpPort, 'alice@example.com', [address], buildMessage({ to: address, subject, messageId: `${subject.replace(' ', '-')}@example.com` }));
        return statusOf(gw, address, subject);
      }, { timeout: 10_000 })
      .toBe('blocked');
  });

  it('refuses a deleted agent at RCPT after a cached lookup', async () => {
    const address = `gone@${TEST_DOMAIN}`;
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'gone' }) })).status).toBe(201);
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [address], buildMessage({ to: address, subject: 'hello', messageId: 'gone-1@example.com' }));
    await requestAgentDeletion(gw, address);
    await expect
      .poll(async () => (await sendMail(gw.gateway.smtpPort, 'alice@example.com', [address], buildMessage({ to: address, subject: 'late' }))).rcpt[0], { timeout: 10_000 })
      .toMatchObject({ code: 550, enhanced: '5.1.1' });
  });
});

describe.runIf(TEST_DATABASE_URL)('recipient cache across replicas (needs TEST_DATABASE_URL)', () => {
  let a: TestGateway;
  let b: TestGateway;
  beforeAll(async () => {
    a = await startTestGateway({ engine: 'postgres', resolver: createFakeResolver({}) });
    b = await startTestGateway({ engine: 'postgres', resolver: createFakeResolver({}), replicaOf: a });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('a change made through one replica reaches the cache of another', async () => {
    const address = `across@${TEST_DOMAIN}`;
    expect((await a.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'across' }) })).status).toBe(201);
    // B looks the agent up, and caches it.
    await deliver(b.gateway.smtpPort, 'alice@example.com', [address], buildMessage({ to: address, subject: 'via b', messageId: 'across-1@example.com' }));
    await requestAgentDeletion(a, address);
    await expect
      .poll(async () => (await sendMail(b.gateway.smtpPort, 'alice@example.com', [address], buildMessage({ to: address, subject: 'late' }))).rcpt[0], { timeout: 10_000 })
      .toMatchObject({ code: 550, enhanced: '5.1.1' });
  });
});
