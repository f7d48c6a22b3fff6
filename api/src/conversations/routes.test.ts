import { buildMessage, createFakeResolver } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';

const bot = `bot@${TEST_DOMAIN}`;

describe.each(ENGINES)('conversations and read state (%s)', (engine) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}) });
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'bot' }) })).status).toBe(201);
    const send = (id: string, subject: string, headers: string[] = []) =>
      deliver(gw.gateway.smtpPort, 'alice@example.com', [bot], buildMessage({ to: bot, subject, messageId: id, headers }));
    await send('a1@example.com', 'first thread');
    await send('b1@example.com', 'second thread');
    await send('a2@example.com', 'Re: first thread', ['In-Reply-To: <a1@example.com>']);
    await send('c1@example.com', 'third thread');
  });
  afterAll(() => gw?.close());

  it('lists conversations by last activity with a working cursor, and shows one with its messages in order', async () => {
    const first = await (await gw.api(`/v1/agents/${bot}/conversations?limit=2`)).json();
    expect(first.items.map((c: { subject: string }) => c.subject)).toEqual(['third thread', 'first thread']);
    expect(first.items[1].message_count).toBe(2);
    const second = await (await gw.api(`/v1/agents/${bot}/conversations?limit=2&cursor=${first.next_cursor}`)).json();
    expect(second.items.map((c: { subject: string }) => c.subject)).toEqual(['second thread']);
    expect(second.next_cursor).toBeNull();

    const detail = await (await gw.api(`/v1/agents/${bot}/conversations/${first.items[1].id}`)).json();
    expect(detail.messages.map((m: { message_id_header: string }) => m.message_id_header)).toEqual(['a1@example.com', 'a2@example.com']);
    expect((await gw.api(`/v1/agents/${bot}/conversations/conv_nope`)).status).toBe(404);
    expect((await gw.api(`/v1/agents/${bot}/conversations?cursor=bad`)).status).toBe(422);
  });

  it('marks a message read and unread, and the unread filter follows', async () => {
    const { items } = await (await gw.api(`/v1/agents/${bot}/messages?unread=true`)).json();
    expect(items).toHaveLength(4);
    const read = await gw.api(`/v1/agents/${bot}/messages/${items[0].id}`, { method: 'PATCH', body: JSON.stringify({ read: true }) });
    expect(read.status).toBe(200);
    expect((await read.json()).read_at).not.toBeNull();
    expect((await (await gw.api(`/v1/agents/${bot}/messages?unread=true`)).json()).items).toHaveLength(3);
    await gw.api(`/v1/agents/${bot}/messages/${items[0].id}`, { method: 'PATCH', body: JSON.stringify({ read: false }) });
    expect((await (await gw.api(`/v1/agents/${bot}/messages?unread=true`)).json()).items).toHaveLength(4);
    expect((await gw.api(`/v1/agents/${bot}/messages/msg_nope`, { method: 'PATCH', body: JSON.stringify({ read: true }) })).status).toBe(404);
    expect((await gw.api(`/v1/agents/${bot}/messages/${items[0].id}`, { method: 'PATCH', body: JSON.stringify({ read: 'yes' }) })).status).toBe(422);
  });
});
