/**
 * The label tools (docs/LABELS.md, docs/MCP.md) through /mcp with a real MCP client and an agent key:
 * labelling a message and a conversation, finding them again with the `label` filter of
 * list_messages, list_conversations and check_inbox, the counts of list_labels, and the API's
 * refusals (held mail, system labels) reaching the model as tool errors.
 */
import { buildMessage, createFakeResolver } from '@e2a/relay/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';

const textOf = (result: unknown) => ((result as { content: Array<{ text?: string }> }).content ?? []).map((c) => c.text ?? '').join('\n');

describe.each(ENGINES)('MCP label tools (%s)', (engine) => {
  let gw: TestGateway;
  let mcp: Client;
  const bot = `mcp-labels@${TEST_DOMAIN}`;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}) });
    const post = (path: string, body: unknown) => gw.api(path, { method: 'POST', body: JSON.stringify(body) });
    expect((await post('/v1/agents', { address: bot })).status).toBe(201);
    const key = ((await (await post('/v1/account/api-keys', { name: 'mcp labels', scope: 'agent', agent_address: bot })).json()) as { key: string }).key;
    const receive = async (subject: string) => {
      await deliver(gw.gateway.smtpPort, 'carol@example.com', [bot], buildMessage({ to: bot, subject, body: `About ${subject}`, messageId: `${subject}@example.com` }));
      ids[subject] = (await gw.gateway.database.db.selectFrom('messages').select('id').where('subject', '=', subject).executeTakeFirstOrThrow()).id;
    };
    await receive('invoice');
    await receive('newsletter');
    // Held for review: in no mailbox, so no tool can label it.
    const protect = (body: unknown) => gw.api(`/v1/agents/${bot}/protection`, { method: 'PUT', body: JSON.stringify(body) });
    expect((await protect({ inbound: { policy: 'allowlist', allowlist: [], action: 'review' } })).status).toBe(200);
    await receive('quarantined');
    expect((await protect({})).status).toBe(200);

    mcp = new Client({ name: 'e2a-labels-test', version: '1' });
    await mcp.connect(new StreamableHTTPClientTransport(new URL(`${gw.gateway.httpUrl}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  });
  afterAll(async () => {
    await mcp?.close().catch(() => {});
    await gw?.close();
  });

  const call = async (name: string, args: Record<string, unknown>) => {
    const result = await mcp.callTool({ name, arguments: args });
    return { error: result.isError === true, text: textOf(result) };
  };

  it('labels a message and finds it again by label in list_messages, check_inbox and list_labels', async () => {
    const labelled = await call('label_message', { message_id: ids.invoice, add: ['Invoices', 'todo'] });
    expect(labelled).toEqual({ error: false, text: `Message ${ids.invoice} now has the labels: unread, Invoices, todo.` });
    expect((await call('label_message', { message_id: ids.invoice, remove: ['TODO'] })).text).toBe(`Message ${ids.invoice} now has the labels: unread, Invoices.`);

    const listed = JSON.parse((await call('list_messages', { label: ['invoices'] })).text) as { items: Array<{ id: string; labels: string[] }> };
    expect(listed.items.map((m) => [m.id, m.labels])).toEqual([[ids.invoice, ['unread', 'Invoices']]]);

    const inbox = await call('check_inbox', { label: ['invoices'] });
    expect(inbox.text).toMatch(new RegExp(`^1 unread message\\(s\\) labelled invoices for ${bot}\\.`));
    expect(inbox.text).toContain('About invoice');
    expect(inbox.text).not.toContain('About newsletter');
    expect((await call('check_inbox', { label: ['nothing-here'] })).text).toBe(`No unread mail labelled nothing-here for ${bot}.`);

    const labels = JSON.parse((await call('list_labels', {})).text) as { items: Array<{ name: string; messages: number; unread_messages: number }> };
    expect(labels.items.map((l) => l.name)).toEqual(['unread', 'sent', 'trash', 'Invoices', 'todo']);
    expect(labels.items.find((l) => l.name === 'Invoices')).toMatchObject({ messages: 1, unread_messages: 1 });
    expect(labels.items.find((l) => l.name === 'unread')).toMatchObject({ messages: 2 });
  });

  it('labels a conversation, and list_conversations filters by it', async () => {
    const { conversation_id } = (await (await gw.api(`/v1/agents/${bot}/messages/${ids.newsletter}`)).json()) as { conversation_id: string };
    expect((await call('label_conversation', { conversation_id, add: ['reading'] })).text).toBe(`Conversation ${conversation_id} now has the labels: unread, reading.`);
    const page = JSON.parse((await call('list_conversations', { label: ['reading'] })).text) as { items: Array<{ id: string }> };
    expect(page.items.map((c) => c.id)).toEqual([conversation_id]);
  });

  it("reaches the model with the API's refusals: held mail does not exist, system labels are derived", async () => {
    const held = await call('label_message', { message_id: ids.quarantined, add: ['x'] });
    expect(held.error).toBe(true);
    expect(held.text).toContain(`e2a not_found: message ${ids.quarantined} not found`);
    expect((await call('list_messages', {})).text).not.toContain(ids.quarantined);

    const system = await call('label_message', { message_id: ids.invoice, add: ['unread'] });
    expect(system.error).toBe(true);
    expect(system.text).toContain('unread is a system label and cannot be added');
    const malformed = await call('label_message', { message_id: ids.invoice, add: ['two words'] });
    expect(malformed.error).toBe(true);
  });
});
