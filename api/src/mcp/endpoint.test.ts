/**
 * /mcp over real sockets: a real MCP client (Streamable HTTP, Bearer header) against a whole gateway.
 */
import { createFakeResolver, buildMessage } from '@e2a/relay/testing';
import { ACCOUNT_TOOLS, AGENT_TOOLS } from '@e2a/sdk/mcp';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';
import { loopbackUrl } from './loopback-url.js';

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

const textOf = (result: unknown) => ((result as { content: Array<{ text?: string }> }).content ?? []).map((c) => c.text ?? '').join('\n');

describe('loopbackUrl', () => {
  it('turns wildcard listen addresses into loopback', () => {
    expect(loopbackUrl('0.0.0.0', 8080)).toBe('http://127.0.0.1:8080');
    expect(loopbackUrl('::', 8080)).toBe('http://[::1]:8080');
    expect(loopbackUrl('127.0.0.1', 1)).toBe('http://127.0.0.1:1');
    expect(loopbackUrl('[::1]', 2)).toBe('http://[::1]:2');
  });
});

describe.each(ENGINES)('MCP endpoint /mcp (%s)', (engine) => {
  let gw: TestGateway;
  const alice = `alice-bot@${TEST_DOMAIN}`;
  const bob = `bob-bot@${TEST_DOMAIN}`;
  const keys: Record<string, string> = {};
  const open: Client[] = [];

  async function connect(key: string): Promise<Client> {
    const client = new Client({ name: 'e2a-test', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(`${gw.gateway.httpUrl}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } });
    await client.connect(transport);
    open.push(client);
    return client;
  }

  const rawPost = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${gw.gateway.httpUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify(INITIALIZE),
    });

  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}) });
    for (const address of [alice, bob]) {
      expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ address }) })).status).toBe(201);
      const res = await gw.api('/v1/account/api-keys', { method: 'POST', body: JSON.stringify({ name: `mcp ${address}`, scope: 'agent', agent_address: address }) });
      keys[address] = ((await res.json()) as { key: string }).key;
    }
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close().catch(() => {})));
    await gw?.close();
  });

  it('lists exactly the agent tools for an agent key', async () => {
    const client = await connect(keys[bob]!);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual([...AGENT_TOOLS]);
  });

  it('lists the agent and the account tools for an account key', async () => {
    const client = await connect(gw.apiKey);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual([...AGENT_TOOLS, ...ACCOUNT_TOOLS]);
  });

  it('answers 401 with the error envelope when no key is sent', async () => {
    const res = await rawPost('/mcp');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const body = (await res.json()) as { error: { code: string; message: string; request_id: string } };
    expect(body.error).toMatchObject({ code: 'unauthorized', request_id: res.headers.get('x-request-id') });
    expect(body.error.message).toContain('Authorization: Bearer');
  });

  it('does not accept a key in the URL', async () => {
    for (const param of ['api_key', 'key', 'token']) {
      const res = await rawPost(`/mcp?${param}=${encodeURIComponent(gw.apiKey)}`);
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.message).toContain('keys in the URL are not accepted');
    }
  });

  it('answers 401 for an unknown key, and the MCP client fails to connect', async () => {
    const res = await rawPost('/mcp', { authorization: 'Bearer e2a_not_a_real_key' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    await expect(connect('e2a_not_a_real_key')).rejects.toThrow();
  });

  it('refuses GET and DELETE (stateless: no stream, no session) with 405', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${gw.gateway.httpUrl}/mcp`, { method, headers: { authorization: `Bearer ${gw.apiKey}`, accept: 'text/event-stream' } });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
    }
  });

  it('a revoked key gets 401 on its next request, and no stream can be opened with it', async () => {
    const res = await gw.api('/v1/account/api-keys', { method: 'POST', body: JSON.stringify({ name: 'mcp revoked', scope: 'agent', agent_address: bob }) });
    const { key, id } = (await res.json()) as { key: string; id: string };
    const client = await connect(key);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);

    expect((await gw.api(`/v1/account/api-keys/${id}`, { method: 'DELETE' })).status).toBe(204);
    await expect(client.listTools()).rejects.toThrow(/API key has been revoked/);
    const post = await rawPost('/mcp', { authorization: `Bearer ${key}` });
    expect(post.status).toBe(401);
    expect(((await post.json()) as { error: { message: string } }).error.message).toContain('revoked');
    // The server-to-client stream (GET) is refused for the key before anything else.
    const stream = await fetch(`${gw.gateway.httpUrl}/mcp`, { headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' } });
    expect(stream.status).toBe(401);
    expect(stream.headers.get('content-type')).not.toContain('text/event-stream');
  });

  it("leaves scope to the API: an agent key cannot read another agent's mail", async () => {
    const client = await connect(keys[alice]!);
    const result = await client.callTool({ name: 'list_messages', arguments: { agent: bob } });
    expect(result.isError).toBe(true);
    // The API answers as if the agent did not exist (it does not reveal other agents); either way, refused.
    expect(textOf(result)).toMatch(/^e2a (not_found|forbidden): /);
    expect(textOf(result)).not.toContain('Hello');
  });

  it('check_inbox shows mail that arrived over SMTP, fenced by formatForModel', async () => {
    await deliver(gw.gateway.smtpPort, 'carol@example.com', [bob], buildMessage({ to: bob, subject: 'From SMTP', body: 'Hello over SMTP', messageId: 'mcp-smtp-1@example.com' }));
    const client = await connect(keys[bob]!);
    const out = textOf(await client.callTool({ name: 'check_inbox', arguments: {} }));
    expect(out).toMatch(/<untrusted-email nonce="[0-9a-f]{24}">/);
    expect(out).toContain('Subject: From SMTP');
    expect(out).toContain('Hello over SMTP');
    // Leave bob's inbox empty for the next test.
    const marked = await client.callTool({ name: 'check_inbox', arguments: { mark_read: true } });
    expect(marked.isError).toBeFalsy();
    expect(textOf(await client.callTool({ name: 'check_inbox', arguments: {} }))).toBe(`No unread mail for ${bob}.`);
  });

  it('check_inbox puts urgent mail first, and urgent_only leaves the rest unread', async () => {
    const carol = `carol-bot@${TEST_DOMAIN}`;
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ address: carol }) })).status).toBe(201);
    await deliver(gw.gateway.smtpPort, 'dana@example.com', [carol], buildMessage({ to: carol, subject: 'Routine note', messageId: 'mcp-prio-1@example.com' }));
    await deliver(gw.gateway.smtpPort, 'dana@example.com', [carol], buildMessage({ to: carol, subject: 'Server down', messageId: 'mcp-prio-2@example.com', headers: ['X-Priority: 1'] }));
    await deliver(gw.gateway.smtpPort, 'dana@example.com', [carol], buildMessage({ to: carol, subject: 'Newest, normal', messageId: 'mcp-prio-3@example.com' }));
    const client = await connect(gw.apiKey);

    const all = textOf(await client.callTool({ name: 'check_inbox', arguments: { agent: carol } }));
    expect(all).toMatch(/^3 unread message\(s\)/);
    const order = ['Subject: Server down', 'Subject: Newest, normal', 'Subject: Routine note'].map((s) => all.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(all).toContain('Priority: urgent (as the sender marked it; not verified)');

    const urgent = await client.callTool({ name: 'check_inbox', arguments: { agent: carol, urgent_only: true, mark_read: true } });
    expect(urgent.isError, textOf(urgent)).toBeFalsy();
    expect(textOf(urgent)).toMatch(/^1 unread urgent message\(s\)/);
    expect(textOf(urgent)).toContain('Subject: Server down');
    expect(textOf(urgent)).not.toContain('Routine note');
    expect(textOf(urgent)).not.toContain('Newest, normal');
    expect(textOf(await client.callTool({ name: 'check_inbox', arguments: { agent: carol, urgent_only: true } }))).toBe(`No unread urgent mail for ${carol}.`);
    // The others were neither returned nor marked read.
    const rest = textOf(await client.callTool({ name: 'check_inbox', arguments: { agent: carol } }));
    expect(rest).toMatch(/^2 unread message\(s\)/);
  });

  it('send from one agent shows up in the other agent’s check_inbox', async () => {
    const a = await connect(keys[alice]!);
    const b = await connect(keys[bob]!);
    const sent = await a.callTool({ name: 'send', arguments: { to: [bob], subject: 'Agent to agent', text: 'Hello from alice over MCP' } });
    expect(sent.isError, textOf(sent)).toBeFalsy();
    expect(textOf(sent)).toMatch(/Queued for delivery|Sent as/);
    // Delivery is asynchronous (the outbound worker); poll a bounded number of times.
    let inbox = '';
    for (let i = 0; i < 60 && !inbox.includes('Agent to agent'); i++) {
      inbox = textOf(await b.callTool({ name: 'check_inbox', arguments: {} }));
      if (!inbox.includes('Agent to agent')) await new Promise((r) => setTimeout(r, 500));
    }
    expect(inbox).toMatch(/<untrusted-email nonce="[0-9a-f]{24}">/);
    expect(inbox).toMatch(/^From: .*alice-bot@agents\.test/m);
    expect(inbox).toContain('Subject: Agent to agent');
    expect(inbox).toContain('Hello from alice over MCP');
  });
});
