import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { TestClock } from '../testing/clock.js';
import { holdOutbound, reviewMailFor } from './test-fixtures.js';

const bot = `bot@${TEST_DOMAIN}`;

describe.each(ENGINES)('magic links (%s)', (engine) => {
  let gw: TestGateway;
  const clock = new TestClock();
  const page = async (token: string, method: 'GET' | 'POST' = 'GET') => {
    // A browser form post: urlencoded, no credentials, no JSON.
    const res = await fetch(`${gw.gateway.httpUrl}/review/${token}`, method === 'POST' ? { method, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' } : {});
    return { res, html: await res.text() };
  };
  const status = async (messageId: string) => {
    const db = gw.gateway.database.db;
    const review = await db.selectFrom('reviews').select('status').where('message_id', '=', messageId).executeTakeFirstOrThrow();
    const message = await db.selectFrom('messages').select('status').where('id', '=', messageId).executeTakeFirstOrThrow();
    // Once queued, the outbound worker (outbound_smtp.mode none here) may already have failed it:
    // either way it left the hold, which is what these tests are about.
    return { review: review.status, message: message.status === 'failed' ? 'queued' : message.status };
  };

  beforeAll(async () => {
    gw = await startTestGateway({ engine, clock });
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'bot' }) })).status).toBe(201);
  });
  afterAll(() => gw?.close());

  it('GET shows a confirm page and changes nothing; POST approves; reuse says already used', async () => {
    const { messageId } = await holdOutbound(gw, { agent: bot, to: ['x@partner.com'], subject: '<b>quote</b>', text: 'price <script>alert(1)</script>', clock });
    const mail = await reviewMailFor(gw, messageId);

    for (let i = 0; i < 2; i++) {
      const { res, html } = await page(mail.approveToken);
      expect(res.status).toBe(200);
      expect(html).toContain('Approve this message?');
      expect(html).toContain('<form method="post">');
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(html).not.toContain('<script>');
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'.*form-action 'self'.*frame-ancestors 'none'/);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    expect(await status(messageId)).toEqual({ review: 'pending', message: 'held' });

    const done = await page(mail.approveToken, 'POST');
    expect(done.html).toContain('Approved');
    expect(done.html).toContain('The message is on its way.');
    expect(await status(messageId)).toEqual({ review: 'approved', message: 'queued' });

    expect((await page(mail.approveToken)).html).toContain('already been used');
    expect((await page(mail.approveToken, 'POST')).html).toContain('already been used');
    // The other link of a decided review acts no more.
    expect((await page(mail.rejectToken)).html).toContain('Already decided');
    expect((await page(mail.rejectToken, 'POST')).html).toContain('Already decided');
    expect(await status(messageId)).toEqual({ review: 'approved', message: 'queued' });
  });

  it('the reject link rejects', async () => {
    const { messageId } = await holdOutbound(gw, { agent: bot, to: ['x@partner.com'], subject: 'reject link', text: 'hi', clock });
    const mail = await reviewMailFor(gw, messageId);
    expect((await page(mail.rejectToken)).html).toContain('Reject this message?');
    expect((await page(mail.rejectToken, 'POST')).html).toContain('Rejected');
    expect(await status(messageId)).toEqual({ review: 'rejected', message: 'rejected' });
  });

  it('an expired link says so and does nothing, before and after the sweep', async () => {
    const { messageId } = await holdOutbound(gw, { agent: bot, to: ['x@partner.com'], subject: 'expiring', text: 'hi', clock, protection: { holds: { ttl_seconds: 600, on_expiry: 'reject' } } });
    const mail = await reviewMailFor(gw, messageId);
    clock.advance(601_000);
    try {
      expect((await page(mail.approveToken)).html).toContain('This link has expired');
      expect((await page(mail.approveToken, 'POST')).html).toContain('This link has expired');
      // The gateway's own sweeper may or may not have applied on_expiry (reject) by now; the link never approves.
      expect([{ review: 'pending', message: 'held' }, { review: 'expired_rejected', message: 'rejected' }]).toContainEqual(await status(messageId));
      const api = await gw.api(`/v1/reviews/${(await gw.gateway.database.db.selectFrom('reviews').select('id').where('message_id', '=', messageId).executeTakeFirstOrThrow()).id}/approve`, { method: 'POST', body: '{}' });
      expect(api.status).toBe(409);
      expect((await api.json()).error.message).toMatch(/expired/);
    } finally {
      clock.advance(-601_000);
    }
  });

  it('unknown and malformed tokens get the not-recognised page', async () => {
    expect((await page('x'.repeat(43))).html).toContain('Link not recognised');
    expect((await page('short', 'POST')).html).toContain('Link not recognised');
  });

  it('a scheduled send: the approve page says it goes at send_at while that is to come, at once after; approved after, it is queued', async () => {
    // A whole minute, an hour or so ahead: shown as "YYYY-MM-DD HH:MM UTC".
    const sendAt = new Date(Math.ceil((clock.now().getTime() + 3600_000) / 60_000) * 60_000);
    const when = `${sendAt.toISOString().slice(0, 10)} ${sendAt.toISOString().slice(11, 16)} UTC`;
    const { messageId } = await holdOutbound(gw, { agent: bot, to: ['x@partner.com'], subject: 'scheduled', text: 'later', clock, sendAt });
    const mail = await reviewMailFor(gw, messageId);
    expect(mail.text).toContain(`Send at: ${when}`);

    const before = await page(mail.approveToken);
    expect(before.html).toContain(`Scheduled for ${when}; approving before then sends it at that time.`);
    clock.advance(2 * 3600_000); // within the hold's 24 h
    const after = await page(mail.approveToken);
    expect(after.html).toContain(`Scheduled for ${when}, which has passed; approving sends it at once.`);
    expect((await page(mail.approveToken, 'POST')).res.status).toBe(200);
    expect(await status(messageId)).toEqual({ review: 'approved', message: 'queued' });
    clock.advance(-2 * 3600_000);
  });

  it('approved before its send_at, the confirmation says when it will be sent; after it, that it is on its way', async () => {
    const sendAt = new Date(Math.ceil((clock.now().getTime() + 3600_000) / 60_000) * 60_000);
    const when = `${sendAt.toISOString().slice(0, 10)} ${sendAt.toISOString().slice(11, 16)} UTC`;
    const early = await holdOutbound(gw, { agent: bot, to: ['x@partner.com'], subject: 'approved early', text: 'later', clock, sendAt });
    const done = await page((await reviewMailFor(gw, early.messageId)).approveToken, 'POST');
    expect(done.html).toContain(`The message will be sent at ${when}, as scheduled.`);
    expect(done.html).not.toContain('on its way');
    expect(await status(early.messageId)).toEqual({ review: 'approved', message: 'scheduled' });

    const late = await holdOutbound(gw, { agent: bot, to: ['x@partner.com'], subject: 'approved late', text: 'later', clock, sendAt });
    const lateMail = await reviewMailFor(gw, late.messageId);
    clock.advance(2 * 3600_000); // past send_at, within the hold's 24 h
    try {
      const after = await page(lateMail.approveToken, 'POST');
      expect(after.html).toContain('The message is on its way.');
      expect(after.html).not.toContain('will be sent at');
      expect(await status(late.messageId)).toEqual({ review: 'approved', message: 'queued' });
    } finally {
      clock.advance(-2 * 3600_000);
    }
  });
});
