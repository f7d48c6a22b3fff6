/**
 * Sending end to end on real sockets: the API accepts, the outbound worker composes, DKIM-signs and
 * relays to an SMTP sink standing in for the upstream; a local recipient gets the mail through the
 * inbound pipeline instead; failures retry (with the backoff shrunk to milliseconds) or fail; a DSN
 * for a sent message marks it bounced.
 */
import { createSenderVerifier, type Resolver } from '@e2a/relay';
import { createFakeResolver, createTestLogger, type Zone } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../crypto/secret-box.js';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';
import { startSmtpSink, type SinkAnswer, type SinkMessage, type SmtpSink, upstreamEnv } from '../testing/smtp-sink.js';
import { startReceiver, type WebhookReceiver } from '../testing/webhook-receiver.js';
import { until } from '../testing/until.js';

const post = (body: unknown, headers: Record<string, string> = {}) => ({ method: 'POST', body: JSON.stringify(body), headers });

describe.each(ENGINES)('outbound sending (%s)', (engine) => {
  let gw: TestGateway;
  let sink: SmtpSink;
  let receiver: WebhookReceiver;
  // The sink's script; tests replace it.
  let script: (message: SinkMessage) => SinkAnswer = () => null;
  // DNS the tests edit: the DKIM record is published once the gateway shows it.
  const zone: Zone = {};
  const resolver: Resolver = (name, type) => createFakeResolver(zone)(name, type);

  beforeAll(async () => {
    sink = await startSmtpSink((_n, m) => script(m));
    receiver = await startReceiver();
    gw = await startTestGateway({
      engine,
      resolver,
      outboundRetry: { baseMs: 5, capMs: 20 },
      env: {
        ...upstreamEnv(sink),
        E2A_OUTBOUND_SMTP_TIMEOUT_MS: '5000',
        E2A_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
        E2A_WEBHOOKS_POLL_INTERVAL_MS: '50',
      },
    });
    for (const local_part of ['alice', 'bob', 'carol']) expect((await gw.api('/v1/agents', post({ local_part }))).status).toBe(201);
    expect((await gw.api('/v1/webhooks', post({ url: receiver.url, events: ['email.sent'] }))).status).toBe(201);
  });
  afterAll(async () => {
    await gw?.close();
    await sink?.close();
    await receiver?.close();
  });

  const alice = `alice@${TEST_DOMAIN}`;
  const send = async (body: Record<string, unknown>, from = alice) => {
    const res = await gw.api(`/v1/agents/${from}/messages`, post(body));
    return { status: res.status, body: (await res.json()) as { id: string; status: string; reason: string | null; message_id_header: string; conversation_id: string } };
  };
  const row = (id: string) => gw.gateway.database.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const final = (id: string) => until('the final status', async () => {
    const r = await row(id);
    return ['sent', 'failed', 'bounced'].includes(r.status) && r;
  });

  it('sends through the upstream, DKIM-signed with the published key, and reports email.sent', async () => {
    const { status, body } = await send({ to: ['Dana <dana@example.com>'], bcc: ['secret@example.net'], subject: 'Hello', text: 'hi there', headers: { 'X-Priority': '1' } });
    expect(status).toBe(202);
    expect(body.status).toBe('accepted');
    const sent = await final(body.id);
    expect(sent.status).toBe('sent');
    const got = sink.messages.find((m) => m.raw.includes(body.message_id_header))!;
    expect(got.mailFrom).toBe(alice);
    expect(got.rcptTo.sort()).toEqual(['dana@example.com', 'secret@example.net']);
    const head = got.raw.toString('latin1').split('\r\n\r\n')[0]!;
    expect(head).toMatch(/^DKIM-Signature: .*d=agents\.test/m);
    expect(head).toMatch(new RegExp(`^Message-ID: <${body.message_id_header.replace(/[.+]/g, '\\$&')}>`, 'm'));
    expect(head).toMatch(/^X-E2A-Conversation-Id: conv_/im);
    expect(head).toMatch(/^X-Priority: 1/m);
    expect(head).not.toMatch(/^Bcc:/im);

    // Publish what GET /v1/domains/{shared} tells the operator to publish, then verify as a receiver would.
    const domain = (await (await gw.api(`/v1/domains/${TEST_DOMAIN}`)).json()) as { shared: boolean; dns_records: Array<{ type: string; name: string; value: string }> };
    expect(domain.shared).toBe(true);
    const dkim = domain.dns_records.find((r) => r.name.includes('._domainkey.'))!;
    zone[dkim.name] = { TXT: [dkim.value] };
    const verifier = createSenderVerifier({ resolver, authservId: 'mx.example.com', logger: createTestLogger() });
    const verdict = await verifier.verify(got.raw, { ip: '127.0.0.1', helo: 'mx.agents.test', mailFrom: alice });
    expect(verdict.authentication.dkim).toContainEqual(expect.objectContaining({ status: 'pass', domain: TEST_DOMAIN, aligned: true }));

    const events = (await (await gw.api(`/v1/events?type=email.sent`)).json()) as { items: Array<{ data: { message_id: string } }> };
    expect(events.items.map((e) => e.data.message_id)).toContain(body.id);
    await receiver.waitFor(1, (reqs) => reqs.some((r) => r.body.includes(body.id)));
    expect(JSON.parse(receiver.requests.find((r) => r.body.includes(body.id))!.body).type).toBe('email.sent');
  });

  it('delivers agent to agent through the inbound pipeline, verified, with no SMTP hop; replies thread', async () => {
    const before = sink.attempts;
    const { body } = await send({ to: [`bob@${TEST_DOMAIN}`], subject: 'Local hello', text: 'hi bob' });
    expect((await final(body.id)).status).toBe('sent');
    const list = (await (await gw.api(`/v1/agents/bob@${TEST_DOMAIN}/messages`)).json()) as { items: Array<{ id: string; subject: string; verified: boolean }> };
    const received = list.items.find((m) => m.subject === 'Local hello')!;
    expect(received.verified).toBe(true);
    const full = (await (await gw.api(`/v1/agents/bob@${TEST_DOMAIN}/messages/${received.id}`)).json()) as { authentication: { dkim: Array<{ status: string; domain: string }>; spf: { status: string } } };
    expect(full.authentication.dkim[0]).toMatchObject({ status: 'pass', domain: TEST_DOMAIN });
    expect(full.authentication.spf.status).toBe('pass');

    // Bob answers; the reply lands in Alice's original conversation (In-Reply-To among her messages).
    const reply = await gw.api(`/v1/agents/bob@${TEST_DOMAIN}/messages/${received.id}/reply`, post({ text: 'hello back' }));
    expect(reply.status).toBe(202);
    const replyId = ((await reply.json()) as { id: string }).id;
    expect((await final(replyId)).status).toBe('sent');
    const inbox = (await (await gw.api(`/v1/agents/${alice}/messages?direction=inbound`)).json()) as { items: Array<{ subject: string; conversation_id: string }> };
    expect(inbox.items.find((m) => m.subject === 'Re: Local hello')?.conversation_id).toBe(body.conversation_id);
    expect(sink.attempts).toBe(before);
  });

  it('retries a refused connection and a 4xx, then sends', async () => {
    await sink.pause();
    let refusedOnce = false;
    script = () => (refusedOnce ? null : ((refusedOnce = true), { code: 451, message: '4.3.0 try again later' }));
    const { body } = await send({ to: ['erin@example.com'], subject: 'Retry me', text: 'x' });
    const deferred = await until('a deferred attempt', async () => {
      const r = await row(body.id);
      return r.attempts >= 1 && r.status_reason?.startsWith('retrying') && r;
    });
    expect(deferred.status).toBe('queued');
    // The composed, signed bytes were stored with the deferral (in the message's blob) and are what the retry sends.
    const stored = await gw.gateway.database.db
      .selectFrom('messages as m')
      .innerJoin('message_blobs as b', 'b.id', 'm.blob_id')
      .select('b.raw')
      .where('m.id', '=', body.id)
      .executeTakeFirstOrThrow();
    expect(stored.raw).not.toBeNull();
    await sink.resume();
    const sent = await final(body.id);
    expect(sent.status).toBe('sent');
    expect(sent.attempts).toBeGreaterThanOrEqual(3);
    expect(refusedOnce).toBe(true);
    const got = sink.messages.find((m) => m.raw.includes(body.message_id_header))!;
    expect(got.raw.equals(new SecretBox(gw.gateway.secrets.encryptionKey).open(stored.raw!))).toBe(true);
    script = () => null;
  });

  it('fails at once on a 5xx, with the reason on the message and in email.failed', async () => {
    script = () => ({ code: 550, message: '5.1.1 mailbox unavailable' });
    const res = await gw.api(`/v1/agents/${alice}/messages?wait=sent&timeout=30`, post({ to: ['nobody@example.com'], subject: 'Doomed', text: 'x' }));
    script = () => null;
    expect(res.status).toBe(200);
    const result = (await res.json()) as { id: string; status: string; reason: string };
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/550/);
    const r = await row(result.id);
    expect(r.attempts).toBe(1);
    const events = (await (await gw.api(`/v1/events?type=email.failed`)).json()) as { items: Array<{ data: { message_id: string; reason: string } }> };
    expect(events.items.find((e) => e.data.message_id === result.id)?.data.reason).toMatch(/5\.1\.1/);
  });

  it('marks a sent message bounced when a DSN for it arrives, and still stores the DSN', async () => {
    const { body } = await send({ to: ['gone@example.com'], subject: 'Will bounce', text: 'x' });
    expect((await final(body.id)).status).toBe('sent');
    const dsn = Buffer.from(
      [
        'From: MAILER-DAEMON@mx.example.com', `To: ${alice}`, 'Subject: Undelivered Mail Returned to Sender',
        'Message-ID: <dsn-1@mx.example.com>', 'Date: Mon, 2 Jun 2025 10:00:00 +0000', 'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="R"', '',
        '--R', 'Content-Type: text/plain', '', 'Your message could not be delivered.', '',
        '--R', 'Content-Type: message/delivery-status', '', 'Reporting-MTA: dns; mx.example.com', '',
        'Final-Recipient: rfc822; gone@example.com', 'Action: failed', 'Status: 5.1.1', 'Diagnostic-Code: smtp; 550 5.1.1 user unknown', '',
        '--R', 'Content-Type: text/rfc822-headers', '', `From: ${alice}`, `Message-ID: <${body.message_id_header}>`, 'Subject: Will bounce', '',
        '--R--', '',
      ].join('\r\n'),
    );
    await deliver(gw.gateway.smtpPort, '', [alice], dsn);
    const bounced = await until('the bounce', async () => {
      const r = await row(body.id);
      return r.status === 'bounced' && r;
    });
    expect(bounced.status_reason).toMatch(/^bounced: 5\.1\.1/);
    const events = (await (await gw.api(`/v1/events?type=email.failed`)).json()) as { items: Array<{ data: { message_id: string; reason: string } }> };
    expect(events.items.find((e) => e.data.message_id === body.id)?.data.reason).toMatch(/^bounced: 5\.1\.1/);
    const inbox = (await (await gw.api(`/v1/agents/${alice}/messages?direction=inbound`)).json()) as { items: Array<{ subject: string }> };
    expect(inbox.items.map((m) => m.subject)).toContain('Undelivered Mail Returned to Sender');
  });
});
