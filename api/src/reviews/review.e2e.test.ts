/**
 * Human review end to end on real sockets: an agent sends through the API, the outbound gate holds
 * it, the reviewer's notification leaves through the system-mail worker to an SMTP sink standing in
 * for the upstream, and the magic links in THAT mail decide: GET (no effect) → POST → the worker
 * sends the message, DKIM-signed (verified against the published key through the fake resolver),
 * and webhooks report it. Also: reject, expiry with both on_expiry values, edited approval, reused
 * and expired links. The clock only moves forward, so every worker sees one timeline.
 */
import { createSenderVerifier, parseMessage, type Resolver } from '@e2a/relay';
import { createFakeResolver, createTestLogger, type Zone } from '@e2a/relay/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { startSmtpSink, type SmtpSink, upstreamEnv } from '../testing/smtp-sink.js';
import { startReceiver, type WebhookReceiver } from '../testing/webhook-receiver.js';
import { HoldExpiryWorker } from '../workers/hold-expiry.js';
import { ReviewDecider } from './outcome.js';
import { TestClock } from '../testing/clock.js';
import { boxOf } from './test-fixtures.js';
import { until } from '../testing/until.js';

const bot = `bot@${TEST_DOMAIN}`;
const json = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body) });
const form = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' };

describe.each(ENGINES)('review end to end (%s)', (engine) => {
  let gw: TestGateway;
  let sink: SmtpSink;
  let receiver: WebhookReceiver;
  const clock = new TestClock();
  const zone: Zone = {};
  const resolver: Resolver = (name, type) => createFakeResolver(zone)(name, type);

  /** Sends as the agent; the outbound allowlist is empty, so every external recipient is held. */
  const send = async (subject: string, to = ['dana@example.com']) => {
    const res = await gw.api(`/v1/agents/${bot}/messages`, json({ to, subject, text: `body of ${subject}` }));
    expect(res.status).toBe(202);
    const body = (await res.json()) as { id: string; status: string; review_id: string; approval_expires_at: string; message_id_header: string };
    expect(body.status).toBe('pending_review');
    return body;
  };
  /** The reviewer's notification as the upstream received it, and its two links. */
  const notification = async (reviewId: string) => {
    const found = await until('the reviewer mail', async () => {
      for (const m of sink.messages) {
        const parsed = await parseMessage(m.raw);
        if (parsed.text?.includes(`Review: ${reviewId}`)) return { m, parsed };
      }
      return null;
    });
    const links = [...found.parsed.text!.matchAll(/(?:Approve|Reject): +(\S+\/review\/[A-Za-z0-9_-]{43})/g)].map((x) => x[1]!);
    return { rcpt: found.m.rcptTo, from: found.m.mailFrom, approve: links[0]!.replace('http://review.test', gw.gateway.httpUrl), reject: links[1]!.replace('http://review.test', gw.gateway.httpUrl) };
  };
  const delivered = (messageIdHeader: string) => sink.messages.find((m) => m.raw.includes(messageIdHeader));
  const status = async (id: string) => (await gw.gateway.database.db.selectFrom('messages').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
  const finalStatus = (id: string) => until('the final status', async () => ['sent', 'failed', 'rejected'].includes(await status(id)) && status(id));
  const webhook = (type: string, messageId: string) =>
    receiver.waitFor(1, (reqs) => reqs.some((r) => r.body.includes(messageId) && JSON.parse(r.body).type === type));
  const protect = async (holds: { ttl_seconds: number; on_expiry: 'approve' | 'reject' }) =>
    expect((await gw.api(`/v1/agents/${bot}/protection`, { method: 'PUT', body: JSON.stringify({ outbound: { policy: 'allowlist', allowlist: [], action: 'review' }, holds }) })).status).toBe(200);
  /** A second replica's sweeper on the same database and timeline. */
  const sweep = () =>
    new HoldExpiryWorker({ db: gw.gateway.database.db, clock, decider: new ReviewDecider({ box: boxOf(gw), clock }), logger: pino({ level: 'silent' }), pollIntervalMs: 60_000 }).sweepOnce();

  beforeAll(async () => {
    sink = await startSmtpSink();
    receiver = await startReceiver();
    gw = await startTestGateway({
      engine,
      resolver,
      clock,
      outboundRetry: { baseMs: 5, capMs: 20 },
      env: {
        E2A_PUBLIC_URL: 'http://review.test',
        ...upstreamEnv(sink),
        E2A_OUTBOUND_SMTP_TIMEOUT_MS: '5000',
        E2A_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
        E2A_WEBHOOKS_POLL_INTERVAL_MS: '50',
      },
    });
    expect((await gw.api('/v1/agents', json({ local_part: 'bot' }))).status).toBe(201);
    expect((await gw.api('/v1/webhooks', json({ url: receiver.url, events: ['email.sent', 'email.review_requested', 'email.review_approved', 'email.review_rejected'] }))).status).toBe(201);
    // Publish the DKIM record GET /v1/domains/{shared} tells the operator to publish.
    const domain = (await (await gw.api(`/v1/domains/${TEST_DOMAIN}`)).json()) as { dns_records: Array<{ name: string; value: string }> };
    const record = domain.dns_records.find((r) => r.name.includes('._domainkey.'))!;
    zone[record.name] = { TXT: [record.value] };
    await protect({ ttl_seconds: 600, on_expiry: 'reject' });
  });
  afterAll(async () => {
    await gw?.close();
    await sink?.close();
    await receiver?.close();
  });

  it('held → notification → GET (no effect) → POST approve → sent DKIM-signed → email.sent; the link is then used up', async () => {
    const sent = await send('needs a human');
    await webhook('email.review_requested', sent.id);
    const note = await notification(sent.review_id);
    expect(note.rcpt).toEqual(['owner@example.com']);
    expect(note.from).toBe(`review@${TEST_DOMAIN}`);

    const confirm = await fetch(note.approve);
    expect(await confirm.text()).toContain('Approve this message?');
    expect(await status(sent.id)).toBe('held');
    expect(delivered(sent.message_id_header)).toBeUndefined();

    expect(await (await fetch(note.approve, form)).text()).toContain('The message is on its way');
    expect(await finalStatus(sent.id)).toBe('sent');
    const got = delivered(sent.message_id_header)!;
    expect(got.rcptTo).toEqual(['dana@example.com']);
    const verifier = createSenderVerifier({ resolver, authservId: 'mx.example.com', logger: createTestLogger() });
    const verdict = await verifier.verify(got.raw, { ip: '127.0.0.1', helo: 'mx.agents.test', mailFrom: bot });
    expect(verdict.authentication.dkim).toContainEqual(expect.objectContaining({ status: 'pass', domain: TEST_DOMAIN, aligned: true }));
    await webhook('email.review_approved', sent.id);
    await webhook('email.sent', sent.id);

    expect(await (await fetch(note.approve, form)).text()).toContain('already been used');
    expect(await (await fetch(note.reject)).text()).toContain('Already decided');
  });

  it('reject link: never sent, email.review_rejected', async () => {
    const sent = await send('reject me');
    const note = await notification(sent.review_id);
    expect(await (await fetch(note.reject, form)).text()).toContain('will not be sent');
    expect(await finalStatus(sent.id)).toBe('rejected');
    await webhook('email.review_rejected', sent.id);
    expect(delivered(sent.message_id_header)).toBeUndefined();
  });

  it('edited approval sends the edited message to the edited recipients', async () => {
    const sent = await send('original subject', ['wrong@example.com']);
    const res = await gw.api(`/v1/reviews/${sent.review_id}/approve`, json({ to: ['Right <right@example.com>'], subject: 'edited subject', text: 'edited body' }));
    expect(res.status).toBe(200);
    expect(await finalStatus(sent.id)).toBe('sent');
    const got = delivered(sent.message_id_header)!;
    expect(got.rcptTo).toEqual(['right@example.com']);
    const parsed = await parseMessage(got.raw);
    expect(parsed.subject).toBe('edited subject');
    expect(parsed.text?.trim()).toBe('edited body');
    expect(parsed.to.map((a) => a.address)).toEqual(['right@example.com']);
  });

  it('expiry: on_expiry reject rejects, on_expiry approve sends; lapsed links say expired', async () => {
    const rejected = await send('expires rejected');
    await protect({ ttl_seconds: 60, on_expiry: 'approve' });
    const approved = await send('expires approved');
    const note = await notification(approved.review_id);

    clock.advance(61_000);
    expect(await (await fetch(note.approve, form)).text()).toContain('This link has expired');
    await sweep();
    expect(await finalStatus(approved.id)).toBe('sent');
    expect(delivered(approved.message_id_header)).toBeDefined();
    await webhook('email.sent', approved.id);
    expect(await status(rejected.id)).toBe('held');

    clock.advance(600_000);
    await sweep();
    expect(await finalStatus(rejected.id)).toBe('rejected');
    await webhook('email.review_rejected', rejected.id);
    expect(delivered(rejected.message_id_header)).toBeUndefined();
    const review = await (await gw.api(`/v1/reviews/${rejected.review_id}`)).json();
    expect(review).toMatchObject({ status: 'expired_rejected', decided_by: 'expiry' });
    await protect({ ttl_seconds: 600, on_expiry: 'reject' });
  });
});
