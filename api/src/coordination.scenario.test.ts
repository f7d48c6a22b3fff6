/**
 * Agent-to-agent coordination as one story, on each engine, over real HTTP, SMTP, WebSocket and
 * MCP: two agents become contacts by code and mail between them passes a `contacts` gate while a
 * third, unknown agent's mail is held; an urgent message jumps the WebSocket backlog; a list fans
 * one message out to its three members exactly once each; an ephemeral inbox expires and its
 * address then answers 550; `find_agents` finds a card by a skill. Each feature has its own tests
 * (contacts/, messages/priority.e2e, lists/, agents/ephemeral, cards/); this one shows them working
 * together on one gateway. Time moves with the injected clock.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { buildMessage, createFakeResolver } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestListener } from './realtime/test-listener.js';
import { TestClock } from './testing/clock.js';
import { ENGINES } from './testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from './testing/gateway.js';
import { deliver, sendMail } from './testing/mail.js';
import { until } from './testing/until.js';

type Json = Record<string, any>;

const at = (local: string) => `${local}@${TEST_DOMAIN}`;

describe.each(ENGINES)('agent-to-agent coordination, one scenario (%s)', (engine) => {
  let gw: TestGateway;
  const clock = new TestClock();
  let n = 0;

  const ok = async (res: Response | Promise<Response>, status = 200): Promise<Json> => {
    const r = await res;
    const text = await r.text();
    expect(r.status, text).toBe(status);
    return text ? (JSON.parse(text) as Json) : {};
  };
  const post = (path: string, body: unknown, key?: string) => gw.api(path, { method: 'POST', body: JSON.stringify(body), ...(key ? { key } : {}) });
  const agent = async (local: string, extra: Json = {}) => (await ok(post('/v1/agents', { local_part: local, ...extra }), 201)).address as string;
  const agentKey = async (address: string) => (await ok(post('/v1/account/api-keys', { scope: 'agent', agent_address: address }), 201)).key as string;
  /** The recipient's stored copy of a subject (status, held), once it is there. */
  const copyOf = (to: string, subject: string) =>
    until(`${to}'s copy of "${subject}"`, () =>
      gw.gateway.database.db
        .selectFrom('messages as m')
        .innerJoin('agents as a', 'a.id', 'm.agent_id')
        .select(['m.status', 'm.held', 'm.priority'])
        .where('a.address', '=', to)
        .where('m.subject', '=', subject)
        .where('m.direction', '=', 'inbound')
        .executeTakeFirst(),
    );
  /** An MCP client on /mcp with `key`. */
  const mcp = async (key: string) => {
    const client = new Client({ name: 'scenario', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.gateway.httpUrl}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    return client;
  };
  const sendLocal = async (from: string, to: string[], subject: string, extra: Json = {}) => {
    const res = await post(`/v1/agents/${from}/messages`, { to, subject, text: 'hello', ...extra });
    expect(res.status, await res.clone().text()).toBeLessThan(300);
  };

  beforeAll(async () => {
    gw = await startTestGateway({
      engine,
      clock,
      resolver: createFakeResolver({}),
      env: {
        E2A_OUTBOUND_SMTP_MODE: 'none',
        // The test sweeps when it means to.
        E2A_AGENTS_EXPIRY_POLL_INTERVAL_MS: '3600000',
      },
    });
  });
  afterAll(() => gw?.close());

  it('contacts by code: the contact passes the contacts gate, an unknown agent is held', async () => {
    const ana = await agent('ana');
    const ben = await agent('ben');
    const eve = await agent('eve');
    await ok(gw.api(`/v1/agents/${ben}/protection`, { method: 'PUT', body: JSON.stringify({ inbound: { policy: 'contacts', action: 'review' } }) }));

    // Ana asks; the code reaches Ben's side out of band; Ben's own key approves with it.
    const asked = await ok(post(`/v1/agents/${ana}/contacts`, { address: ben }), 202);
    expect(asked.code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    await ok(post(`/v1/agents/${ben}/contacts/${asked.id}/approve`, { code: asked.code }, await agentKey(ben)));
    for (const side of [ana, ben]) {
      const items = (await ok(gw.api(`/v1/agents/${side}/contacts?state=active`))).items as Json[];
      expect(items.map((c) => c.id), side).toEqual([asked.id]);
    }

    await sendLocal(ana, [ben], 'from a contact');
    await sendLocal(eve, [ben], 'from a stranger');
    expect(await copyOf(ben, 'from a contact')).toMatchObject({ status: 'received', held: false });
    expect(await copyOf(ben, 'from a stranger')).toMatchObject({ status: 'held', held: true });
  });

  it('an urgent message jumps the WebSocket backlog', async () => {
    const cleo = await agent('cleo');
    const mail = (subject: string, headers: string[] = []) =>
      deliver(gw.gateway.smtpPort, 'alice@example.com', [cleo], buildMessage({ to: cleo, subject, headers, messageId: `scenario-${engine}-${++n}@example.com` }));
    await mail('routine report');
    await mail('routine report, again');
    await mail('server on fire', ['X-Priority: 1']);

    const listener = await TestListener.connect(gw.gateway.httpUrl, cleo, { key: gw.apiKey });
    await listener.ready();
    const events = await listener.waitEvents(3);
    expect(events.map((e) => e.data.subject)).toEqual(['server on fire', 'routine report', 'routine report, again']);
    await listener.close();
  });

  it('a list fans one message out to its three members, exactly once each', async () => {
    const members = [await agent('m1'), await agent('m2'), await agent('m3')];
    const poster = await agent('poster');
    const list = (await ok(post('/v1/lists', { local_part: 'crew', post_policy: 'anyone_verified' }), 201)).address as string;
    for (const member of members) await ok(post(`/v1/lists/${list}/members`, { agent_address: member }), 201);

    await sendLocal(poster, [list], 'to the crew');
    for (const member of members) expect(await copyOf(member, 'to the crew')).toMatchObject({ status: 'received' });
    // Exactly once each, and nobody else got one: a copy per member, an event per copy.
    const copies = await gw.gateway.database.db
      .selectFrom('messages as m')
      .innerJoin('agents as a', 'a.id', 'm.agent_id')
      .select('a.address')
      .where('m.subject', '=', 'to the crew')
      .where('m.direction', '=', 'inbound')
      .execute();
    expect(copies.map((c) => c.address).sort()).toEqual([...members].sort());
    const received = ((await ok(gw.api('/v1/events?type=email.received&limit=200'))).items as Json[]).filter((e) => e.data.subject === 'to the crew');
    expect(received.map((e) => e.data.agent_address).sort()).toEqual([...members].sort());
  });

  it('an ephemeral inbox, created over MCP, expires and its address then answers 550', async () => {
    const client = await mcp(gw.apiKey);
    let temp: string;
    try {
      const created = await client.callTool({ name: 'create_agent', arguments: { local_part: 'temp', ttl_seconds: 60 } });
      expect(created.isError, JSON.stringify(created.content)).toBeFalsy();
      temp = at('temp');
      expect((created.content as Array<{ text?: string }>).map((c) => c.text ?? '').join('\n')).toContain(temp);
    } finally {
      await client.close();
    }
    expect((await ok(gw.api(`/v1/agents/${temp}`))).expires_at).not.toBeNull();
    const before = await sendMail(gw.gateway.smtpPort, 'alice@example.com', [temp], buildMessage({ to: temp, subject: 'in time', messageId: `scenario-${engine}-${++n}@example.com` }));
    expect(before.data?.code).toBe(250);
    clock.advance(61_000);
    const after = await sendMail(gw.gateway.smtpPort, 'alice@example.com', [temp], buildMessage({ to: temp, subject: 'too late', messageId: `scenario-${engine}-${++n}@example.com` }));
    expect(after.rcpt[0]).toMatchObject({ code: 550 });
    expect(after.rcpt[0]!.text).toMatch(/5\.1\.1/);
    const swept = await gw.gateway.agentExpiry.sweepOnce();
    expect(swept.expired).toBeGreaterThanOrEqual(1);
    expect((await gw.api(`/v1/agents/${temp}`)).status).toBe(404);
  });

  it('find_agents finds a card by a skill over MCP', async () => {
    const finder = await agent('finder');
    const translator = await agent('translator');
    await ok(gw.api(`/v1/agents/${translator}/card`, { method: 'PUT', body: JSON.stringify({ display_name: 'Translator', description: 'Translates contracts.', skills: ['legal-translation'], visibility: 'public' }) }));
    const client = await mcp(await agentKey(finder));
    try {
      const found = await client.callTool({ name: 'find_agents', arguments: { tag: 'legal-translation' } });
      expect(found.isError).toBeFalsy();
      const text = (found.content as Array<{ text?: string }>).map((c) => c.text ?? '').join('\n');
      expect(text).toContain(translator);
      expect(text).not.toContain(at('ana'));
    } finally {
      await client.close();
    }
  });
});
