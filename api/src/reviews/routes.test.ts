import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { holdOutbound, openDraft, reviewMailFor } from './test-fixtures.js';

const bot = `bot@${TEST_DOMAIN}`;

describe.each(ENGINES)('reviews API (%s)', (engine) => {
  let gw: TestGateway;
  let agentKey: string;
  let otherKey: string;
  const post = (path: string, body: unknown, key?: string) => gw.api(path, { method: 'POST', body: JSON.stringify(body), ...(key ? { key } : {}) });
  const events = async (messageId: string) => {
    const rows = await gw.gateway.database.db.selectFrom('events').select(['type', 'agent_id', 'data']).where(sql<string>`data->>'message_id'`, '=', messageId).orderBy('seq').execute();
    return rows;
  };
  const message = (id: string) => gw.gateway.database.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  beforeAll(async () => {
    gw = await startTestGateway({ engine });
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'bot' }) })).status).toBe(201);
    agentKey = (await (await gw.api('/v1/account/api-keys', { method: 'POST', body: JSON.stringify({ scope: 'agent', agent_address: bot }) })).json()).key;
    otherKey = (await gw.gateway.accounts.bootstrap('other@example.com')).apiKey.key;
  });
  afterAll(() => gw?.close());

  it('a hold writes the review, a sealed notification to the owner and email.review_requested', async () => {
    const { messageId, reviewId } = await holdOutbound(gw, { agent: bot, to: ['x@partner.com'], subject: 'quote', text: 'Our price is 100.' });
    const mail = await reviewMailFor(gw, messageId);
    expect(mail.to).toEqual(['owner@example.com']);
    expect(mail.from).toBe('review@agents.test');
    expect(mail.subject).toContain(`${bot} wants to send a message: quote`);
    expect(mail.text).toContain('Our price is 100.');
    expect(mail.html).toContain(`/review/${mail.approveToken}`);
    const stored = await gw.gateway.database.db.selectFrom('review_tokens').select(['token_hash', 'action']).where('review_id', '=', reviewId).execute();
    expect(stored).toHaveLength(2);
    expect(stored.map((t) => t.token_hash)).not.toContain(mail.approveToken);
    const [requested] = await events(messageId);
    expect(requested).toMatchObject({ type: 'email.review_requested', data: { review_id: reviewId, direction: 'outbound', reason: 'recipient not on the outbound allowlist' } });
    expect(requested!.agent_id).not.toBeNull();
  });

  it('a held scheduled send: the notification says when it goes out if approved, the review carries send_at', async () => {
    const sendAt = new Date('2026-12-03T09:00:00Z');
    const { messageId, reviewId } = await holdOutbound(gw, { agent: bot, to: ['x@partner.com'], subject: 'for december', text: 'later', sendAt });
    const mail = await reviewMailFor(gw, messageId);
    expect(mail.text).toContain('Send at: 2026-12-03 09:00 UTC');
    expect(mail.text).toContain('Scheduled for 2026-12-03 09:00 UTC; approving before then sends it at that time, approving later sends it at once.');
    expect(mail.html).toContain('<p>Scheduled for 2026-12-03 09:00 UTC; approving before then sends it at that time, approving later sends it at once.</p>');

    expect(await (await gw.api(`/v1/reviews/${reviewId}`)).json()).toMatchObject({ id: reviewId, send_at: '2026-12-03T09:00:00.000Z' });
    const listed = (await (await gw.api(`/v1/reviews?status=pending&limit=100`)).json()).items as Array<{ id: string; send_at: string | null }>;
    expect(listed.find((r) => r.id === reviewId)?.send_at).toBe('2026-12-03T09:00:00.000Z');

    // Sent at once when approved: no send_at, and the notification says nothing of a schedule.
    const now = await holdOutbound(gw, { agent: bot, to: ['x@partner.com'], subject: 'right away', text: 'now' });
    expect((await (await gw.api(`/v1/reviews/${now.reviewId}`)).json()).send_at).toBeNull();
    const plain = await reviewMailFor(gw, now.messageId);
    expect(plain.text).not.toContain('Scheduled for');
    expect(plain.text).not.toContain('Send at:');
  });

  it('lists with filters and a cursor, and gets one with its text', async () => {
    for (let i = 0; i < 3; i++) await holdOutbound(gw, { agent: bot, to: [`p${i}@partner.com`], subject: `page ${i}`, text: `body ${i}` });
    const first = await (await gw.api('/v1/reviews?status=pending&limit=2')).json();
    expect(first.items).toHaveLength(2);
    expect(first.items[0].text).toBeNull();
    const second = await (await gw.api(`/v1/reviews?status=pending&limit=2&cursor=${first.next_cursor}`)).json();
    const ids = [...first.items, ...second.items].map((r: { id: string }) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect((await (await gw.api(`/v1/reviews?agent_address=${bot}&direction=inbound`)).json()).items).toHaveLength(0);
    expect((await (await gw.api('/v1/reviews?status=approved')).json()).items.every((r: { status: string }) => r.status === 'approved')).toBe(true);
    const one = await (await gw.api(`/v1/reviews/${first.items[0].id}`)).json();
    expect(one).toMatchObject({ id: first.items[0].id, agent_address: bot, direction: 'outbound', status: 'pending', on_expiry: 'reject', subject: 'page 2', text: 'body 2', to: ['p2@partner.com'] });
    expect((await gw.api('/v1/reviews?status=nope')).status).toBe(422);
  });

  it('counts the pending reviews of the account only, and stops counting a decided one', async () => {
    const count = async (key?: string) => (await (await gw.api('/v1/reviews/count', key ? { key } : {})).json()).pending as number;
    const listed = async () => {
      let n = 0;
      let cursor: string | null = null;
      do {
        const page: { items: unknown[]; next_cursor: string | null } = await (await gw.api(`/v1/reviews?status=pending&limit=100${cursor ? `&cursor=${cursor}` : ''}`)).json();
        n += page.items.length;
        cursor = page.next_cursor;
      } while (cursor);
      return n;
    };
    const before = await count();
    expect(before).toBe(await listed());
    const { reviewId } = await holdOutbound(gw, { agent: bot, to: ['x@partner.com'], subject: 'count me', text: 'hi' });
    await holdOutbound(gw, { agent: bot, to: ['y@partner.com'], subject: 'count me too', text: 'hi' });
    expect(await count()).toBe(before + 2);
    expect(await count(otherKey)).toBe(0);
    expect((await post(`/v1/reviews/${reviewId}/reject`, { reason: 'counted' })).status).toBe(200);
    expect(await count()).toBe(before + 1);
    expect(await count()).toBe(await listed());
    expect((await gw.api('/v1/reviews/count?status=approved')).status).toBe(422);
  });

  it('approve queues the message due now and emits email.review_approved; a second decision is 409', async () => {
    const { messageId, reviewId } = await holdOutbound(gw, { agent: bot, to: ['x@partner.com'], subject: 'approve me', text: 'hi' });
    const res = await post(`/v1/reviews/${reviewId}/approve`, { note: 'looks fine' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'approved', decision_note: 'looks fine', decided_by: expect.stringMatching(/^api:key_/) });
    // Queued for the outbound worker, which (outbound_smtp.mode none here) may already have failed it.
    expect(['queued', 'failed']).toContain((await message(messageId)).status);
    expect((await events(messageId)).map((e) => e.type).slice(0, 2)).toEqual(['email.review_requested', 'email.review_approved']);
    const again = await post(`/v1/reviews/${reviewId}/reject`, { reason: 'too late' });
    expect(again.status).toBe(409);
    expect((await again.json()).error.message).toMatch(/already approved/);
  });

  it('reject marks the message rejected with the reason', async () => {
    const { messageId, reviewId } = await holdOutbound(gw, { agent: bot, to: ['x@partner.com'], subject: 'reject me', text: 'hi' });
    expect((await post(`/v1/reviews/${reviewId}/reject`, { reason: 'wrong customer' })).status).toBe(200);
    expect(await message(messageId)).toMatchObject({ status: 'rejected', status_reason: 'wrong customer' });
    const rejected = (await events(messageId)).find((e) => e.type === 'email.review_rejected');
    expect(rejected?.data).toMatchObject({ review_id: reviewId, reason: 'wrong customer' });
  });

  it('approve with edits changes the sealed draft and the message metadata', async () => {
    const { messageId, reviewId } = await holdOutbound(gw, { agent: bot, to: ['wrong@partner.com'], subject: 'draft', text: 'original text' });
    const bad = await post(`/v1/reviews/${reviewId}/approve`, { to: ['not-an-address'] });
    expect(bad.status).toBe(422);
    expect((await gw.api(`/v1/reviews/${reviewId}`).then((r) => r.json())).status).toBe('pending');
    const res = await post(`/v1/reviews/${reviewId}/approve`, { to: ['Right Person <right@partner.com>'], cc: ['cc@partner.com'], subject: 'edited subject', text: 'edited text' });
    expect(res.status).toBe(200);
    const draft = await openDraft(gw, messageId);
    expect(draft.to).toEqual([{ address: 'right@partner.com', name: 'Right Person' }]);
    expect(draft.cc).toEqual([{ address: 'cc@partner.com', name: null }]);
    expect(draft.subject).toBe('edited subject');
    expect(draft.text).toBe('edited text');
    expect(draft.messageId).toBe(`${messageId}@agents.test`);
    const m = await message(messageId);
    expect(m.subject).toBe('edited subject');
    expect(m.to_addresses).toEqual([{ address: 'right@partner.com', name: 'Right Person' }]);
    expect(await res.json()).toMatchObject({ subject: 'edited subject', text: 'edited text', to: ['right@partner.com', 'cc@partner.com'] });
    // The agent reads its sent message with the body the reviewer approved (the sealed copy in its blob).
    expect(await (await gw.api(`/v1/agents/${bot}/messages/${messageId}`)).json()).toMatchObject({ subject: 'edited subject', text: 'edited text' });
  });

  it('agent keys get 403 everywhere; other tenants get 404', async () => {
    const { reviewId } = await holdOutbound(gw, { agent: bot, to: ['x@partner.com'], subject: 'scoped', text: 'hi' });
    const calls: Array<[string, RequestInit]> = [
      ['/v1/reviews', {}],
      ['/v1/reviews/count', {}],
      [`/v1/reviews/${reviewId}`, {}],
      [`/v1/reviews/${reviewId}/approve`, { method: 'POST', body: '{}' }],
      [`/v1/reviews/${reviewId}/reject`, { method: 'POST', body: '{}' }],
    ];
    for (const [path, init] of calls) {
      expect((await gw.api(path, { ...init, key: agentKey })).status, `${path} agent key`).toBe(403);
      if (path !== '/v1/reviews' && path !== '/v1/reviews/count') expect((await gw.api(path, { ...init, key: otherKey })).status, `${path} other tenant`).toBe(404);
    }
    expect((await (await gw.api('/v1/reviews', { key: otherKey })).json()).items).toEqual([]);
    expect((await gw.api(`/v1/reviews/${reviewId}`)).status).toBe(200);
    expect((await gw.api('/v1/reviews/rev_nothere')).status).toBe(404);
  });
});
