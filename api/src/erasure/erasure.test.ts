/**
 * Deleting an agent and an account (docs/DATA.md "Erasure"), on a gateway where two accounts have a
 * row in every table that can hold their data (testing/account-data.ts):
 *
 *   - a deletion is confirmed, account keys only, another account's agent is not found;
 *   - during the grace period the scope is disabled (keys 401, RCPT 550 5.1.1, listeners closed,
 *     gone from the API) and a cancel restores it;
 *   - once the grace period is over (a fake clock, no waiting) the worker erases in bounded batches
 *     and the report counts what went, table by table;
 *   - afterwards no row of the erased scope is left in any table: the tables are read from
 *     information_schema, so a table added later is searched too, and every row's text form is
 *     searched for the scope's ids, addresses and email;
 *   - the other account's rows are all still there, its copy of mail shared with the erased one too.
 */
import { createFakeResolver } from '@e2a/relay/testing';
import { CLOSE, type Erasure, type ScheduledErasure } from '@e2a/sdk/wire';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../crypto/secret-box.js';
import { REVOKED_REASON } from '../realtime/credential-watch.js';
import { TestListener } from '../realtime/test-listener.js';
import { allTables, otherAccount, populateAccount, rowsMentioning, type AccountData } from '../testing/account-data.js';
import { TestClock } from '../testing/clock.js';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { until } from '../testing/until.js';
import { deliver, sendMail } from '../testing/mail.js';
import { ErasureWorker } from '../workers/erasure.js';

const GRACE_HOURS = 48;

