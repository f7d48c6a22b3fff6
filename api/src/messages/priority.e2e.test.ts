/**
 * Message priorities end to end on real sockets (docs/PRIORITIES.md): inbound over SMTP, the list
 * filter, the headers sent mail leaves with (captured by an SMTP sink standing in for the upstream),
 * agent-to-agent mail, event data, and the WebSocket backlog sending urgent mail first.
 */
import { buildMessage, createFakeResolver } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestListener } from '../realtime/test-listener.js';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';
import { startSmtpSink, type SmtpSink, upstreamEnv } from '../testing/smtp-sink.js';
import { until } from '../testing/until.js';

const post = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body) });

interface Summary {
  id: string;
  subject: string;
  priority: string;
  direction: string;
}

describe.each(ENGINES)('message priorities (%s)', (engine) => {
  let gw: TestGateway;
  let sink: SmtpSink;
  let mails = 0;

  beforeAll(async () => {
    sink = await startSmtpSink();
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}), env: upstreamEnv(sink) });
  });
  afterAll(async () => {
    await gw?.close();
    await sink?.close();
  });

  async function agent(local_part: string): Promise<string> {
    expect((await gw.api('/v1/agents', post({ local_part }))).status).toBe(201);
    return `${local_part}@${TEST_DOMAIN}`;
  }
  async function mail(to: string, subject: string, headers: string[] = []): Promise<void> {
    mails += 1;
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [to], buildMessage({ to, subject, headers, messageId: `prio-${mails}@example.com` }));
  }
  async function list(address: string, query = ''): Promise<Summary[]> {
    const res = await gw.api(`/v1/agents/${address}/messages${query}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: Summary[] }).items;
  }
  const bySubject = (items: Summary[], subject: string) => items.find((m) => m.subject === subject);
  const finalStatus = (address: string, id: string) =>
    until(`message ${id} sent`, async () => {
      const res = await gw.api(`/v1/agents/${address}/messages/${id}`);
      const m = (await res.json()) as { status: string };
      return ['sent', 'failed'].includes(m.status) && m.status;
    });
  const headOf = (raw: Buffer) => raw.toString('latin1').split('\r\n\r\n')[0]!;

  it('stores the priority inbound mail claims, filters by it, and puts it in the event data', async () => {
    const address = await agent('prio-inbound');
    await mail(address, 'plain');
    await mail(address, 'x-priority one', ['X-Priority: 1 (Highest)']);
    await mail(address, 'importance low', ['Importance: low']);

    const all = await list(address);
    expect(bySubject(all, 'plain')?.priority).toBe('normal');
    expect(bySubject(all, 'x-priority one')?.priority).toBe('urgent');
    expect(bySubject(all, 'importance low')?.priority).toBe('low');

    const urgent = await list(address, '?priority=urgent');
    expect(urgent.map((m) => m.subject)).toEqual(['x-priority one']);
    expect((await list(address, '?priority=normal')).map((m) => m.subject)).toEqual(['plain']);

    const full = (await (await gw.api(`/v1/agents/${address}/messages/${urgent[0]!.id}`)).json()) as { priority: string };
    expect(full.priority).toBe('urgent');
    const events = (await (await gw.api(`/v1/events?type=email.received&agent_address=${address}`)).json()) as { items: Array<{ data: { message_id: string; priority: string } }> };
    expect(events.items.find((e) => e.data.message_id === urgent[0]!.id)?.data.priority).toBe('urgent');
    expect(events.items.find((e) => e.data.message_id === bySubject(all, 'plain')!.id)?.data.priority).toBe('normal');
  });

  it('refuses an unknown priority with an envelope naming the allowed values', async () => {
    const address = await agent('prio-bad');
    const query = await gw.api(`/v1/agents/${address}/messages?priority=bogus`);
    expect(query.status).toBe(422);
    const q = (await query.json()) as { error: { code: string; message: string; request_id: string } };
    expect(q.error.code).toBe('validation_error');
    expect(q.error.message).toMatch(/^query\.priority: /);
    for (const value of ['urgent', 'normal', 'low']) expect(q.error.message).toContain(value);

    const send = await gw.api(`/v1/agents/${address}/messages`, post({ to: ['dana@example.com'], subject: 's', text: 't', priority: 'high' }));
    expect(send.status).toBe(422);
    const s = (await send.json()) as { error: { code: string; message: string } };
    expect(s.error.code).toBe('validation_error');
    expect(s.error.message).toMatch(/^body\.priority: /);
    for (const value of ['urgent', 'normal', 'low']) expect(s.error.message).toContain(value);
  });

  it('sends priority as Priority, Importance and X-Priority headers, and stores it on the sent message', async () => {
    const address = await agent('prio-sender');
    const cases = [
      { priority: 'urgent', headers: ['Priority: urgent', 'Importance: high', 'X-Priority: 1'] },
      { priority: 'low', headers: ['Priority: non-urgent', 'Importance: low', 'X-Priority: 5'] },
      { priority: undefined, headers: [] },
    ];
    for (const c of cases) {
      const res = await gw.api(`/v1/agents/${address}/messages`, post({ to: ['dana@example.com'], subject: `send ${c.priority ?? 'default'}`, text: 'x', ...(c.priority ? { priority: c.priority } : {}) }));
      expect(res.status).toBe(202);
      const { id, message_id_header } = (await res.json()) as { id: string; message_id_header: string };
      expect(await finalStatus(address, id)).toBe('sent');
      const got = sink.messages.find((m) => m.raw.includes(message_id_header));
      expect(got).toBeDefined();
      const head = headOf(got!.raw);
      for (const line of c.headers) expect(head).toMatch(new RegExp(`^${line}\\r?$`, 'm'));
      if (c.headers.length === 0) expect(head).not.toMatch(/^(Priority|Importance|X-Priority):/im);
      const sent = (await (await gw.api(`/v1/agents/${address}/messages/${id}`)).json()) as { priority: string };
      expect(sent.priority).toBe(c.priority ?? 'normal');
    }
    const events = (await (await gw.api(`/v1/events?type=email.sent&agent_address=${address}`)).json()) as { items: Array<{ data: { subject: string; priority: string } }> };
    expect(events.items.find((e) => e.data.subject === 'send urgent')?.data.priority).toBe('urgent');
  });

  it('keeps the priority of mail between agents on this gateway, and of a reply', async () => {
    const alice = await agent('prio-alice');
    const bob = await agent('prio-bob');
    const res = await gw.api(`/v1/agents/${alice}/messages`, post({ to: [bob], subject: 'agent urgent', text: 'now', priority: 'urgent' }));
    expect(res.status).toBe(202);
    expect(await finalStatus(alice, ((await res.json()) as { id: string }).id)).toBe('sent');
    const received = bySubject(await list(bob, '?priority=urgent'), 'agent urgent');
    expect(received).toMatchObject({ direction: 'inbound', priority: 'urgent' });

    const reply = await gw.api(`/v1/agents/${bob}/messages/${received!.id}/reply`, post({ text: 'later', priority: 'low' }));
    expect(reply.status).toBe(202);
    expect(await finalStatus(bob, ((await reply.json()) as { id: string }).id)).toBe('sent');
    const back = await until('the reply in alice’s inbox', async () => bySubject(await list(alice, '?direction=inbound'), 'Re: agent urgent'));
    expect(back.priority).toBe('low');
  });

  it('replays the WebSocket backlog urgent first, then the rest in order', async () => {
    const address = await agent('prio-backlog');
    await mail(address, 'first, normal');
    await mail(address, 'second, urgent', ['Importance: high']);
    await mail(address, 'third, low', ['X-Priority: 5']);
    await mail(address, 'fourth, urgent', ['Priority: urgent']);

    const listener = await TestListener.connect(gw.gateway.httpUrl, address, { key: gw.apiKey });
    await listener.ready();
    const events = await listener.waitEvents(4);
    expect(events.map((e) => e.data.subject)).toEqual(['second, urgent', 'fourth, urgent', 'first, normal', 'third, low']);
    expect(events.map((e) => e.data.priority)).toEqual(['urgent', 'urgent', 'normal', 'low']);
    // Acknowledged urgent mail is not replayed; the rest still is, in order.
    await listener.ack([events[0]!.id, events[1]!.id]);
    await listener.close();

    const fresh = await TestListener.connect(gw.gateway.httpUrl, address, { key: gw.apiKey });
    await fresh.ready();
    await mail(address, 'fifth, urgent, live', ['X-Priority: 2']);
    const again = await fresh.waitEvents(3);
    expect(again.map((e) => e.data.subject)).toEqual(['first, normal', 'third, low', 'fifth, urgent, live']);
    await fresh.close();
  });
});
