/**
 * Ephemeral inboxes (docs/EPHEMERAL.md) end to end over real SMTP, HTTP and WebSocket, with a clock
 * the test moves: expiry holds at the instant it is due (RCPT, keys, listeners, the API) before any
 * worker runs; the worker then emits agent.expired (after one agent.expiring) and deletes the agent
 * as DELETE /v1/agents/{address} does; per-message expiry hides unread copies.
 */
import { buildMessage, createFakeResolver } from '@e2a/relay/testing';
import { CLOSE } from '@e2a/sdk/wire';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVOKED_REASON } from '../realtime/credential-watch.js';
import { TestListener } from '../realtime/test-listener.js';
import { TestClock } from '../testing/clock.js';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver, sendMail } from '../testing/mail.js';
import { until } from '../testing/until.js';
import { AgentExpiryWorker } from '../workers/agent-expiry.js';

type Json = Record<string, any>;

describe.each(ENGINES)('ephemeral inboxes (%s)', (engine) => {
  let gw: TestGateway;
  const clock = new TestClock();
  let n = 0;

  const post = (path: string, body: unknown, key?: string) => gw.api(path, { method: 'POST', body: JSON.stringify(body), ...(key ? { key } : {}) });
  const json = async (res: Response) => (await res.json()) as Json;
  const mail = (to: string, subject: string) => {
    n += 1;
    return buildMessage({ to, subject, messageId: `ephemeral-${engine}-${n}@example.com` });
  };
  const events = async (type: string) => ((await json(await gw.api(`/v1/events?type=${type}&limit=200`))).items as Json[]);
  const createAgent = async (body: Json) => {
    const res = await post('/v1/agents', body);
    expect(res.status, await res.clone().text()).toBe(201);
    return json(res);
  };

  beforeAll(async () => {
    gw = await startTestGateway({
      engine,
      clock,
      resolver: createFakeResolver({}),
      env: {
        E2A_OUTBOUND_SMTP_MODE: 'none',
        E2A_AGENTS_EXPIRING_NOTICE_MINUTES: '1',
        E2A_AGENTS_MAX_TTL_DAYS: '2',
        // The gateway's own sweeper runs once at start; the test runs sweeps when it means to.
        E2A_AGENTS_EXPIRY_POLL_INTERVAL_MS: '3600000',
        // Only the test's recheck() or a revocation notice closes a listener.
        E2A_REALTIME_CREDENTIAL_CHECK_INTERVAL_MS: '300000',
      },
    });
  });
  afterAll(() => gw?.close());

  it('refuses TTLs outside the bounds with a 422 naming the bound, and both forms at once', async () => {
    for (const [body, bound] of [
      [{ local_part: 'short', ttl_seconds: 59 }, '60'],
      [{ local_part: 'long', ttl_seconds: 2 * 86_400 + 1 }, '2 days'],
      [{ local_part: 'past', expires_at: new Date(clock.now().getTime() - 1000).toISOString() }, '60 seconds'],
      [{ local_part: 'far', expires_at: new Date(clock.now().getTime() + 3 * 86_400_000).toISOString() }, 'agents.max_ttl_days'],
    ] as const) {
      const res = await post('/v1/agents', body);
      const error = (await json(res)).error as Json;
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(error.code).toBe('validation_error');
      expect(JSON.stringify(error)).toContain(bound);
    }
    expect((await post('/v1/agents', { local_part: 'both', ttl_seconds: 120, expires_at: new Date(clock.now().getTime() + 120_000).toISOString() })).status).toBe(422);
    expect((await post('/v1/agents', { local_part: 'noninteger', ttl_seconds: 90.5 })).status).toBe(422);
    const permanent = await createAgent({ local_part: 'permanent' });
    expect(permanent.expires_at).toBeNull();
    expect((await post(`/v1/agents/${permanent.address}/extend`, { ttl_seconds: 30 })).status).toBe(422);
    expect((await post(`/v1/agents/${permanent.address}/extend`, {})).status).toBe(422);
  });

  it('expires at the instant: RCPT as unknown, keys 401, listeners closed, API 410; then the worker notifies once and deletes', async () => {
    const created = clock.now();
    const agent = await createAgent({ local_part: 'temp', ttl_seconds: 120 });
    const address = agent.address as string;
    expect(Math.abs(new Date(agent.expires_at).getTime() - (created.getTime() + 120_000))).toBeLessThan(5_000);
    expect((await json(await gw.api(`/v1/agents/${address}`))).expires_at).toBe(agent.expires_at);
    const key = (await json(await post('/v1/account/api-keys', { name: 'temp', scope: 'agent', agent_address: address }))).key as string;
    // A webhook for agent events of this agent only: account-level events still match its address filter.
    const hookRes = await post('/v1/webhooks', { url: 'https://hooks.example.com/expiry', events: ['agent.expiring', 'agent.expired'], filters: { agent_addresses: [address] } });
    expect(hookRes.status, await hookRes.clone().text()).toBe(201);
    const hook = await json(hookRes);
    const otherHookRes = await post('/v1/webhooks', { url: 'https://hooks.example.com/other', events: ['agent.expired'], filters: { agent_addresses: [`someone-else@${TEST_DOMAIN}`] } });
    const otherHook = await json(otherHookRes);

    // Before expiry: mail is accepted and the key works.
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [address], mail(address, 'before expiry'));
    expect((await gw.api(`/v1/agents/${address}/messages`, { key })).status).toBe(200);
    const listener = await TestListener.connect(gw.gateway.httpUrl, address, { key });
    await listener.ready();

    // Not yet within the notice lead (1 minute): nothing to tell.
    await gw.gateway.agentExpiry.sweepOnce();
    expect((await events('agent.expiring')).filter((e) => e.data.agent_address === address)).toHaveLength(0);

    // Within the lead: agent.expiring, once, however many sweeps and workers run.
    clock.advance(61_000);
    const second = new AgentExpiryWorker({ db: gw.gateway.database.db, clock, logger: pino({ level: 'silent' }), pollIntervalMs: 60_000, noticeLeadMs: 60_000 });
    await Promise.all([gw.gateway.agentExpiry.sweepOnce(), second.sweepOnce()]);
    await gw.gateway.agentExpiry.sweepOnce();
    const expiring = (await events('agent.expiring')).filter((e) => e.data.agent_address === address);
    expect(expiring).toHaveLength(1);
    expect(expiring[0]).toMatchObject({ type: 'agent.expiring', data: { agent_id: agent.id, agent_address: address, expires_at: agent.expires_at } });

    // Past expiry, before any sweep: the same RCPT answer as an address that never existed.
    clock.advance(60_000);
    const expired = await sendMail(gw.gateway.smtpPort, 'alice@example.com', [address], mail(address, 'after expiry'));
    const unknown = await sendMail(gw.gateway.smtpPort, 'alice@example.com', [`never-existed@${TEST_DOMAIN}`], mail(`never-existed@${TEST_DOMAIN}`, 'unknown'));
    expect(expired.rcpt[0]!.code).toBe(550);
    expect(expired.rcpt[0]!.text).toMatch(/5\.1\.1/);
    expect(expired.rcpt[0]!.text.replace(address, 'X')).toBe(unknown.rcpt[0]!.text.replace(`never-existed@${TEST_DOMAIN}`, 'X'));
    // The agent key is refused as a revoked key; the API answers 410 to the account.
    const refused = await gw.api(`/v1/agents/${address}/messages`, { key });
    expect(refused.status).toBe(401);
    expect(((await json(refused)).error as Json).message).toMatch(/revoked/);
    const gone = await gw.api(`/v1/agents/${address}`);
    expect(gone.status).toBe(410);
    expect((await post(`/v1/agents/${address}/extend`, { ttl_seconds: 3600 })).status).toBe(410);
    expect(((await json(await gw.api('/v1/agents'))).items as Json[]).map((a) => a.address)).not.toContain(address);
    // The listener is closed by the credential re-check, before the worker deleted anything.
    await gw.gateway.realtime.credentials.recheck();
    expect(await listener.closedWithin()).toEqual({ code: CLOSE.revoked, reason: REVOKED_REASON.expired });
    expect(await gw.gateway.database.db.selectFrom('agents').select('id').where('id', '=', agent.id).executeTakeFirst()).toBeDefined();

    // The worker: agent.expired, the agent and its mail deleted, and nothing twice.
    await Promise.all([gw.gateway.agentExpiry.sweepOnce(), second.sweepOnce()]);
    await gw.gateway.agentExpiry.sweepOnce();
    const db = gw.gateway.database.db;
    expect(await db.selectFrom('agents').select('id').where('id', '=', agent.id).executeTakeFirst()).toBeUndefined();
    expect(await db.selectFrom('messages').select('id').where('agent_id', '=', agent.id).execute()).toEqual([]);
    const expiredEvents = (await events('agent.expired')).filter((e) => e.data.agent_address === address);
    expect(expiredEvents).toHaveLength(1);
    expect(expiredEvents[0]).toMatchObject({ data: { agent_id: agent.id, expires_at: agent.expires_at } });
    expect((await events('agent.expiring')).filter((e) => e.data.agent_address === address)).toHaveLength(1);
    // Both reached the subscribed webhook's queue.
    const queued = await db.selectFrom('webhook_deliveries').select('event_id').where('webhook_id', '=', hook.id as string).execute();
    expect(queued.map((q) => q.event_id).sort()).toEqual([expiring[0]!.id, expiredEvents[0]!.id].sort());
    expect(await db.selectFrom('webhook_deliveries').select('event_id').where('webhook_id', '=', otherHook.id as string).execute()).toEqual([]);
    expect((await gw.api(`/v1/agents/${address}`)).status).toBe(404);
  });

  it('extends before expiry (and tells agent.expiring again for the new expiry), refuses after', async () => {
    const agent = await createAgent({ local_part: 'extendable', expires_at: new Date(clock.now().getTime() + 90_000).toISOString() });
    const address = agent.address as string;
    clock.advance(40_000);
    await gw.gateway.agentExpiry.sweepOnce();
    expect((await events('agent.expiring')).filter((e) => e.data.agent_address === address)).toHaveLength(1);
    const extendedRes = await post(`/v1/agents/${address}/extend`, { ttl_seconds: 86_400 });
    expect(extendedRes.status).toBe(200);
    const extended = await json(extendedRes);
    expect(new Date(extended.expires_at).getTime()).toBeGreaterThan(clock.now().getTime() + 86_000_000);
    clock.advance(60_000);
    await gw.gateway.agentExpiry.sweepOnce();
    // Still there, still receiving.
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [address], mail(address, 'after the old expiry'));
    clock.advance(86_400_000 - 60_000 - 30_000);
    await gw.gateway.agentExpiry.sweepOnce();
    expect((await events('agent.expiring')).filter((e) => e.data.agent_address === address)).toHaveLength(2);
    clock.advance(60_000);
    expect((await post(`/v1/agents/${address}/extend`, { ttl_seconds: 3600 })).status).toBe(410);
  });

  it('per-message expires_at: an unread copy past it leaves the mailbox and answers 404; a read one stays', async () => {
    const sender = (await createAgent({ local_part: 'sender' })).address as string;
    const recipient = (await createAgent({ local_part: 'recipient' })).address as string;
    const past = await post(`/v1/agents/${sender}/messages`, { to: [recipient], subject: 'late', text: 'x', expires_at: new Date(clock.now().getTime() - 1000).toISOString() });
    expect(past.status).toBe(422);
    const expiresAt = new Date(clock.now().getTime() + 120_000).toISOString();
    for (const subject of ['vanishes', 'read in time']) {
      const res = await post(`/v1/agents/${sender}/messages`, { to: [recipient], subject, text: 'x', expires_at: expiresAt });
      expect(res.status, await res.clone().text()).toBeLessThan(300);
    }
    await post(`/v1/agents/${sender}/messages`, { to: [recipient], subject: 'no expiry', text: 'x' });
    const listing = async () => ((await json(await gw.api(`/v1/agents/${recipient}/messages`))).items as Json[]);
    const copies = await until('three copies delivered', async () => {
      const items = await listing();
      return items.length === 3 ? items : null;
    });
    const bySubject = (subject: string) => copies.find((c) => c.subject === subject)!;
    expect((await gw.api(`/v1/agents/${recipient}/messages/${bySubject('read in time').id}`, { method: 'PATCH', body: JSON.stringify({ read: true }) })).status).toBe(200);

    clock.advance(121_000);
    expect((await listing()).map((m) => m.subject).sort()).toEqual(['no expiry', 'read in time']);
    const vanished = await gw.api(`/v1/agents/${recipient}/messages/${bySubject('vanishes').id}`);
    const missing = await gw.api(`/v1/agents/${recipient}/messages/msg_doesnotexist`);
    expect(vanished.status).toBe(404);
    expect(missing.status).toBe(404);
    const message = async (res: Response, id: string) => (((await json(res)).error as Json).message as string).replace(id, 'ID');
    expect(await message(vanished, bySubject('vanishes').id)).toBe(await message(missing, 'msg_doesnotexist'));
    // The sender's own copy is unaffected.
    expect(((await json(await gw.api(`/v1/agents/${sender}/messages`))).items as Json[]).map((m) => m.subject)).toContain('vanishes');
  });

  it('per-message expires_at: a held copy approved after it is not delivered, and no email.received announces it', async () => {
    const sender = (await createAgent({ local_part: 'held-sender' })).address as string;
    const recipient = (await createAgent({ local_part: 'held-recipient' })).address as string;
    // Everything inbound is held for review at the recipient.
    const protect = await gw.api(`/v1/agents/${recipient}/protection`, { method: 'PUT', body: JSON.stringify({ inbound: { policy: 'allowlist', allowlist: [], action: 'review' } }) });
    expect(protect.status).toBe(200);
    const expiresAt = new Date(clock.now().getTime() + 120_000).toISOString();
    for (const subject of ['approved too late', 'approved in time']) {
      const res = await post(`/v1/agents/${sender}/messages`, { to: [recipient], subject, text: 'x', ...(subject === 'approved too late' ? { expires_at: expiresAt } : {}) });
      expect(res.status, await res.clone().text()).toBeLessThan(300);
    }
    const pending = await until('both copies held', async () => {
      const items = ((await json(await gw.api(`/v1/reviews?status=pending&agent_address=${encodeURIComponent(recipient)}`))).items as Json[]);
      return items.length === 2 ? items : null;
    });
    clock.advance(121_000);
    for (const review of pending) expect((await post(`/v1/reviews/${review.id}/approve`, {})).status).toBe(200);
    const approved = await until('both approvals recorded', async () => {
      const items = (await events('email.review_approved')).filter((e) => e.data.agent_address === recipient);
      return items.length === 2 ? items : null;
    });
    const idOf = (subject: string) => approved.find((e) => e.data.subject === subject)!.data.message_id as string;
    // email.received is written in the approval's transaction: the in-time copy has one, the late one none.
    const received = (await events('email.received')).filter((e) => e.data.agent_address === recipient).map((e) => e.data.message_id);
    expect(received).toContain(idOf('approved in time'));
    expect(received).not.toContain(idOf('approved too late'));
    expect((await gw.api(`/v1/agents/${recipient}/messages/${idOf('approved too late')}`)).status).toBe(404);
    expect((await gw.api(`/v1/agents/${recipient}/messages/${idOf('approved in time')}`)).status).toBe(200);
  });
});