describe.each(ENGINES)('erasure (%s)', (engine) => {
  let gw: TestGateway;
  let clock: TestClock;
  let a: AccountData;
  let b: AccountData;
  /** Mail one outside sender sent to an agent of each account: one blob, shared across the two. */
  let shared: { subject: string; blobId: string };

  const api = (path: string, init: { method?: string; key?: string | null; body?: unknown } = {}) =>
    gw.api(path, { method: init.method ?? 'GET', key: init.key === undefined ? gw.apiKey : init.key, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) });
  const rcpt = async (address: string) => (await sendMail(gw.gateway.smtpPort, 'alice@example.com', [address], Buffer.from(`Subject: probe\r\n\r\nprobe\r\n`))).rcpt[0];
  const db = () => gw.gateway.database.db;

  /** The ids, addresses and email that name an account or one of its agents, read from the database. */
  async function namesOf(scope: { userId: string } | { agentId: string }): Promise<{ ids: string[]; names: string[] }> {
    const agents = await db().selectFrom('agents').select(['id', 'address', 'user_id']).where('userId' in scope ? 'user_id' : 'id', '=', 'userId' in scope ? scope.userId : scope.agentId).execute();
    const agentIds = agents.map((x) => x.id);
    const userId = 'userId' in scope ? scope.userId : agents[0]!.user_id;
    const ids = [...agentIds];
    const col = async (table: 'messages' | 'conversations' | 'contacts' | 'reviews') =>
      (await sql<{ id: string }>`SELECT id FROM ${sql.table(table)} WHERE agent_id = ANY(${agentIds}::text[])`.execute(db())).rows.map((r) => r.id);
    ids.push(...(await col('messages')), ...(await col('conversations')), ...(await col('contacts')), ...(await col('reviews')));
    ids.push(...(await db().selectFrom('api_keys').select('id').where((eb) => ('userId' in scope ? eb('user_id', '=', userId) : eb('agent_id', 'in', agentIds))).execute()).map((r) => r.id));
    const names = agents.map((x) => x.address);
    if ('userId' in scope) {
      const user = await db().selectFrom('users').select(['email']).where('id', '=', userId).executeTakeFirstOrThrow();
      ids.push(userId);
      names.push(user.email);
      for (const table of ['webhooks', 'lists', 'domains', 'dashboard_sessions', 'dashboard_sign_in_links', 'system_mail', 'outbox', 'account_exports', 'events', 'reviews'] as const) {
        ids.push(...(await sql<{ id: string }>`SELECT id FROM ${sql.table(table)} WHERE user_id = ${userId}`.execute(db())).rows.map((r) => r.id));
      }
      names.push(...(await db().selectFrom('lists').select('address').where('user_id', '=', userId).execute()).map((l) => l.address));
    } else {
      ids.push(...(await db().selectFrom('events').select('id').where('agent_id', 'in', agentIds).execute()).map((r) => r.id));
    }
    return { ids: [...new Set(ids)], names };
  }

  /**
   * The rows that name B, each as its table and first two columns (its key): every one must still be
   * there after A's erasure. Rows may have changed meanwhile (B's webhook deliveries are retried, its
   * held mail expires as the clock moves), and B may have more; none may be gone.
   */
  const snapshotOf = async (names: { ids: string[]; names: string[] }) =>
    (await rowsMentioning(gw, [...names.ids, ...names.names])).map((row) => row.split(',').slice(0, 2).join(',')).sort();

  beforeAll(async () => {
    clock = new TestClock();
    gw = await startTestGateway({
      engine,
      clock,
      resolver: createFakeResolver({}),
      env: { E2A_OUTBOUND_SMTP_MODE: 'outbox', E2A_ERASURE_GRACE_PERIOD_HOURS: String(GRACE_HOURS), E2A_ERASURE_POLL_INTERVAL_MS: '3600000', E2A_EXPORTS_POLL_INTERVAL_MS: '3600000' },
    });
    a = await populateAccount(gw, { label: 'acct-a', key: gw.apiKey, userId: gw.userId, email: 'owner@example.com' });
    b = await otherAccount(gw, 'acct-b');
    const subject = 'to both accounts';
    await deliver(gw.gateway.smtpPort, 'carol@example.com', [a.bot, b.bot], Buffer.from(`From: carol@example.com\r\nTo: team@example.net\r\nSubject: ${subject}\r\nMessage-ID: <both@example.com>\r\n\r\nhello both\r\n`));
    const copies = await db().selectFrom('messages').select('blob_id').where('subject', '=', subject).execute();
    expect(copies).toHaveLength(2);
    expect(copies[0]!.blob_id).toBe(copies[1]!.blob_id);
    shared = { subject, blobId: copies[0]!.blob_id };
    // An export of A's: its archive holds A's mail, so an erasure must take it too.
    const started = (await (await api('/v1/account/export', { method: 'POST' })).json()) as { id: string };
    // Started by the worker the request woke.
    await until('the export done', async () => ((await (await api(`/v1/account/exports/${started.id}`)).json()) as { status: string }).status === 'done');
  }, 120_000);
  afterAll(() => gw?.close());

  it('asks for confirmation, and only an account key of the agent’s own account may delete it', async () => {
    const del = (query: string, key?: string | null) => api(`/v1/agents/${a.spare}${query}`, { method: 'DELETE', ...(key === undefined ? {} : { key }) });
    const missing = await del('');
    expect(missing.status).toBe(422);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toContain(`?confirm=${a.spare}`);
    expect((await del(`?confirm=${a.bot}`)).status).toBe(422);
    expect((await del(`?confirm=${a.spare}`, a.agentKey)).status).toBe(403);
    expect((await del(`?confirm=${a.spare}`, b.accountKey)).status).toBe(404);
    expect((await del(`?confirm=${a.spare}`, null)).status).toBe(401);
    expect((await api('/v1/account?confirm=owner@example.com', { method: 'DELETE', key: a.agentKey })).status).toBe(403);
    expect((await api('/v1/account?confirm=someone@example.com', { method: 'DELETE' })).status).toBe(422);
    // Nothing was scheduled by any of these.
    expect((await api(`/v1/agents/${a.spare}`)).status).toBe(200);
  });

  it('disables an agent at once, and a cancel restores it', async () => {
    const spareKey = (await (await api('/v1/account/api-keys', { method: 'POST', body: { scope: 'agent', agent_address: a.spare } })).json()) as { key: string };
    const listener = await TestListener.connect(gw.gateway.httpUrl, a.spare, { key: gw.apiKey });
    await listener.ready();
    const res = await api(`/v1/agents/${a.spare}?confirm=${a.spare.toUpperCase()}`, { method: 'DELETE' });
    expect(res.status).toBe(202);
    const erasure = (await res.json()) as ScheduledErasure;
    expect(erasure).toMatchObject({ scope: 'agent', target: a.spare, status: 'scheduled', erased: {} });
    expect(new Date(erasure.erase_after).getTime() - new Date(erasure.requested_at).getTime()).toBe(GRACE_HOURS * 3600_000);
    expect(erasure.cancel_token).toMatch(/^[\w-]{40,}$/);

    expect(await listener.closedWithin()).toEqual({ code: CLOSE.revoked, reason: REVOKED_REASON.erasing });
    expect((await api(`/v1/agents/${a.spare}`, { key: spareKey.key })).status).toBe(401);
    expect((await api(`/v1/agents/${a.spare}`)).status).toBe(410);
    expect(((await (await api('/v1/agents')).json()) as { items: Array<{ address: string }> }).items.map((x) => x.address)).not.toContain(a.spare);
    await expect.poll(() => rcpt(a.spare), { timeout: 10_000 }).toMatchObject({ code: 550, enhanced: '5.1.1' });
    // A repeated request answers with the same erasure (and no second token).
    const again = (await (await api(`/v1/agents/${a.spare}?confirm=${a.spare}`, { method: 'DELETE' })).json()) as ScheduledErasure;
    expect(again.id).toBe(erasure.id);
    expect(again.cancel_token).toBeUndefined();

    const cancelled = await api(`/v1/account/erasures/${erasure.id}/cancel`, { method: 'POST' });
    expect(cancelled.status).toBe(200);
    expect(((await cancelled.json()) as Erasure).status).toBe('cancelled');
    expect((await api(`/v1/agents/${a.spare}`, { key: spareKey.key })).status).toBe(200);
    await expect.poll(() => rcpt(a.spare), { timeout: 10_000 }).toMatchObject({ code: 250 });
    const back = await TestListener.connect(gw.gateway.httpUrl, a.spare, { key: gw.apiKey });
    await back.ready();
    await back.close();
    // Cancelling twice is harmless; the token of a cancelled erasure restores nothing more.
    expect((await api(`/v1/erasures/${erasure.id}/cancel`, { method: 'POST', key: null, body: { token: erasure.cancel_token } })).status).toBe(200);
    expect((await api(`/v1/erasures/${erasure.id}/cancel`, { method: 'POST', key: null, body: { token: 'not-the-token' } })).status).toBe(404);
  });

  it('erases an agent after the grace period, in batches, leaving no row of it and the rest untouched', async () => {
    const namesOfSpare = await namesOf({ agentId: (await db().selectFrom('agents').select('id').where('address', '=', a.spare).executeTakeFirstOrThrow()).id });
    const bBefore = await snapshotOf(await namesOf({ userId: b.userId }));
    const botBefore = await snapshotOf({ ids: [], names: [a.bot] });
    const erasure = (await (await api(`/v1/agents/${a.spare}?confirm=${a.spare}`, { method: 'DELETE' })).json()) as ScheduledErasure;

    // Not before the grace period ends, and then no cancelling any more.
    expect((await gw.gateway.erasure.sweepOnce()).batches).toBe(0);
    clock.advance(GRACE_HOURS * 3600_000);
    expect((await api(`/v1/account/erasures/${erasure.id}/cancel`, { method: 'POST' })).status).toBe(409);
    const worker = new ErasureWorker({ db: db(), box: new SecretBox(gw.gateway.secrets.encryptionKey), clock, logger: pino({ level: 'silent' }), pollIntervalMs: 3_600_000, batchSize: 2, mailFrom: 'review@agents.test', wakeMail: () => {} });
    const run = await worker.sweepOnce();
    expect(run.finished).toEqual([erasure.id]);

    const report = (await (await api(`/v1/account/erasures/${erasure.id}`)).json()) as Erasure;
    expect(report).toMatchObject({ status: 'done', target: a.spare });
    expect(report.erased).toMatchObject({ agents: 1, api_keys: 2, contacts: 2, list_members: 1, account_exports: 1, idempotency_keys: 1 });
    // Its send to the outside and the review notifications about its held mail, as captured.
    expect(report.erased.outbox).toBeGreaterThanOrEqual(2);
    expect(report.erased.system_mail).toBeGreaterThanOrEqual(1);
    // The probe that showed the agent restored was held for review too.
    expect(report.erased.reviews).toBeGreaterThanOrEqual(1);
    expect(report.erased.messages).toBeGreaterThanOrEqual(4);
    // Tables with no step of their own, found in the catalog by their foreign key to the agent.
    const tables = await allTables(gw);
    for (const table of ['labels', 'saved_drafts'].filter((t) => tables.includes(t))) expect(report.erased[table], table).toBeGreaterThanOrEqual(1);
    expect(report.erased.events).toBeGreaterThan(0);
    expect(report.erased.message_blobs).toBeGreaterThanOrEqual(2);
    // Bounded: no statement deleted more than the batch size, so there were more batches than tables.
    expect(run.batches).toBeGreaterThan(Object.keys(report.erased).length);

    const left = (await rowsMentioning(gw, [...namesOfSpare.ids, ...namesOfSpare.names])).filter((row) => !row.startsWith('erasures:'));
    expect(left).toEqual([]);
    expect(await snapshotOf(await namesOf({ userId: b.userId }))).toEqual(expect.arrayContaining(bBefore));
    // A's other agents are whole (bot's rows only lost what named the spare agent: none).
    expect(await snapshotOf({ ids: [], names: [a.bot] })).toEqual(expect.arrayContaining(botBefore));
    expect((await api(`/v1/agents/${a.bot}/messages/${a.messageId}/raw`)).status).toBe(200);
  });

  it('disables the account at once; its cancel token (no key needed) restores it', async () => {
    const res = await api('/v1/account?confirm=OWNER@example.com', { method: 'DELETE' });
    expect(res.status).toBe(202);
    const erasure = (await res.json()) as ScheduledErasure;
    expect(erasure).toMatchObject({ scope: 'account', target: 'owner@example.com', status: 'scheduled' });
    for (const key of [gw.apiKey, a.agentKey]) expect((await api('/v1/agents', { key })).status).toBe(401);
    expect((await api('/v1/account/erasures', { key: b.accountKey })).status).toBe(200);
    await expect.poll(() => rcpt(a.bot), { timeout: 10_000 }).toMatchObject({ code: 550, enhanced: '5.1.1' });
    // The notice went to the account's email, with the way back in it.
    const notice = await db().selectFrom('system_mail').select(['to_addresses', 'text_body']).where('kind', '=', 'erasure_scheduled').executeTakeFirstOrThrow();
    expect(notice.to_addresses).toEqual(['owner@example.com']);
    expect(new SecretBox(gw.gateway.secrets.encryptionKey).openText(notice.text_body)).toContain(erasure.cancel_token!);

    expect((await api(`/v1/erasures/${erasure.id}/cancel`, { method: 'POST', key: b.accountKey, body: { token: 'wrong' } })).status).toBe(404);
    const cancelled = await api(`/v1/erasures/${erasure.id}/cancel`, { method: 'POST', key: null, body: { token: erasure.cancel_token } });
    expect(cancelled.status).toBe(200);
    expect((await api('/v1/agents')).status).toBe(200);
    expect((await api(`/v1/agents/${a.bot}`, { key: a.agentKey })).status).toBe(200);
    await expect.poll(() => rcpt(a.bot), { timeout: 10_000 }).toMatchObject({ code: 250 });
  });

  it('erases the whole account: no row of it in any table, the other account untouched, a report mailed', async () => {
    const namesOfA = await namesOf({ userId: a.userId });
    const namesOfB = await namesOf({ userId: b.userId });
    const bBefore = await snapshotOf(namesOfB);
    const erasure = (await (await api('/v1/account?confirm=owner@example.com', { method: 'DELETE' })).json()) as ScheduledErasure;
    clock.advance(GRACE_HOURS * 3600_000 + 1);
    expect((await api(`/v1/erasures/${erasure.id}/cancel`, { method: 'POST', key: null, body: { token: erasure.cancel_token } })).status).toBe(409);
    expect((await gw.gateway.erasure.sweepOnce()).finished).toEqual([erasure.id]);

    const record = await db().selectFrom('erasures').selectAll().where('id', '=', erasure.id).executeTakeFirstOrThrow();
    expect(record).toMatchObject({ status: 'done', target: null });
    const erased = record.erased as Record<string, number>;
    expect(erased).toMatchObject({ users: 1, agents: 2, webhooks: 1, lists: 1, domains: 1, dashboard_sessions: 1, dashboard_sign_in_links: 2 });
    const some = ['messages', 'message_blobs', 'conversations', 'events', 'api_keys', 'system_mail', 'rate_limits', 'webhook_deliveries', 'erasures', 'agent_cards', 'list_members'];
    expect(some.filter((table) => !(erased[table]! > 0)), JSON.stringify(erased)).toEqual([]);

    // No row anywhere names A, except this erasure's own record and the report mailed to A's email
    // (the system mail and, this gateway being in outbox mode, its capture).
    const mailed = await db().selectFrom('system_mail').select(['id', 'user_id', 'text_body']).where('kind', '=', 'erasure_report').executeTakeFirstOrThrow();
    expect(mailed.user_id).toBeNull();
    expect(new SecretBox(gw.gateway.secrets.encryptionKey).openText(mailed.text_body)).toMatch(/messages\s+\d+/);
    const reportTraces = [`erasures: (${erasure.id},`, `system_mail: (${mailed.id},`, `,system_mail,${mailed.id},`];
    const left = (await rowsMentioning(gw, [...namesOfA.ids, ...namesOfA.names])).filter((row) => !reportTraces.some((trace) => row.includes(trace)));
    expect(left).toEqual([]);

    // B: every row that named B before names it still, and its copy of the shared mail is whole.
    expect(await snapshotOf(namesOfB)).toEqual(expect.arrayContaining(bBefore));
    expect(bBefore.length).toBeGreaterThan(40);
    expect(await db().selectFrom('message_blobs').select('id').where('id', '=', shared.blobId).executeTakeFirst()).toBeDefined();
    const bCopy = await db().selectFrom('messages as m').innerJoin('agents as ag', 'ag.id', 'm.agent_id').select('m.id').where('m.subject', '=', shared.subject).where('ag.address', '=', b.bot).executeTakeFirstOrThrow();
    const raw = await api(`/v1/agents/${b.bot}/messages/${bCopy.id}/raw`, { key: b.accountKey });
    expect(raw.status).toBe(200);
    expect(await raw.text()).toContain('hello both');
    expect((await api('/v1/agents', { key: b.accountKey })).status).toBe(200);
    expect(await rcpt(a.bot)).toMatchObject({ code: 550, enhanced: '5.1.1' });
    expect(await rcpt(`unknown@${TEST_DOMAIN}`)).toMatchObject({ code: 550 });
  });
});
