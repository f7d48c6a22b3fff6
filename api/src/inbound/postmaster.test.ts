/**
 * RFC 5321 §4.5.1 and RFC 2142: postmaster@ (with or without a domain) and abuse@ every served domain
 * are accepted and reach the operator; no tenant can take those names.
 */
import { simpleParser } from 'mailparser';
import { buildMessage, createFakeResolver, SmtpTestClient } from '@e2a/relay/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';
import { startSmtpSink, type SmtpSink, upstreamEnv } from '../testing/smtp-sink.js';
import { until } from '../testing/until.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function gatewayWithSink(engine: (typeof ENGINES)[number], env: Record<string, string> = {}): Promise<{ gw: TestGateway; sink: SmtpSink }> {
  const sink = await startSmtpSink();
  const gw = await startTestGateway({
    engine,
    resolver: createFakeResolver({}),
    env: { ...upstreamEnv(sink), ...env },
  });
  open.push(gw, sink);
  return { gw, sink };
}

describe.each(ENGINES)('postmaster and abuse (%s)', (engine) => {
  it('forwards postmaster@, abuse@ and a bare <postmaster> to postmaster_address, the original attached', async () => {
    const { gw, sink } = await gatewayWithSink(engine, { E2A_POSTMASTER_ADDRESS: 'ops@example.net' });
    await deliver(gw.gateway.smtpPort, 'complainer@example.org', [`postmaster@${TEST_DOMAIN}`], buildMessage({ to: `postmaster@${TEST_DOMAIN}`, subject: 'your server', messageId: 'pm-1@example.org' }));
    await deliver(gw.gateway.smtpPort, 'complainer@example.org', [`Abuse@${TEST_DOMAIN}`], buildMessage({ to: `abuse@${TEST_DOMAIN}`, subject: 'spam report', messageId: 'pm-2@example.org' }));
    const bare = await SmtpTestClient.connect(gw.gateway.smtpPort);
    await bare.ehlo();
    const r = await bare.send('complainer@example.org', ['postmaster'], buildMessage({ to: 'postmaster', subject: 'no domain', messageId: 'pm-3@example.org' }));
    await bare.quit();
    expect(r.rcpt[0]!.code).toBe(250);
    expect(r.data!.code).toBe(250);

    await until('three forwards at the upstream', () => sink.messages.length >= 3 && sink.messages);
    const forwards = await Promise.all(sink.messages.map((m) => simpleParser(m.raw)));
    for (const m of sink.messages) expect(m.rcptTo).toEqual(['ops@example.net']);
    expect(forwards.map((f) => f.subject).sort()).toEqual([
      `[abuse@${TEST_DOMAIN}] spam report`,
      `[postmaster@${TEST_DOMAIN}] no domain`,
      `[postmaster@${TEST_DOMAIN}] your server`,
    ]);
    const first = forwards.find((f) => f.subject?.endsWith('your server'))!;
    expect(first.text).toMatch(/Envelope sender: <complainer@example\.org>/);
    const original = first.attachments.find((a) => a.contentType === 'message/rfc822')!;
    expect(original.content.toString('latin1')).toMatch(/^Message-ID: <pm-1@example\.org>/m);
    // Not stored in any mailbox: there is no agent to hold it.
    expect(await gw.gateway.database.db.selectFrom('messages').select('id').execute()).toEqual([]);
  });

  it('without postmaster_address, forwards to the account created first', async () => {
    const { gw, sink } = await gatewayWithSink(engine);
    await deliver(gw.gateway.smtpPort, 'someone@example.org', [`postmaster@${TEST_DOMAIN}`], buildMessage({ to: `postmaster@${TEST_DOMAIN}`, messageId: 'pm-owner@example.org' }));
    await until('the forward', () => sink.messages.length >= 1);
    expect(sink.messages[0]!.rcptTo).toEqual(['owner@example.com']);
  });

  it('delivers into the mailbox when postmaster_address is an agent of this gateway', async () => {
    const { gw, sink } = await gatewayWithSink(engine, { E2A_POSTMASTER_ADDRESS: `ops@${TEST_DOMAIN}` });
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'ops' }) })).status).toBe(201);
    await deliver(gw.gateway.smtpPort, 'someone@example.org', [`abuse@${TEST_DOMAIN}`], buildMessage({ to: `abuse@${TEST_DOMAIN}`, subject: 'in the box', messageId: 'pm-agent@example.org' }));
    const listed = (await (await gw.api(`/v1/agents/ops@${TEST_DOMAIN}/messages`)).json()) as { items: Array<{ subject: string }> };
    expect(listed.items.map((m) => m.subject)).toEqual(['in the box']);
    expect(sink.messages).toEqual([]);
  });

  it('no tenant can create postmaster@ or abuse@, in any spelling', async () => {
    const gw = await startTestGateway({ engine, resolver: createFakeResolver({}) });
    open.push(gw);
    for (const local_part of ['postmaster', 'abuse', 'PostMaster']) {
      const res = await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part }) });
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/is not available: it is reserved or already taken/);
    }
  });
});
